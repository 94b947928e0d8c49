import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  isObject,
  lambdaFunctions,
  list,
  queueOf,
  resourcesOfType,
  roleStatements,
  type Stack,
  sqsEventSources,
} from './checks.js';

/**
 * Checks on the work queues (queues a function's SQS event source reads), which the generic queue
 * check leaves out: their messages are visible as a matter of course, so their dead-letter queue
 * carries the 14 days and the alarm. Each returns its violations as readable lines.
 */

/** How many receives a work item gets before its queue moves it to the dead-letter queue. */
export const MAX_RECEIVES = 3;

/** AWS's recommendation for an SQS event source: a visibility timeout of 6 times the function's timeout. */
export const VISIBILITY_FACTOR = 6;

/**
 * Every SQS event source: its queue redrives to a dead-letter queue of the stack after
 * `MAX_RECEIVES` receives, hides a message 6 times the function's timeout, the function reports
 * partial batch failures, and its concurrency is capped.
 */
export function checkWorkQueues(stack: Stack): string[] {
  const violations: string[] = [];
  const queues = new Map(resourcesOfType(stack, 'AWS::SQS::Queue'));
  const functions = new Map(resourcesOfType(stack, 'AWS::Lambda::Function'));
  for (const source of sqsEventSources(stack)) {
    const say = (message: string) => violations.push(`${source.id} (${source.queue}): ${message}`);
    const queue = queues.get(source.queue) ?? {};
    const redrive = isObject(queue.RedrivePolicy) ? queue.RedrivePolicy : {};
    const dlq = queueOf(stack, redrive.deadLetterTargetArn);
    if (dlq === undefined || dlq === source.queue)
      say('no RedrivePolicy to a dead-letter queue of the stack');
    if (redrive.maxReceiveCount !== MAX_RECEIVES)
      say(`maxReceiveCount ${String(redrive.maxReceiveCount)}, not ${MAX_RECEIVES}`);
    const timeout = functions.get(source.fn)?.Timeout;
    const visibility = queue.VisibilityTimeout;
    if (
      typeof timeout !== 'number' ||
      typeof visibility !== 'number' ||
      visibility < VISIBILITY_FACTOR * timeout
    )
      say(
        `VisibilityTimeout ${String(visibility)} is below ${VISIBILITY_FACTOR} × the function's Timeout ${String(timeout)}`,
      );
    if (!isDeepStrictEqual(list(source.props.FunctionResponseTypes), ['ReportBatchItemFailures']))
      say('FunctionResponseTypes is not [ReportBatchItemFailures]: one failed message would retry the batch');
    const scaling = isObject(source.props.ScalingConfig)
      ? source.props.ScalingConfig.MaximumConcurrency
      : undefined;
    if (typeof scaling !== 'number' || scaling < 2 || scaling > 1000)
      say(`ScalingConfig.MaximumConcurrency ${String(scaling)} is not set (2-1000)`);
  }
  return violations;
}

/** Partition, account and stage as the packaged template writes them. */
const PARTITION = ['$', '{AWS::Partition}'].join('');
const ACCOUNT = ['$', '{AWS::AccountId}'].join('');

/** The statements of a function's role with this Sid, as written (without where they come from). */
function statementsWithSid(stack: Stack, fnName: string, sid: string): unknown[] {
  const fn = lambdaFunctions(stack).find((f) => f.name === fnName);
  if (fn === undefined) throw new Error(`no function ${fnName}`);
  return roleStatements(stack, fn)
    .statements.filter((s) => s.Sid === sid)
    .map(({ from: _from, ...statement }) => statement);
}

