import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../shared/core/errors.js';
import { parseAmiStateChangeEvent } from '../../shared/events/ami-state-change.js';
import { parseScheduledEvent } from '../../shared/events/scheduled.js';
import { awsExample } from '../support/aws-examples.js';

/**
 * Events EventBridge could never have delivered are refused at the edge, saying why: EC2's state
 * changes always name the image's ARN in their region, and a schedule always names its rule.
 */

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidEventError) return error.message;
    throw error;
  }
  throw new Error('the event was accepted');
}

describe('EC2 AMI State Change', () => {
  const available = awsExample('ec2-ami-state-change-available');
  const arn = 'arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890';

  it.each([
    { why: "AWS's published example", resources: [arn] },
    {
      why: 'another partition (China, GovCloud)',
      resources: ['arn:aws-cn:ec2:us-east-1::image/ami-0abcdef1234567890'],
    },
    {
      why: 'the image among other resources',
      resources: ['arn:aws:ec2:us-east-1:012345678901:snapshot/snap-1', arn],
    },
  ])('accepts $why', ({ resources }) => {
    expect(parseAmiStateChangeEvent({ ...available, resources }).detail.ImageId).toBe(
      'ami-0abcdef1234567890',
    );
  });

  it.each([
    { why: 'no resources at all', resources: [] },
    { why: "another image's ARN", resources: ['arn:aws:ec2:us-east-1::image/ami-0fffffffffffffff0'] },
    {
      why: "the image's ARN in another region",
      resources: ['arn:aws:ec2:eu-west-1::image/ami-0abcdef1234567890'],
    },
    { why: 'an ARN of another service', resources: ['arn:aws:s3:us-east-1::image/ami-0abcdef1234567890'] },
    { why: 'text that is not an ARN', resources: ['ami-0abcdef1234567890'] },
  ])('refuses $why, quoting what it got', ({ resources }) => {
    const message = refusal(() => parseAmiStateChangeEvent({ ...available, resources }));
    expect(message).toContain("resources: must hold the image's ARN");
    expect(message).toContain(`(got ${JSON.stringify(resources)})`);
  });
});

describe('Scheduled Event', () => {
  const scheduled = awsExample('scheduled-event');

  it("accepts AWS's published example", () => {
    expect(parseScheduledEvent(scheduled).region).toBe('us-east-1');
  });

  it.each([
    { why: 'no resources', resources: [] },
    {
      why: 'a rule of another region',
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/my-scheduled-rule'],
    },
    {
      why: 'a rule of another account',
      resources: ['arn:aws:events:us-east-1:210987654321:rule/my-scheduled-rule'],
    },
    { why: 'a bus, not a rule', resources: ['arn:aws:events:us-east-1:123456789012:event-bus/default'] },
  ])('refuses $why', ({ resources }) => {
    expect(refusal(() => parseScheduledEvent({ ...scheduled, resources }))).toContain(
      "resources: must hold the schedule's rule ARN",
    );
  });
});
