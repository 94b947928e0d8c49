import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCopySlots } from '../../shared/aws/copy-slots.js';
import type { CopySlots } from '../../shared/core/ports.js';
import { localDynamoDb } from '../support/dynamodb.js';

/**
 * The copy slots adapter through the real DynamoDB client over HTTP, against the local DynamoDB
 * emulator: conditional writes keep the event path at the copy cap, whoever races for a slot.
 */
let local: Awaited<ReturnType<typeof localDynamoDb>>;
let client: DynamoDBClient;
let table: string;
let slots: CopySlots;
let clock = Date.parse('2026-12-01T10:00:00Z');

const entry = (key: string, created: string) => ({ key, rule: 'golden', sourceCreationDate: created });

beforeAll(async () => {
  local = await localDynamoDb('eu-west-1');
  client = local.client;
});

afterAll(async () => {
  await local.close();
});

beforeEach(async () => {
  clock = Date.parse('2026-12-01T10:00:00Z');
  table = await local.table('slots');
  slots = createCopySlots(client, table, 'eu-west-1', () => clock);
});

async function held(): Promise<{ inFlight: string[]; deferred: string[] }> {
  const output = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: 'copy-slots' } } }),
  );
  return {
    inFlight: Object.keys(output.Item?.inFlight?.M ?? {}).sort(),
    deferred: Object.keys(output.Item?.deferred?.M ?? {}).sort(),
  };
}

describe('copy slots', () => {
  it('takes slots up to the cap, then defers; a key already holding one keeps it', async () => {
    expect(await slots.acquire('us-east-1/ami-1', 2, entry('us-east-1/ami-1', '2026-11-01'))).toBe(true);
    expect(await slots.acquire('us-east-1/ami-2', 2, entry('us-east-1/ami-2', '2026-11-02'))).toBe(true);
    expect(await slots.acquire('us-east-1/ami-3', 2, entry('us-east-1/ami-3', '2026-11-03'))).toBe(false);
    // A repeat (a duplicate event, a Lambda retry) of a copy holding a slot is not deferred.
    expect(await slots.acquire('us-east-1/ami-1', 2, entry('us-east-1/ami-1', '2026-11-01'))).toBe(true);
    expect(await held()).toEqual({
      inFlight: ['us-east-1/ami-1', 'us-east-1/ami-2'],
      deferred: ['us-east-1/ami-3'],
    });
  });

  it('twenty handlers racing for two slots: exactly two win', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `us-east-1/ami-${i}`);
    const won = await Promise.all(keys.map((k) => slots.acquire(k, 2, entry(k, '2026-11-01'))));
    expect(won.filter(Boolean)).toHaveLength(2);
    expect((await held()).inFlight).toHaveLength(2);
    expect((await held()).deferred).toHaveLength(18);
  });

  it('a release hands the slot to the newest deferred copy', async () => {
    await slots.acquire('us-east-1/ami-1', 1, entry('us-east-1/ami-1', '2026-11-01'));
    await slots.acquire('us-east-1/ami-old', 1, entry('us-east-1/ami-old', '2026-10-01'));
    await slots.acquire('us-east-1/ami-new', 1, entry('us-east-1/ami-new', '2026-11-20'));
    expect(await slots.release('us-east-1/ami-1', 1)).toEqual(entry('us-east-1/ami-new', '2026-11-20'));
    expect(await held()).toEqual({ inFlight: ['us-east-1/ami-new'], deferred: ['us-east-1/ami-old'] });
    // Nothing free: the next release of a key that holds nothing starts nothing.
    expect(await slots.release('us-east-1/ami-none', 1)).toBeUndefined();
  });

  it('a release with nothing ever taken starts nothing', async () => {
    expect(await slots.release('us-east-1/ami-1', 5)).toBeUndefined();
  });

  it('resync: slots for copies seen pending, none for lost ones older than the grace, no deferral for copies that exist', async () => {
    await slots.acquire('us-east-1/ami-lost', 3, entry('us-east-1/ami-lost', '2026-11-01'));
    clock += 60 * 60 * 1000;
    await slots.acquire('us-east-1/ami-fresh', 3, entry('us-east-1/ami-fresh', '2026-11-02'));
    await slots.acquire('us-east-1/ami-x', 2, entry('us-east-1/ami-x', '2026-11-03'));
    await slots.acquire('us-east-1/ami-y', 2, entry('us-east-1/ami-y', '2026-11-04'));
    // ami-lost: taken an hour ago, not pending any more (its event was lost). ami-fresh: just taken,
    // not listed yet. ami-seen: pending, started by the schedule. ami-y: deferred, copied since.
    await slots.resync(
      ['us-east-1/ami-seen'],
      ['us-east-1/ami-seen', 'us-east-1/ami-y'],
      new Date(clock - 10 * 60 * 1000),
    );
    expect(await held()).toEqual({
      inFlight: ['us-east-1/ami-fresh', 'us-east-1/ami-seen'],
      deferred: ['us-east-1/ami-x'],
    });
  });
});
