import { afterAll, beforeAll, describe, it } from 'vitest';
import type { PutRecord } from '../../src/eventbridge/bus.js';
import type { LocalServer } from '../../src/server.js';
import { amiStateChange } from '../ami-event.js';
import { serveEventBridge } from '../eventbridge-server.js';
import { aws as awsCli } from './aws.js';

/** The AWS CLI's `events` commands (botocore, AWS JSON 1.1) against the local EventBridge API. */

let server: LocalServer;
const puts: PutRecord[] = [];

beforeAll(async () => {
  server = await serveEventBridge(puts);
});

afterAll(() => server.close());

const aws = (...args: string[]) =>
  awsCli(['events', ...args], {
    endpoint: server.endpoint,
    region: 'us-east-1',
    accessKeyId: 'AKIDLOCAL',
    secretAccessKey: 'local-secret',
  });

describe.concurrent('the aws CLI against the local EventBridge', () => {
  it('test-event-pattern: a match, and an invalid pattern refused with the reason', async ({ expect }) => {
    const event = amiStateChange('failed');
    const [matched, invalid] = await Promise.all([
      aws(
        'test-event-pattern',
        '--event-pattern',
        '{"detail":{"State":[{"anything-but":"available"}]}}',
        '--event',
        event,
      ),
      aws('test-event-pattern', '--event-pattern', '{"detail":{"State":[]}}', '--event', event),
    ]);
    expect(matched.code).toBe(0);
    expect(JSON.parse(matched.stdout)).toEqual({ Result: true });
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/InvalidEventPatternException.*Empty arrays are not allowed/s);
  });

  it('put-events with a partial failure', async ({ expect }) => {
    const { code, stdout } = await aws(
      'put-events',
      '--entries',
      JSON.stringify([
        { Source: 'cli', DetailType: 'ok', Detail: '{"a":1}' },
        { Source: 'cli', DetailType: 'bad', Detail: 'nope' },
      ]),
    );
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.FailedEntryCount).toBe(1);
    expect(output.Entries[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(puts.map((put) => put.event.detail)).toEqual([{ a: 1 }]);
  });
});
