import { afterAll, beforeAll, describe, it } from 'vitest';
import type { PutRecord } from '../../src/eventbridge/bus.js';
import type { LocalServer } from '../../src/server.js';
import { EVENTBRIDGE_ACCOUNT, serveEventBridge } from '../eventbridge-server.js';
import { aws as awsCli } from './aws.js';

/** The AWS CLI's `events put-permission` and `put-events` across accounts (12-digit access keys). */

const HOME = EVENTBRIDGE_ACCOUNT;
const MEMBER = '444455556666';
const BUS_ARN = `arn:aws:events:us-east-1:${HOME}:event-bus/ami-lifecycle-dev`;

let server: LocalServer;
const puts: PutRecord[] = [];

beforeAll(async () => {
  server = await serveEventBridge(puts);
});

afterAll(() => server.close());

const aws = (account: string, ...args: string[]) =>
  awsCli(['events', ...args], { endpoint: server.endpoint, region: 'us-east-1', accessKeyId: account });
const entries = JSON.stringify([
  { Source: 'member.test', DetailType: 'Probe', Detail: '{}', EventBusName: BUS_ARN },
]);

describe('the aws CLI: PutEvents to another account bus', () => {
  it('fails the entry AccessDeniedException until put-permission lets the account in', async ({ expect }) => {
    const refused = await aws(MEMBER, 'put-events', '--entries', entries);
    expect(refused.code).toBe(0);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException' }],
    });
    const granted = await aws(
      HOME,
      'put-permission',
      '--event-bus-name',
      'ami-lifecycle-dev',
      '--action',
      'events:PutEvents',
      '--principal',
      MEMBER,
      '--statement-id',
      'member',
    );
    expect(granted.code).toBe(0);
    const accepted = await aws(MEMBER, 'put-events', '--entries', entries);
    expect(JSON.parse(accepted.stdout)).toMatchObject({ FailedEntryCount: 0 });
    expect(puts.map((record) => [record.bus, record.event.account])).toEqual([['ami-lifecycle-dev', MEMBER]]);
  });

  it('put-rule and put-targets forward to a bus ARN', async ({ expect }) => {
    const rule = await aws(
      MEMBER,
      'put-rule',
      '--name',
      'to-central',
      '--event-pattern',
      '{"source":["aws.ec2"]}',
    );
    expect(rule.code).toBe(0);
    expect(JSON.parse(rule.stdout)).toEqual({
      RuleArn: `arn:aws:events:us-east-1:${MEMBER}:rule/to-central`,
    });
    const targets = await aws(
      MEMBER,
      'put-targets',
      '--rule',
      'to-central',
      '--targets',
      `Id=central,Arn=${BUS_ARN}`,
    );
    expect(targets.code).toBe(0);
    expect(JSON.parse(targets.stdout)).toEqual({ FailedEntryCount: 0, FailedEntries: [] });
  });
});
