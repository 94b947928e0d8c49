import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowClassified } from '../core/errors.js';
import type { CopySlots } from '../core/ports.js';

/**
 * The copy slots of one region in its DynamoDB table: one item (`copy-slots`) holding two maps,
 * `inFlight` (copy key → when its slot was taken, epoch ms) and `deferred` (copy key → the copy's
 * rule and its source's creation date). Every change is one UpdateItem whose condition decides:
 * `size(inFlight) < cap` takes a slot, so of handlers racing for the last one exactly one wins.
 */

const PK = 'copy-slots';
const NAMES = { '#f': 'inFlight', '#d': 'deferred' };
/** Clauses per UpdateItem of a resync: DynamoDB keeps an update expression under 4 KB. */
const CLAUSES_PER_UPDATE = 40;

export function createCopySlots(
  client: DynamoDBClient,
  tableName: string,
  region: string,
  now: () => number = Date.now,
): CopySlots {
  const key = { pk: { S: PK } };
  const send = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      rethrowClassified(operation, region, error);
    }
  };
  /** The item with both maps, created empty on first use (a lost race to create it is fine). */
  const ensureItem = async () => {
    try {
      await send('PutItem', () =>
        client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...key, inFlight: { M: {} }, deferred: { M: {} } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  };
  /** Takes a slot for `copy` (and drops it from the deferred copies): whether it was free. */
  const take = async (copy: string, cap: number, onlyIfDeferred: boolean): Promise<boolean> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await send('UpdateItem', () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: 'SET #f.#k = :now REMOVE #d.#k',
              ConditionExpression: `attribute_exists(#f) AND (size(#f) < :cap OR attribute_exists(#f.#k))${onlyIfDeferred ? ' AND attribute_exists(#d.#k)' : ''}`,
              ExpressionAttributeNames: { ...NAMES, '#k': copy },
              ExpressionAttributeValues: { ':now': { N: String(now()) }, ':cap': { N: String(cap) } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        if (error.Item?.inFlight?.M !== undefined) return false;
        await ensureItem();
      }
    }
    return false;
  };

  return {
    async acquire(copy, cap, deferred) {
      if (await take(copy, cap, false)) return true;
      await send('UpdateItem', () =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: 'SET #d.#k = :entry',
            ConditionExpression: 'attribute_exists(#d)',
            ExpressionAttributeNames: { '#d': NAMES['#d'], '#k': copy },
            ExpressionAttributeValues: {
              ':entry': {
                M: { rule: { S: deferred.rule }, created: { S: deferred.sourceCreationDate } },
              },
            },
          }),
        ),
      );
      return false;
    },

    async release(copy, cap) {
      let deferred: Record<string, { M?: Record<string, { S?: string }> }>;
      try {
        const output = await send('UpdateItem', () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: 'REMOVE #f.#k',
              ConditionExpression: 'attribute_exists(#f)',
              ExpressionAttributeNames: { '#f': NAMES['#f'], '#k': copy },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        deferred = output.Attributes?.deferred?.M ?? {};
      } catch (error) {
        // No slots item yet: nothing was held, nothing waits.
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
      const newestFirst = Object.entries(deferred)
        .map(([k, v]) => ({ key: k, rule: v.M?.rule?.S ?? '', sourceCreationDate: v.M?.created?.S ?? '' }))
        .sort(
          (a, b) => b.sourceCreationDate.localeCompare(a.sourceCreationDate) || a.key.localeCompare(b.key),
        );
      for (const next of newestFirst) {
        if (await take(next.key, cap, true)) return next;
      }
      return undefined;
    },

    async resync(pending, started, takenBefore) {
      const output = await send('GetItem', () =>
        client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })),
      );
      const inFlight = output.Item?.inFlight?.M;
      const deferred = output.Item?.deferred?.M ?? {};
      if (inFlight === undefined) {
        if (pending.length === 0) return;
        await ensureItem();
      }
      const held = inFlight ?? {};
      const live = new Set(pending);
      const clauses: Array<{ clause: string; copy: string }> = [
        ...pending.filter((k) => held[k] === undefined).map((copy) => ({ clause: 'SET', copy })),
        ...Object.entries(held)
          .filter(([k, v]) => !live.has(k) && Number(v.N ?? 0) < takenBefore.getTime())
          .map(([copy]) => ({ clause: 'REMOVE-F', copy })),
        ...started.filter((k) => deferred[k] !== undefined).map((copy) => ({ clause: 'REMOVE-D', copy })),
      ];
      for (let i = 0; i < clauses.length; i += CLAUSES_PER_UPDATE) {
        const chunk = clauses.slice(i, i + CLAUSES_PER_UPDATE);
        // DynamoDB refuses names the expression does not use: only the maps this chunk touches.
        const names: Record<string, string> = {};
        if (chunk.some((c) => c.clause !== 'REMOVE-D')) names['#f'] = NAMES['#f'];
        if (chunk.some((c) => c.clause === 'REMOVE-D')) names['#d'] = NAMES['#d'];
        const sets: string[] = [];
        const removes: string[] = [];
        chunk.forEach(({ clause, copy }, n) => {
          names[`#k${n}`] = copy;
          if (clause === 'SET') sets.push(`#f.#k${n} = :now`);
          else removes.push(`${clause === 'REMOVE-F' ? '#f' : '#d'}.#k${n}`);
        });
        const expression = [
          sets.length > 0 ? `SET ${sets.join(', ')}` : '',
          removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
        ]
          .filter((part) => part !== '')
          .join(' ');
        await send('UpdateItem', () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: expression,
              ExpressionAttributeNames: names,
              ...(sets.length > 0 ? { ExpressionAttributeValues: { ':now': { N: String(now()) } } } : {}),
            }),
          ),
        );
      }
    },
  };
}
