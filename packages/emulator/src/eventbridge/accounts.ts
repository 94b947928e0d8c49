import { randomUUID } from 'node:crypto';
import { compilePattern, type EventPattern } from '@ami-lifecycle/event-pattern';
import {
  type BusEvent,
  type BusEventInput,
  EventBusNotFoundError,
  envelopeTime,
  type LocalEventBus,
} from './bus.js';
import { allows, type BusStatement } from './permissions.js';

/**
 * Event buses across accounts. The stack's own account (the home account) has the local bus of
 * `serverless.yml` (its `default` and custom buses, whose rules run the functions); every other
 * account has its own `default` bus in every region, which holds the rules seeded for it. A rule
 * whose target is an event bus ARN forwards matching events there, as EventBridge's cross-account
 * delivery does (User Guide, "Sending and receiving events between AWS accounts"):
 *
 * - the receiving bus must allow the sending account (`permissions.ts`): its own account always,
 *   another through its resource policy (PutPermission); otherwise the event is not delivered,
 *   and the forward is recorded as denied;
 * - an event that reached a bus from another account is not sent on to another account (documented
 *   for a third account; for the sender's own account [unverified]);
 * - the event keeps its `account` and `region` (those of where it happened).
 *
 * PutEvents to another account's bus (by ARN) is checked the same way (`canPut`).
 */

export interface BusRef {
  account: string;
  region: string;
  name: string;
}

export interface ForwardingRuleSeed {
  accountId: string;
  region: string;
  name: string;
  /** The bus the rule is on; default `default`. */
  eventBusName?: string;
  eventPattern: Record<string, unknown>;
  /** Event bus ARNs (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
  targets: readonly string[];
}

export interface ForwardRecord {
  time: string;
  rule: string;
  from: string;
  to: string;
  eventId: string;
  outcome: 'delivered' | 'denied' | 'not-forwarded';
}

export interface BusRecord {
  bus: string;
  event: BusEvent;
}

interface Rule {
  on: string;
  name: string;
  pattern: EventPattern;
  enabled: boolean;
  /** Target id → the bus it sends to. */
  targets: Map<string, BusRef>;
}

const BUS_ARN = /^arn:aws:events:([a-z0-9-]+):(\d{12}):event-bus\/([\w.\-/]+)$/;

export function parseBusArn(arn: string): BusRef | undefined {
  const match = BUS_ARN.exec(arn);
  if (match === null) return undefined;
  const [, region = '', account = '', name = ''] = match;
  return { account, region, name };
}

export const busArnOf = (bus: BusRef) => `arn:aws:events:${bus.region}:${bus.account}:event-bus/${bus.name}`;

export interface AccountBusesOptions {
  homeAccount: string;
  homeBus: LocalEventBus;
  /** The organization id (`o-…`) an account is in, for `aws:PrincipalOrgID` conditions. */
  organizationIdOf?: (accountId: string) => string | undefined;
  now?: () => Date;
}

export class AccountBuses {
  private readonly rules: Rule[] = [];
  private readonly policies = new Map<string, BusStatement[]>();
  private readonly records: BusRecord[] = [];
  private readonly forwardRecords: ForwardRecord[] = [];
  private readonly now: () => Date;

