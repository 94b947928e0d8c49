import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePattern, parseJson } from '../src/index.js';

/** The example events AWS publishes in its documentation, as EventBridge delivers them. */
const fixture = (name: string): unknown =>
  parseJson(readFileSync(new URL(`../examples/${name}.json`, import.meta.url), 'utf8'));

const available = fixture('ec2-ami-state-change-available');
const failed = fixture('ec2-ami-state-change-failed');
const deregistered = fixture('ec2-ami-state-change-deregistered');
const disabled = fixture('ec2-ami-state-change-disabled');
const imageBuilder = fixture('imagebuilder-image-state-change');
const copyImageCall = fixture('cloudtrail-api-call-copyimage.ASSEMBLED');
const scheduled = fixture('scheduled-event');
const all = { available, failed, deregistered, disabled, imageBuilder, copyImageCall, scheduled };

interface FixtureCase {
  pattern: unknown;
  matching: Array<keyof typeof all>;
  reason: string;
}

const cases: FixtureCase[] = [
  {
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['EC2 AMI State Change'],
      detail: { State: ['available'] },
    },
    matching: ['available'],
    reason: 'the tool pattern for available AMIs matches the available event only',
  },
  {
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['EC2 AMI State Change'],
      detail: { state: ['available'] },
    },
    matching: [],
    reason: 'detail.state (lower case) matches nothing: AMI detail keys are PascalCase',
  },
  {
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] },
    matching: ['available', 'failed', 'deregistered', 'disabled'],
    reason: 'every AMI state change',
  },
  {
    pattern: {
      'detail-type': ['EC2 AMI State Change'],
      detail: { State: [{ 'anything-but': ['available'] }] },
    },
    matching: ['failed', 'deregistered', 'disabled'],
    reason: 'anything-but available',
  },
  {
    pattern: { detail: { ErrorMessage: [{ 'anything-but': '' }] } },
    matching: ['failed'],
    reason: 'a non-empty ErrorMessage identifies the failed event',
  },
  {
    pattern: { resources: [{ prefix: 'arn:aws:ec2:us-east-1::image/' }] },
    matching: ['available', 'failed', 'deregistered', 'disabled'],
    reason: 'resources hold the image ARN with an empty account field',
  },
  {
    pattern: {
      source: ['aws.imagebuilder'],
      'detail-type': ['EC2 Image Builder Image State Change'],
      detail: { state: { status: ['AVAILABLE'] } },
    },
    matching: ['imageBuilder'],
    reason: 'the Image Builder pattern (upper-case status)',
  },
  {
    pattern: { source: ['aws.imagebuilder'], detail: { state: { status: ['available'] } } },
    matching: [],
    reason: 'Image Builder statuses are upper case',
  },
  {
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['ec2.amazonaws.com'],
        eventName: ['CopyImage', 'CreateImage', 'RegisterImage'],
      },
    },
    matching: ['copyImageCall'],
    reason: 'the documented CloudTrail pattern for image API calls',
  },
  {
    pattern: { detail: { sourceIPAddress: [{ cidr: '205.251.233.0/24' }] } },
    matching: ['copyImageCall'],
    reason: 'cidr on the CloudTrail source IP',
  },
  {
    pattern: { source: ['aws.events'], 'detail-type': ['Scheduled Event'] },
    matching: ['scheduled'],
    reason: 'the scheduled event',
  },
];

describe('tool patterns against the published example events', () => {
  it.each(cases)('$reason', ({ pattern, matching }) => {
    const compiled = compilePattern(pattern);
    const matched = Object.entries(all)
      .filter(([, event]) => compiled.matches(event))
      .map(([name]) => name);
    expect(matched.sort()).toEqual([...matching].sort());
  });
});
