import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AwsCallError, awsCall } from '../core/errors.js';
import type { MemberWorkItem, WorkQueue } from '../core/ports.js';

/** SendMessageBatch takes at most 10 entries a call (and 256 KiB in all; an item is far below). */
const BATCH = 10;

/**
 * The fan-out's queue over an SDK client: each item one message whose body is the item as JSON
 * (what the member-work function parses), 10 a call. SQS answers a batch with 200 and lists the
 * entries it refused in `Failed`: any of them fails the send, retryable unless SQS says the
 * sender is at fault, so the caller's retry sends the batch again (an item sent twice is
 * reconciled twice, which changes nothing the second time).
 */
export function createWorkQueue(client: SQSClient, queueUrl: string, region: string): WorkQueue {
  return {
    async send(items) {
      for (let i = 0; i < items.length; i += BATCH) {
        const batch = items.slice(i, i + BATCH);
        const output = await awsCall('SendMessageBatch', region, () =>
          client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((item, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify(itemBody(item)),
              })),
            }),
          ),
        );
        const [failed] = output.Failed ?? [];
        if (failed !== undefined) {
          const item = batch[Number(failed.Id)];
          const detail = Object.assign(
            new Error(
              `${output.Failed?.length ?? 1} of ${batch.length} messages refused; the first, for account ${item?.account ?? '?'} in ${item?.region ?? '?'}: ${failed.Message ?? ''}`,
            ),
            { name: failed.Code ?? 'SendMessageBatchEntryFailed' },
          );
          throw new AwsCallError('SendMessageBatch', region, detail, failed.SenderFault !== true);
        }
      }
    },
  };
}

/** Only the item's fields, in a fixed order: the body is the contract with the member-work function. */
function itemBody(item: MemberWorkItem): MemberWorkItem {
  return {
    account: item.account,
    region: item.region,
    rules: [...item.rules],
    ...(item.release === undefined ? {} : { release: item.release }),
    ...(item.imageId === undefined ? {} : { imageId: item.imageId }),
    ...(item.expected === undefined ? {} : { expected: item.expected }),
  };
}
