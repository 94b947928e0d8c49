import { join } from 'node:path';
import { lambdaContext } from '@ami-lifecycle/emulator/eventbridge/bus.js';
import { type LocalStack, startLocalStack } from '@ami-lifecycle/emulator/stack.js';
import { EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResponse } from '../../shared/core/member-work.js';
import { DetailType } from '../../shared/core/notifications.js';
import { expectValidToolEvents } from '../support/tool-events.js';

/**
 * Organizations end to end, through the real handlers and SDK against the local stack: a release
 * in the hub's source region is shared with the rule's two target accounts (one named, one found
 * under an OU) and its work items queued; the member-work function (invoked as Lambda's SQS event
 * source invokes it) makes each account's copies through the member role; each copy's `available`
 * event goes to its account's default bus, which forwards it to the hub's (allowed by the bus
 * policy for the organization); the hub queues that account and region, and the last item
 * announces the release complete across accounts × regions, once.
 */
const HUB = '123456789012';
const DEV = '222222222222';
const PROD = '333333333333';
const ORG = 'o-a1b2c3d4e5';
const WORKLOADS = 'ou-ab12-11111111';
const ROLE = 'ami-lifecycle-dev-member';
const REGIONS = ['us-east-1', 'eu-west-1'];
const QUEUE = 'ami-lifecycle-member-work-dev';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    root: join(import.meta.dirname, '../..'),
    rulesFile: 'test/fixtures/rules/organization.yaml',
    ec2: { accountId: HUB, copyDelayMs: 50 },
    roles: [DEV, PROD].map((accountId) => ({ accountId, roleName: ROLE, trustedPrincipals: [HUB] })),
    organization: {
      id: ORG,
      managementAccountId: HUB,
      roots: [
        {
          id: 'r-ab12',
          children: [
            { account: { id: HUB, name: 'build', email: 'build@example.com' } },
            { account: { id: PROD, name: 'prod', email: 'prod@example.com' } },
            {
              ou: {
                id: WORKLOADS,
                name: 'workloads',
                children: [{ account: { id: DEV, name: 'dev', email: 'dev@example.com' } }],
              },
            },
          ],
        },
      ],
    },
    // What the member StackSet puts in every member account and region: EC2's AMI events to the
    // hub's default bus in the same region.
    forwardingRules: [DEV, PROD].flatMap((accountId) =>
      REGIONS.map((region) => ({
        accountId,
        region,
        name: 'ami-lifecycle-dev-forward',
        eventPattern: { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] },
        targets: [`arn:aws:events:${region}:${HUB}:event-bus/default`],
      })),
    ),
    env: { MEMBER_ROLE_NAME: ROLE },
  });
  // The hub stack's bus policy (params.organizationId): the organization may put events.
  for (const region of REGIONS) {
    await new EventBridgeClient({
      region,
      endpoint: stack.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(
      new PutPermissionCommand({
        EventBusName: 'default',
        StatementId: 'ami-lifecycle-dev-members',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
      }),
    );
  }
});

afterAll(async () => {
  await stack?.close();
});

/**
 * What Lambda's SQS event source does, until the queue stays empty: receive a batch, invoke the
 * member-work function with it, delete what it did not report failed. Returns the items handled.
 */
async function drainMemberWork(): Promise<unknown[]> {
  const { handler } = await import('../../functions/member-work.js');
  const sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: stack.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const url = `${stack.endpoint}/${HUB}/${QUEUE}`;
  const handled: unknown[] = [];
  let idle = 0;
  for (let round = 0; round < 40; round++) {
    await stack.settle();
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) {
      // An event forwarded from another account's bus may still be on its way to the hub's.
      if (++idle === 3) return handled;
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    idle = 0;
    const response = await handler(
      {
        Records: Messages.map((m) => ({
          messageId: m.MessageId ?? '',
          body: m.Body ?? '',
          eventSource: 'aws:sqs',
        })),
      },
      lambdaContext({
        functionName: 'ami-lifecycle-dev-memberWork',
        awsRequestId: `drain-${round}`,
        region: 'us-east-1',
        accountId: HUB,
        timeoutSeconds: 900,
      }),
    );
    const failed = new Set((response as BatchResponse).batchItemFailures.map((f) => f.itemIdentifier));
    expect([...failed]).toEqual([]);
    for (const m of Messages) {
      handled.push(JSON.parse(m.Body ?? '{}'));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  throw new Error('the member-work queue never emptied');
}

describe('a release into two target accounts, end to end', () => {
  it('shares, fans out, copies as each account, takes the forwarded events and announces accounts x regions once', async () => {
    const source = stack.emulator.seedImage({ region: 'us-east-1', name: 'golden-linux-1' });
    await stack.settle();

    // The source's event: shared with both accounts (image and snapshot), one item per (account, region).
    const shared = stack.emulator.getImage('us-east-1', source.imageId);
    expect(shared?.launchPermissions.userIds.sort()).toEqual([DEV, PROD]);

    const first = await drainMemberWork();
    expect(first.slice(0, 4)).toEqual(
      [DEV, PROD].flatMap((account) =>
        ['eu-west-1', 'us-east-1'].map((region) =>
          expect.objectContaining({ account, region, rules: ['golden'] }),
        ),
      ),
    );
    const owned = (account: string) =>
      REGIONS.filter((region) =>
        stack.emulator
          .listImages(region)
          .some(
            (i) => i.ownerId === account && i.sourceImageId === source.imageId && i.state === 'available',
          ),
      );
    expect(owned(DEV)).toEqual(REGIONS);
    expect(owned(PROD)).toEqual(REGIONS);

    // Every copy's available event crossed from its account's bus to the hub's.
    const forwarded = stack.buses.forwards().filter((f) => f.outcome === 'delivered');
    // Bus ARNs: arn:aws:events:<region>:<account>:event-bus/<name>.
    const sender = (arn: string) => {
      const [, , , region, account] = arn.split(':');
      return `${account}/${region}`;
    };
    expect(forwarded.every((f) => f.to.includes(`:${HUB}:event-bus/default`))).toBe(true);
    expect(new Set(forwarded.map((f) => sender(f.from)))).toEqual(
      new Set([DEV, PROD].flatMap((a) => REGIONS.map((r) => `${a}/${r}`))),
    );
    // The hub queued each forwarded copy's account and region, with the copy to record.
    expect(first.filter((i) => typeof i === 'object' && i !== null && 'imageId' in i)).toHaveLength(4);

    const completed = stack.bus
      .events()
      .filter((r) => r.event['detail-type'] === DetailType.AccountCopiesCompleted);
    expect(completed).toHaveLength(1);
    const detail = completed[0]?.event.detail as {
      accounts: { account: string; regions: { region: string; status: string }[] }[];
    };
    expect(
      detail.accounts.map(
        (a) => `${a.account}: ${a.regions.map((r) => `${r.region} ${r.status}`).join(', ')}`,
      ),
    ).toEqual([
      `${DEV}: eu-west-1 available, us-east-1 available`,
      `${PROD}: eu-west-1 available, us-east-1 available`,
    ]);
    expectValidToolEvents(stack.bus.events().map((r) => r.event));
  });
});
