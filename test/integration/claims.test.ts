import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_LEASE_MS, createCompletionClaims } from '../../shared/aws/claims.js';
import { createTargetsMemory } from '../../shared/aws/targets-memory.js';
import { AwsCallError } from '../../shared/core/errors.js';
import { localDynamoDb } from '../support/dynamodb.js';

/**
 * The completion claims adapter through the real DynamoDB client over HTTP, against the local
 * DynamoDB emulator: the conditional writes are what make `AMI Distribution Completed` once.
 */
let local: Awaited<ReturnType<typeof localDynamoDb>>;
let client: DynamoDBClient;
let table: string;
let clock = Date.parse('2026-11-26T10:00:00Z');
const now = () => clock;

beforeAll(async () => {
  local = await localDynamoDb('us-east-1');
  client = local.client;
});

afterAll(async () => {
  await local.close();
});

beforeEach(async () => {
  clock = Date.parse('2026-11-26T10:00:00Z');
  table = await local.table('claims');
});

const item = async (key: string) =>
  (await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: key } }, ConsistentRead: true })))
    .Item;

describe('createCompletionClaims (DynamoDB)', () => {
  it('twenty concurrent claims on one family: exactly one is claimed, the others see it in progress', async () => {
    const claims = createCompletionClaims(client, table, 'us-east-1', now);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => claims.claim('k', `owner-${i}`)));

    expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'in-progress')).toHaveLength(19);
    expect((await item('k'))?.status).toEqual({ S: 'claimed' });
  });

  it('published: later claims answer published, and the item keeps a TTL far ahead', async () => {
    const claims = createCompletionClaims(client, table, 'us-east-1', now);
    expect(await claims.claim('k', 'a')).toBe('claimed');
    expect(await claims.published('k', 'a')).toBe(true);

    expect(await claims.claim('k', 'b')).toBe('published');
    const stored = await item('k');
    expect(stored?.status).toEqual({ S: 'published' });
    expect(stored?.leaseUntil).toBeUndefined();
    expect(Number(stored?.expiresAt?.N)).toBeGreaterThan(clock / 1000 + 365 * 86400);
  });

  it('a claim whose holder died is taken over once its lease has run out, not before', async () => {
    const claims = createCompletionClaims(client, table, 'us-east-1', now);
    expect(await claims.claim('k', 'dead')).toBe('claimed');

    clock += CLAIM_LEASE_MS - 1;
    expect(await claims.claim('k', 'b')).toBe('in-progress');
    clock += 2;
    expect(await claims.claim('k', 'b')).toBe('claimed');
    // The old holder can no longer mark it: the new one owns it.
    expect(await claims.published('k', 'dead')).toBe(false);
    expect(await claims.published('k', 'b')).toBe(true);
  });

  it('release gives the claim back at once; releasing a claim one does not hold changes nothing', async () => {
    const claims = createCompletionClaims(client, table, 'us-east-1', now);
    expect(await claims.claim('k', 'a')).toBe('claimed');
    await claims.release('k', 'somebody-else');
    expect(await claims.claim('k', 'b')).toBe('in-progress');

    await claims.release('k', 'a');
    expect(await item('k')).toBeUndefined();
    expect(await claims.claim('k', 'b')).toBe('claimed');
  });

  it('a published claim is never released', async () => {
    const claims = createCompletionClaims(client, table, 'us-east-1', now);
    await claims.claim('k', 'a');
    await claims.published('k', 'a');
    await claims.release('k', 'a');
    expect(await claims.claim('k', 'b')).toBe('published');
  });

  it('a missing table is an AwsCallError naming the operation, not retryable', async () => {
    const claims = createCompletionClaims(client, 'no-such-table', 'us-east-1', now);
    const error = await claims.claim('k', 'a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      operation: 'PutItem',
      code: 'ResourceNotFoundException',
      retryable: false,
    });
  });
});

describe('createTargetsMemory (DynamoDB)', () => {
  it("swaps a rule's targets atomically: nothing the first time, then the set it replaced; an empty set is kept too", async () => {
    const memory = createTargetsMemory(client, table, 'us-east-1');
    expect(await memory.swap('golden', ['333333333333', '222222222222'])).toBeUndefined();
    expect(await memory.swap('golden', ['444444444444'])).toEqual(['222222222222', '333333333333']);
    expect(await memory.swap('golden', [])).toEqual(['444444444444']);
    expect(await memory.swap('golden', ['222222222222'])).toEqual([]);
    // Rules are kept apart.
    expect(await memory.swap('windows', ['222222222222'])).toBeUndefined();
  });

  it('of ten runs swapping the same new set together, exactly one gets the old set back', async () => {
    const memory = createTargetsMemory(client, table, 'us-east-1');
    await memory.swap('golden', ['222222222222']);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => memory.swap('golden', ['222222222222', '333333333333'])),
    );
    expect(answers.filter((a) => a?.length === 1)).toHaveLength(1);
  });
});
