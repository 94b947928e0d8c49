import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import type { LocalStack } from '@ami-lifecycle/emulator/stack.js';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { BatchResponse } from '../shared/core/member-work.js';

/** One batch the member-work function was invoked with, as the demo shows it. */
export interface MemberWorkBatch {
  /** ms since `origin` (default: since the drain started). */
  at: number;
  ms: number;
  /** `account region` of each item, with `(copy ami-…)` for an item queued by a forwarded event. */
  items: string[];
  failed: number;
  /** The items, as queued (each message's body, parsed). */
  bodies: unknown[];
}

interface WorkItem {
  account?: string;
  region?: string;
  imageId?: string;
}

/**
 * What Lambda's SQS event source does for the `memberWork` function (the local stack does not run
 * SQS event sources): receive a batch of up to 10, invoke the function with it, delete what it
 * did not report failed; until the queue stays empty while nothing else is left to happen.
 */
export async function drainMemberWork(
  stack: LocalStack,
  options: { account: string; region: string; queue: string; origin?: number },
): Promise<MemberWorkBatch[]> {
  const { handler } = await import('../functions/member-work.js');
  const { account, region, queue } = options;
  const sqs = new SQSClient({
    region,
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const url = `${stack.endpoint}/${account}/${queue}`;
  const arn = `arn:aws:sqs:${region}:${account}:${queue}`;
  const started = options.origin ?? Date.now();
  const batches: MemberWorkBatch[] = [];
  let idle = 0;
  for (let round = 0; round < 60; round++) {
    await stack.settle();
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, AttributeNames: ['All'] }),
    );
    if (Messages.length === 0) {
      // An event forwarded from a member account's bus may still be on its way to the hub's.
      if (++idle === 3) return batches;
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    idle = 0;
    const at = Date.now() - started;
    const response = (await handler(
      {
        Records: Messages.map((m) => ({
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          attributes: m.Attributes ?? {},
          messageAttributes: {},
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: arn,
          awsRegion: region,
        })),
      },
      lambdaContext({
        functionName: 'ami-lifecycle-dev-memberWork',
        awsRequestId: `demo-${round}`,
        region,
        accountId: account,
        timeoutSeconds: 900,
      }),
    )) as BatchResponse;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const items: string[] = [];
    const bodies: unknown[] = [];
    for (const m of Messages) {
      const item = JSON.parse(m.Body ?? '{}') as WorkItem;
      bodies.push(item);
      items.push(`${item.account} ${item.region}${item.imageId ? ` (copy ${item.imageId})` : ''}`);
      if (!failed.has(m.MessageId ?? ''))
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
    batches.push({ at, ms: Date.now() - started - at, items, failed: failed.size, bodies });
  }
  throw new Error(`the member-work queue ${queue} never emptied`);
}
