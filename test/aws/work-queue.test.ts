import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createWorkQueue } from '../../shared/aws/work-queue.js';
import type { MemberWorkItem } from '../../shared/core/ports.js';
import { callError } from '../support/aws-errors.js';
import { restoreAfterAll } from '../support/sdk-mocks.js';

/** The work queue over a mocked client: entries SQS refuses inside a 200 answer fail the send. */
const sqsMock = mockClient(SQSClient);
restoreAfterAll(sqsMock);
const URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/ami-lifecycle-dev-member-work';
const item = (account: string): MemberWorkItem => ({ account, region: 'eu-west-1', rules: ['golden'] });

beforeEach(() => sqsMock.reset());

describe('work queue', () => {
  it('nothing to send: no call', async () => {
    await createWorkQueue(new SQSClient({ region: 'eu-west-1' }), URL, 'eu-west-1').send([]);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('a refused entry SQS blames on itself: retryable, naming the item', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
    });
    const error = await callError(
      createWorkQueue(new SQSClient({ region: 'eu-west-1' }), URL, 'eu-west-1').send([
        item('222222222222'),
        item('333333333333'),
      ]),
    );
    expect([error.operation, error.code, error.retryable]).toEqual([
      'SendMessageBatch',
      'InternalError',
      true,
    ]);
    expect(error.message).toContain('account 333333333333 in eu-west-1');
  });

  it("a refused entry that is the sender's fault: terminal", async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad' }],
    });
    const error = await callError(
      createWorkQueue(new SQSClient({ region: 'eu-west-1' }), URL, 'eu-west-1').send([item('222222222222')]),
    );
    expect(error.retryable).toBe(false);
  });
});
