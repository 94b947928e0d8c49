import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountBuses, type BusRef } from '../src/eventbridge/accounts.js';
import { createEventBridgeService } from '../src/eventbridge/api.js';
import { createLocalEventBus, type LocalEventBus } from '../src/eventbridge/bus.js';
import { loadOrganization } from '../src/organizations/index.js';
import { type LocalServer, startLocalServer } from '../src/server.js';
import { IDS, SEED } from './organization-seed.js';
import { rejectionOf } from './rejection.js';

/**
 * EventBridge across accounts, through `@aws-sdk/client-eventbridge`: each account's own default
 * bus per region, rules forwarding to another account's bus, and the bus policy (PutPermission)
 * that decides whether a forwarded or directly put event gets in. The stack's account (the
 * organization's management account here) runs the functions' rules on its custom bus.
 */

const { MANAGEMENT, PROD, DEV, OUTSIDER, ORG } = IDS;
const REGION = 'us-east-1';
const CENTRAL = `arn:aws:events:${REGION}:${MANAGEMENT}:event-bus/ami-lifecycle`;
const AMI_EVENTS = { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'] };
const organization = loadOrganization(SEED);

let server: LocalServer;
let bus: LocalEventBus;
let buses: AccountBuses;
const invoked: Array<{ account: unknown; imageId: unknown }> = [];

beforeAll(async () => {
  bus = createLocalEventBus({
    accountId: MANAGEMENT,
    region: REGION,
    customBusName: 'ami-lifecycle',
    rules: [{ ruleName: 'ami-state', functionName: 'lifecycle', bus: 'custom', pattern: AMI_EVENTS }],
    invoke: async (_name, event) => {
      const { account, detail } = event as { account: unknown; detail: { ImageId?: unknown } };
      invoked.push({ account, imageId: detail.ImageId });
    },
  });
  buses = new AccountBuses({
    homeAccount: MANAGEMENT,
    homeBus: bus,
    organizationIdOf: (account) => (organization.isMember(account) ? organization.id : undefined),
  });
  // The forwarding rule the product deploys in each member account, on its default bus.
  for (const account of [PROD, DEV])
    buses.addRule({
      accountId: account,
      region: REGION,
      name: 'to-central',
      eventPattern: AMI_EVENTS,
      targets: [CENTRAL],
    });
  // A rule on the central bus sending on to a member: events that came from another account stop here.
  buses.addRule({
    accountId: MANAGEMENT,
    region: REGION,
    name: 'fan-out',
    eventBusName: 'ami-lifecycle',
    eventPattern: AMI_EVENTS,
    targets: [`arn:aws:events:${REGION}:${DEV}:event-bus/default`],
  });
  server = await startLocalServer({
    ec2: async () => ({ status: 501, headers: {}, body: 'not this test' }),
    eventbridge: createEventBridgeService({ bus, accounts: buses }),
  });
});

afterAll(() => server.close());

const client = (account: string, region = REGION) =>
  new EventBridgeClient({
    region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: account, secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });
const amiEvent = (account: string, imageId: string, region = REGION) => ({
  source: 'aws.ec2',
  'detail-type': 'EC2 AMI State Change',
  account,
  region,
  detail: { ImageId: imageId, State: 'available' },
});
const defaultBus = (account: string, region = REGION): BusRef => ({ account, region, name: 'default' });
const forwardsOf = (eventId: string) => buses.forwards().filter((f) => f.eventId === eventId);

describe('forwarding between accounts', () => {
  it('forwards a member event only once the central bus allows the organization', async () => {
    const denied = buses.put(defaultBus(PROD), amiEvent(PROD, 'ami-00000000000000001'));
    expect(forwardsOf(denied).map((f) => [f.rule, f.to, f.outcome])).toEqual([
      ['to-central', CENTRAL, 'denied'],
    ]);

    await client(MANAGEMENT).send(
      new PutPermissionCommand({
        EventBusName: 'ami-lifecycle',
        Action: 'events:PutEvents',
        Principal: '*',
        StatementId: 'organization',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: ORG },
      }),
    );
    const delivered = buses.put(defaultBus(PROD), amiEvent(PROD, 'ami-00000000000000002'));
    // Received from PROD, it is not sent on to a third account (DEV) by the central bus's rule.
    expect(forwardsOf(delivered).map((f) => [f.rule, f.outcome])).toEqual([
      ['to-central', 'delivered'],
      ['fan-out', 'not-forwarded'],
    ]);
    await bus.drain();
    // The event keeps the member's account; the central bus's rule ran the function.
    expect(invoked).toContainEqual({ account: PROD, imageId: 'ami-00000000000000002' });
    // Each account has its own default bus per region: the rule is in us-east-1 only.
    const elsewhere = buses.put(defaultBus(PROD, 'eu-west-1'), amiEvent(PROD, 'ami-3', 'eu-west-1'));
    expect(forwardsOf(elsewhere)).toEqual([]);
    expect(buses.events().map((r) => r.bus)).toContain(`arn:aws:events:eu-west-1:${PROD}:event-bus/default`);
  });
});