  constructor(private readonly options: AccountBusesOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** The bus `nameOrArn` names for a caller in `region`: a name is the caller's own bus. */
  resolve(nameOrArn: string, caller: string, region: string): BusRef {
    return parseBusArn(nameOrArn) ?? { account: caller, region, name: nameOrArn };
  }

  exists(bus: BusRef): boolean {
    if (bus.account === this.options.homeAccount)
      return this.options.homeBus.resolveBus(bus.name) !== undefined;
    return bus.name === 'default';
  }

  /** Whether `caller` may put events on `bus`. */
  canPut(bus: BusRef, caller: string): boolean {
    if (bus.account === caller) return true;
    const statements = this.policies.get(busArnOf(bus)) ?? [];
    return allows(statements, caller, this.options.organizationIdOf?.(caller));
  }

  /** Adds or replaces (by statement id) statements of `bus`'s resource policy. */
  putPermission(bus: BusRef, statements: readonly BusStatement[]): void {
    if (!this.exists(bus)) throw new EventBusNotFoundError(`Event bus ${bus.name} does not exist.`);
    const arn = busArnOf(bus);
    const kept = (this.policies.get(arn) ?? []).filter((s) => !statements.some((n) => n.sid === s.sid));
    this.policies.set(arn, [...kept, ...statements]);
  }

  addRule(seed: ForwardingRuleSeed): void {
    const bus = { account: seed.accountId, region: seed.region, name: seed.eventBusName ?? 'default' };
    this.putRule(bus, seed.name, compilePattern(seed.eventPattern), true);
    this.putTargets(
      bus,
      seed.name,
      seed.targets.map((arn, index) => {
        const target = parseBusArn(arn);
        if (target === undefined) throw new RangeError(`rule ${seed.name}: ${arn} is not an event bus ARN`);
        return { id: `target-${index + 1}`, bus: target };
      }),
    );
  }

  /** Creates or updates (pattern and state; targets kept) the rule `name` on `bus`; returns its ARN. */
  putRule(bus: BusRef, name: string, pattern: EventPattern, enabled: boolean): string {
    if (!this.exists(bus)) throw new EventBusNotFoundError(`Event bus ${bus.name} does not exist.`);
    const on = busArnOf(bus);
    const existing = this.rules.find((rule) => rule.on === on && rule.name === name);
    if (existing !== undefined) {
      existing.pattern = pattern;
      existing.enabled = enabled;
    } else this.rules.push({ on, name, pattern, enabled, targets: new Map() });
    const path = bus.name === 'default' ? name : `${bus.name}/${name}`;
    return `arn:aws:events:${bus.region}:${bus.account}:rule/${path}`;
  }

  /** Adds or replaces (by id) targets of a rule; false when the rule does not exist. */
  putTargets(bus: BusRef, ruleName: string, targets: ReadonlyArray<{ id: string; bus: BusRef }>): boolean {
    const on = busArnOf(bus);
    const rule = this.rules.find((candidate) => candidate.on === on && candidate.name === ruleName);
    if (rule === undefined) return false;
    for (const target of targets) rule.targets.set(target.id, target.bus);
    return true;
  }

  /**
   * Puts an event on `bus` (which must exist) and forwards it by the bus's rules; returns its id.
   * `arrivedFrom` is the account whose bus forwarded it, when it came from another account.
   */
  put(bus: BusRef, input: BusEventInput, arrivedFrom?: string): string {
    if (!this.exists(bus)) throw new EventBusNotFoundError(`Event bus ${bus.name} does not exist.`);
    let event: BusEvent;
    if (bus.account === this.options.homeAccount) {
      event = this.options.homeBus.put(bus.name, { ...input, region: input.region ?? bus.region }).event;
    } else {
      event = {
        version: input.version ?? '0',
        id: input.id ?? randomUUID(),
        'detail-type': input['detail-type'],
        source: input.source,
        account: input.account ?? bus.account,
        time: input.time ?? envelopeTime(this.now()),
        region: input.region ?? bus.region,
        resources: input.resources ?? [],
        detail: input.detail ?? {},
      };
      this.records.push({ bus: busArnOf(bus), event });
    }
    this.forward(bus, event, arrivedFrom);
    return event.id;
  }

  private forward(bus: BusRef, event: BusEvent, arrivedFrom: string | undefined): void {
    const from = busArnOf(bus);
    for (const rule of this.rules) {
      if (rule.on !== from || !rule.enabled || !rule.pattern.matches(event)) continue;
      for (const target of rule.targets.values()) {
        const record = {
          time: envelopeTime(this.now()),
          rule: rule.name,
          from,
          to: busArnOf(target),
          eventId: event.id,
        };
        const third = arrivedFrom !== undefined && target.account !== bus.account;
        if (third || !this.exists(target)) {
          this.forwardRecords.push({ ...record, outcome: 'not-forwarded' });
        } else if (!this.canPut(target, bus.account)) {
          this.forwardRecords.push({ ...record, outcome: 'denied' });
        } else {
          this.forwardRecords.push({ ...record, outcome: 'delivered' });
          this.put(target, event, target.account === bus.account ? arrivedFrom : bus.account);
        }
      }
    }
  }

  /** Events put on other accounts' buses (the home account's are the local bus's `events()`). */
  events(): readonly BusRecord[] {
    return [...this.records];
  }

  forwards(): readonly ForwardRecord[] {
    return [...this.forwardRecords];
  }
}