/** The member-work queue, its dead-letter queue, its event source and the IAM of the fan-out, exactly. */
export function memberWorkTests(context: { stack: () => Stack }): void {
  describe('organization fan-out: the member-work queue and function', () => {
    it('the queue redrives to its dead-letter queue after 3 receives, hides a message 6 × the timeout; the function reports partial failures, its concurrency capped', () => {
      const stack = context.stack();
      expect(checkWorkQueues(stack)).toEqual([]);
      const [source, ...others] = sqsEventSources(stack);
      expect(others).toEqual([]);
      expect(source?.queue).toBe('MemberWorkQueue');
      expect(lambdaFunctions(stack).find((f) => f.logicalId === source?.fn)?.name).toBe('memberWork');
      expect(source?.props).toMatchObject({
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
      const queues = Object.fromEntries(resourcesOfType(stack, 'AWS::SQS::Queue'));
      expect(queues.MemberWorkQueue).toMatchObject({
        VisibilityTimeout: 5400,
        MessageRetentionPeriod: 86400,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': ['MemberWorkDeadLetterQueue', 'Arn'] },
          maxReceiveCount: 3,
        },
      });
      expect(queues.MemberWorkDeadLetterQueue).toMatchObject({ MessageRetentionPeriod: 1209600 });
    });

    it('memberWork: consumes its queue, assumes only the member role, publishes only on the tool bus', () => {
      const stack = context.stack();
      const only = (sid: string) => statementsWithSid(stack, 'memberWork', sid);
      expect(only('ConsumeMemberWork')).toEqual([
        {
          Sid: 'ConsumeMemberWork',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          Resource: { 'Fn::GetAtt': ['MemberWorkQueue', 'Arn'] },
        },
      ]);
      expect(only('AssumeTheMemberRole')).toEqual([
        {
          Sid: 'AssumeTheMemberRole',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: { 'Fn::Sub': `arn:${PARTITION}:iam::*:role/ami-lifecycle-${stack.stage}-member` },
        },
      ]);
      expect(only('PublishOwnEvents')).toEqual([
        {
          Sid: 'PublishOwnEvents',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Sub': `arn:${PARTITION}:events:*:${ACCOUNT}:event-bus/ami-lifecycle-${stack.stage}`,
          },
          Condition: { StringEquals: { 'events:source': 'ami-lifecycle' } },
        },
      ]);
      const memberWork = lambdaFunctions(stack).find((f) => f.name === 'memberWork');
      expect(memberWork?.props.Environment).toMatchObject({
        Variables: { MEMBER_ROLE_NAME: `ami-lifecycle-${stack.stage}-member` },
      });
    });

    it("reconcile: sends to the member-work queue (its URL in MEMBER_WORK_QUEUE_URL); both hub functions describe the account's keys", () => {
      const stack = context.stack();
      expect(statementsWithSid(stack, 'reconcile', 'QueueMemberWork')).toEqual([
        {
          Sid: 'QueueMemberWork',
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': ['MemberWorkQueue', 'Arn'] },
        },
      ]);
      const reconcile = lambdaFunctions(stack).find((f) => f.name === 'reconcile');
      expect(reconcile?.props.Environment).toMatchObject({
        Variables: { MEMBER_WORK_QUEUE_URL: { Ref: 'MemberWorkQueue' } },
      });
      const describeKeys = {
        Sid: 'DescribeOwnKeys',
        Effect: 'Allow',
        Action: 'kms:DescribeKey',
        Resource: { 'Fn::Sub': `arn:${PARTITION}:kms:*:${ACCOUNT}:key/*` },
      };
      for (const fn of ['reconcile', 'amiStateChange'])
        expect(statementsWithSid(stack, fn, 'DescribeOwnKeys'), fn).toEqual([describeKeys]);
      for (const fn of ['notify', 'memberWork'])
        expect(statementsWithSid(stack, fn, 'DescribeOwnKeys'), fn).toEqual([]);
      // The default rules target no account: neither the Organizations reads nor other member roles.
      expect(resourcesOfType(stack, 'AWS::IAM::Policy').map(([id]) => id)).not.toContain(
        'OrganizationsPolicy',
      );
      expect(resourcesOfType(stack, 'AWS::IAM::Policy').map(([id]) => id)).not.toContain(
        'RulesMemberRolesPolicy',
      );
    });
  });
}