describe('PutEvents to another account bus', () => {
  const entry = (EventBusName: string) => ({
    Source: 'ami-lifecycle.test',
    DetailType: 'Probe',
    Detail: '{}',
    EventBusName,
  });

  it('refuses the entry AccessDeniedException without the bus policy, and takes it with one', async () => {
    const outsider = await client(OUTSIDER).send(new PutEventsCommand({ Entries: [entry(CENTRAL)] }));
    expect(outsider.FailedEntryCount).toBe(1);
    expect(outsider.Entries?.[0]).toEqual({
      ErrorCode: 'AccessDeniedException',
      ErrorMessage: `User: arn:aws:iam::${OUTSIDER}:user/local is not authorized to perform: events:PutEvents on resource: ${CENTRAL}`,
    });
    // A policy document naming the outsider's root lets it in.
    await client(MANAGEMENT).send(
      new PutPermissionCommand({
        EventBusName: 'ami-lifecycle',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'outsider',
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${OUTSIDER}:root` },
              Action: 'events:PutEvents',
              Resource: CENTRAL,
            },
          ],
        }),
      }),
    );
    const puts: string[] = [];
    const stop = bus.subscribe((record) => puts.push(record.event.account));
    const allowed = await client(OUTSIDER).send(new PutEventsCommand({ Entries: [entry(CENTRAL)] }));
    stop();
    expect(allowed.FailedEntryCount).toBe(0);
    expect(puts).toEqual([OUTSIDER]);
  });

  it("puts a name on the caller's own default bus, and refuses a bus that does not exist", async () => {
    const own = await client(DEV).send(new PutEventsCommand({ Entries: [entry('default')] }));
    expect(own.FailedEntryCount).toBe(0);
    expect(buses.events().at(-1)).toMatchObject({
      bus: `arn:aws:events:${REGION}:${DEV}:event-bus/default`,
      event: { account: DEV, source: 'ami-lifecycle.test' },
    });
    const missing = await client(DEV).send(new PutEventsCommand({ Entries: [entry('no-such-bus')] }));
    expect(missing.Entries?.[0]?.ErrorCode).toBe('ResourceNotFoundException');
  });

  it("refuses PutPermission on another account's bus, and a bus that does not exist", async () => {
    const foreign = await rejectionOf(
      client(PROD).send(
        new PutPermissionCommand({
          EventBusName: CENTRAL,
          Action: 'events:PutEvents',
          Principal: PROD,
          StatementId: 's',
        }),
      ),
      EventBridgeServiceException,
    );
    expect(foreign.name).toBe('AccessDeniedException');
    const missing = await rejectionOf(
      client(MANAGEMENT).send(
        new PutPermissionCommand({
          EventBusName: 'nope',
          Action: 'events:PutEvents',
          Principal: PROD,
          StatementId: 's',
        }),
      ),
      EventBridgeServiceException,
    );
    expect(missing.name).toBe('ResourceNotFoundException');
  });
});

describe('PutRule and PutTargets: the forwarding rule a member deploys', () => {
  it('forwards through a rule the member puts by API, and stops when the rule is disabled', async () => {
    const member = client(DEV, 'eu-west-1');
    await client(MANAGEMENT).send(
      new PutPermissionCommand({
        EventBusName: 'ami-lifecycle',
        Action: 'events:PutEvents',
        Principal: DEV,
        StatementId: 'dev',
      }),
    );
    const rule = await member.send(
      new PutRuleCommand({ Name: 'ami-to-central', EventPattern: JSON.stringify(AMI_EVENTS) }),
    );
    expect(rule.RuleArn).toBe(`arn:aws:events:eu-west-1:${DEV}:rule/ami-to-central`);
    const targets = await member.send(
      new PutTargetsCommand({
        Rule: 'ami-to-central',
        Targets: [
          { Id: 'central', Arn: CENTRAL },
          { Id: 'queue', Arn: `arn:aws:sqs:eu-west-1:${DEV}:q` },
        ],
      }),
    );
    expect(targets.FailedEntryCount).toBe(1);
    expect(targets.FailedEntries?.[0]).toMatchObject({ TargetId: 'queue', ErrorCode: 'NotImplemented' });
    const forwarded = buses.put(defaultBus(DEV, 'eu-west-1'), amiEvent(DEV, 'ami-4', 'eu-west-1'));
    // To the central bus in another region too; the central fan-out rule sends a received event to no other account.
    expect(forwardsOf(forwarded).map((f) => [f.rule, f.to, f.outcome])).toEqual([
      ['ami-to-central', CENTRAL, 'delivered'],
      ['fan-out', `arn:aws:events:${REGION}:${DEV}:event-bus/default`, 'not-forwarded'],
    ]);
    await member.send(
      new PutRuleCommand({
        Name: 'ami-to-central',
        EventPattern: JSON.stringify(AMI_EVENTS),
        State: 'DISABLED',
      }),
    );
    const quiet = buses.put(defaultBus(DEV, 'eu-west-1'), amiEvent(DEV, 'ami-5', 'eu-west-1'));
    expect(forwardsOf(quiet)).toEqual([]);
  });

  it('refuses targets for a rule that does not exist, and an invalid pattern', async () => {
    const missing = await rejectionOf(
      client(DEV).send(new PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'c', Arn: CENTRAL }] })),
      EventBridgeServiceException,
    );
    expect(missing.name).toBe('ResourceNotFoundException');
    const invalid = await rejectionOf(
      client(DEV).send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source": "aws.ec2"}' })),
      EventBridgeServiceException,
    );
    expect(invalid.name).toBe('InvalidEventPatternException');
  });
});
