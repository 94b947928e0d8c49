import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { rethrowClassified } from '../core/errors.js';
import type { ClaimOutcome, CompletionClaims } from '../core/ports.js';

/** How long a claim holds before another caller may take it over: far longer than one PutEvents. */
export const CLAIM_LEASE_MS = 2 * 60 * 1000;
/** A release's regions done are attributes `done:<region>` = the image there. */
const DONE_PREFIX = 'done:';
/** Items expire (DynamoDB TTL) long after any event of their family could still arrive. */
const RETENTION_SECONDS = 400 * 24 * 60 * 60;

/**
 * Completion claims in a DynamoDB table (key `pk`), one item per family and set of targets:
 * `status` is `claimed` (with `owner` and `leaseUntil`, epoch ms) or `published`. Every write is
 * conditional, so of any number of concurrent callers exactly one gets `claimed`. Beside it, the
 * release's regions done (`<key>/regions`).
 */
export function createCompletionClaims(
  client: DynamoDBClient,
  tableName: string,
  region: string,
  now: () => number = Date.now,
): CompletionClaims {
  // A failed condition is an answer, not a failure: it is caught below, where it decides.
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      rethrowClassified(operation, region, error);
    }
  };
  return {
    async claim(key, owner): Promise<ClaimOutcome> {
      const at = now();
      try {
        await call('PutItem', () =>
          client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                pk: { S: key },
                status: { S: 'claimed' },
                owner: { S: owner },
                leaseUntil: { N: String(at + CLAIM_LEASE_MS) },
                expiresAt: { N: String(Math.floor(at / 1000) + RETENTION_SECONDS) },
              },
              ConditionExpression: 'attribute_not_exists(pk) OR (#status = :claimed AND leaseUntil < :now)',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':claimed': { S: 'claimed' }, ':now': { N: String(at) } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        );
        return 'claimed';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return error.Item?.status?.S === 'published' ? 'published' : 'in-progress';
      }
    },

    async published(key, owner) {
      try {
        await call('UpdateItem', () =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: { pk: { S: key } },
              UpdateExpression: 'SET #status = :published, publishedAt = :now REMOVE leaseUntil',
              ConditionExpression: '#owner = :owner',
              ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
              ExpressionAttributeValues: {
                ':published': { S: 'published' },
                ':now': { N: String(now()) },
                ':owner': { S: owner },
              },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        return false;
      }
    },

    async markDone(key, doneRegion, imageId, imageName) {
      // One item per release beside the claim (`<key>/regions`), one attribute per region done:
      // SET of a top-level attribute needs no item to exist first, and ALL_NEW returns every
      // region recorded so far, this write included, atomically.
      const output = await call('UpdateItem', () =>
        client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: `${key}/regions` } },
            UpdateExpression: `SET #region = :imageId, expiresAt = if_not_exists(expiresAt, :expires), firstDoneAt = if_not_exists(firstDoneAt, :at)${imageName === undefined ? '' : ', imageName = :name'}`,
            ExpressionAttributeNames: { '#region': `${DONE_PREFIX}${doneRegion}` },
            ExpressionAttributeValues: {
              ':imageId': { S: imageId },
              ':expires': { N: String(Math.floor(now() / 1000) + RETENTION_SECONDS) },
              // The release's completion time (a metric) is measured from its first region done.
              ':at': { S: new Date(now()).toISOString() },
              ...(imageName === undefined ? {} : { ':name': { S: imageName } }),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      const regions = new Map<string, string>();
      const attributes = output.Attributes ?? {};
      for (const [name, value] of Object.entries(attributes)) {
        if (name.startsWith(DONE_PREFIX) && value.S !== undefined)
          regions.set(name.slice(DONE_PREFIX.length), value.S);
      }
      const stored = attributes.imageName?.S;
      const firstDoneAt = attributes.firstDoneAt?.S;
      return {
        regions,
        ...(stored === undefined ? {} : { imageName: stored }),
        ...(firstDoneAt === undefined ? {} : { firstDoneAt }),
      };
    },

    async release(key, owner) {
      try {
        await call('DeleteItem', () =>
          client.send(
            new DeleteItemCommand({
              TableName: tableName,
              Key: { pk: { S: key } },
              ConditionExpression: '#owner = :owner AND #status = :claimed',
              ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
              ExpressionAttributeValues: { ':owner': { S: owner }, ':claimed': { S: 'claimed' } },
            }),
          ),
        );
      } catch (error) {
        // Not ours any more (taken over after the lease): nothing to give up.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
