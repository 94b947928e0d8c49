import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../schemas/examples.js';
import { InvalidEventError } from '../../shared/core/errors.js';
import { DetailSchemas, type DetailTypeName } from '../../shared/core/notifications.js';
import { parseAmiStateChangeEvent } from '../../shared/events/ami-state-change.js';
import { parseDeadLetter } from '../../shared/events/dead-letter.js';
import { parseMemberWorkEvent } from '../../shared/events/member-work.js';
import { parseScheduledEvent } from '../../shared/events/scheduled.js';
import { parseToolEventEnvelope, validDetail } from '../../shared/notify/envelope.js';
import { awsExample } from '../support/aws-examples.js';
import { mutated } from '../support/mutate.js';

/**
 * Every parser at the edge, fed anything: it returns a result or throws the project's typed
 * `InvalidEventError` with a message; never another exception (a TypeError from an unexpected shape,
 * a stack overflow, a message that says nothing). The inputs are arbitrary values and, more to the
 * point, AWS's own example events with one field replaced by anything or removed.
 */

const inputs = (valid: unknown) => fc.oneof(fc.anything(), mutated(valid), mutated(valid));

/** What happens to `input`: a result, or the typed error with a message; anything else fails the property. */
function outcomeOf(parse: () => unknown): 'parsed' | 'refused' {
  try {
    parse();
    return 'parsed';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as InvalidEventError).message.length).toBeGreaterThan(10);
    return 'refused';
  }
}

describe('event parsers never throw anything but InvalidEventError', () => {
  it("member work (SQS): a batch parses, each bad body its record's error; anything else refused with a message", () => {
    const batch = {
      Records: [
        {
          messageId: 'm-1',
          body: JSON.stringify({ account: '222222222222', region: 'eu-west-1', rules: ['golden'] }),
        },
      ],
    };
    expect(outcomeOf(() => parseMemberWorkEvent(batch))).toBe('parsed');
    fc.assert(
      fc.property(inputs(batch), (input) => {
        outcomeOf(() => parseMemberWorkEvent(input));
      }),
    );
    fc.assert(
      fc.property(fc.string(), (body) => {
        for (const record of parseMemberWorkEvent({ Records: [{ messageId: 'm', body }] }))
          if ('error' in record) expect(record.error).toBeInstanceOf(InvalidEventError);
      }),
    );
  });

  it('EC2 AMI State Change: AWS examples parse; any mutation parses or is refused with a message', () => {
    const names = ['available', 'failed', 'deregistered', 'disabled'];
    for (const name of names)
      expect(outcomeOf(() => parseAmiStateChangeEvent(awsExample(`ec2-ami-state-change-${name}`)))).toBe(
        'parsed',
      );
    for (const name of names)
      fc.assert(
        fc.property(inputs(awsExample(`ec2-ami-state-change-${name}`)), (input) => {
          outcomeOf(() => parseAmiStateChangeEvent(input));
        }),
      );
  });

  it('Scheduled Event: the AWS example parses; any mutation parses or is refused with a message', () => {
    expect(outcomeOf(() => parseScheduledEvent(awsExample('scheduled-event')))).toBe('parsed');
    fc.assert(
      fc.property(inputs(awsExample('scheduled-event')), (input) => {
        outcomeOf(() => parseScheduledEvent(input));
      }),
    );
  });

  it("the tool's own events: every example envelope and detail parses; any mutation parses or is refused", () => {
    for (const [type, detail] of Object.entries(EXAMPLES) as [DetailTypeName, unknown][]) {
      const envelope = {
        version: '0',
        id: 'e0b0c0d0-0000-4000-8000-000000000000',
        'detail-type': type,
        source: 'ami-lifecycle',
        account: '111122223333',
        time: '2026-12-03T10:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail,
      };
      const parseBoth = (input: unknown) => () => {
        const parsed = parseToolEventEnvelope(input);
        return validDetail(type, DetailSchemas[type], parsed.detail);
      };
      expect(outcomeOf(parseBoth(envelope)), type).toBe('parsed');
      fc.assert(
        fc.property(inputs(envelope), (input) => {
          outcomeOf(parseBoth(input));
        }),
        { numRuns: 50 },
      );
    }
  });

  it('dead letters: any body, JSON or not, with any attributes, parses or is refused with a message', () => {
    const record = {
      version: '1.0',
      timestamp: '2026-12-03T10:00:00.000Z',
      requestContext: {
        requestId: 'r-1',
        functionArn:
          'arn:aws:lambda:us-east-1:111122223333:function:ami-lifecycle-dev-amiStateChange:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: awsExample('ec2-ami-state-change-available'),
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'AwsCallError', errorMessage: 'Throttling' },
    };
    expect(outcomeOf(() => parseDeadLetter(JSON.stringify(record)))).toBe('parsed');
    const attributes = fc.dictionary(
      fc.constantFrom('ERROR_CODE', 'ERROR_MESSAGE', 'RETRY_ATTEMPTS', 'OTHER'),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          inputs(record).map((value) => JSON.stringify(value) ?? 'undefined'),
        ),
        attributes,
        (body, attrs) => {
          outcomeOf(() => parseDeadLetter(body, attrs));
        },
      ),
    );
  });
});
