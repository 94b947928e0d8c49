import { isPlainObject } from '@ami-lifecycle/event-pattern';
import { type AccountBuses, type BusRef, busArnOf, parseBusArn } from './accounts.js';
import { EventBusNotFoundError } from './bus.js';
import { PermissionError, statementOfParameters, statementsOfPolicy } from './permissions.js';
import { compileEventPattern, RequestError } from './requests.js';

/**
 * The EventBridge operations that set up buses across accounts, on `AccountBuses`:
 *
 * - `PutPermission`: a statement of the bus's resource policy (`Action`/`Principal`/`StatementId`/
 *   `Condition`, or a `Policy` document), which lets another account put events on it;
 * - `PutRule` (`Name`, `EventPattern`, `State`, `EventBusName`) and `PutTargets` (`Rule`,
 *   `EventBusName`, `Targets` of `Id` and `Arn`): rules that forward to event buses, the rule a
 *   member account deploys to send its events to a central bus. Only event bus targets are
 *   emulated: another target fails its entry `NotImplemented` (a local code). Schedules are refused.
 *
 * A bus is named by name (the caller's own, in the signed region) or ARN. Only a bus's own account
 * changes its policy or rules [unverified: AWS lets a bus policy grant PutRule to other accounts; the
 * refusal's wording is the emulator's].
 */
export type AdminOperation = (input: Record<string, unknown>, region: string, caller: string) => object;

const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

function ownBus(
  accounts: AccountBuses,
  input: Record<string, unknown>,
  region: string,
  caller: string,
): BusRef {
  const name = input.EventBusName ?? 'default';
  if (typeof name !== 'string' || name === '')
    throw new RequestError('ValidationException', 'EventBusName must be a non-empty string.');
  const bus = accounts.resolve(name, caller, region);
  if (bus.account !== caller)
    throw new RequestError('AccessDeniedException', `Account ${caller} cannot change ${busArnOf(bus)}.`);
  if (!accounts.exists(bus))
    throw new RequestError('ResourceNotFoundException', `Event bus ${bus.name} does not exist.`);
  return bus;
}

function ruleName(value: unknown, member: string): string {
  if (value === undefined || value === null) throw RequestError.missing(member);
  if (typeof value !== 'string' || !RULE_NAME.test(value))
    throw new RequestError(
      'ValidationException',
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  return value;
}

export function busAdministration(accounts: AccountBuses): Readonly<Record<string, AdminOperation>> {
  return {
    PutPermission: (input, region, caller) => {
      try {
        const statements =
          typeof input.Policy === 'string'
            ? statementsOfPolicy(input.Policy)
            : [statementOfParameters(input)];
        accounts.putPermission(ownBus(accounts, input, region, caller), statements);
        return {};
      } catch (error) {
        if (error instanceof PermissionError) throw new RequestError(error.code, error.message);
        if (error instanceof EventBusNotFoundError) throw new RequestError(error.name, error.message);
        throw error;
      }
    },
    PutRule: (input, region, caller) => {
      const name = ruleName(input.Name, 'name');
      if (input.ScheduleExpression !== undefined && input.ScheduleExpression !== null)
        throw new RequestError(
          'ValidationException',
          'ScheduleExpression is not emulated by the local EventBridge.',
        );
      if (typeof input.EventPattern !== 'string')
        throw new RequestError(
          'ValidationException',
          'Parameter(s) EventPattern or ScheduleExpression must be specified.',
        );
      const state = input.State ?? 'ENABLED';
      if (state !== 'ENABLED' && state !== 'DISABLED')
        throw new RequestError('ValidationException', `State ${String(state)} is not ENABLED or DISABLED.`);
      const pattern = compileEventPattern(input.EventPattern);
      const bus = ownBus(accounts, input, region, caller);
      return { RuleArn: accounts.putRule(bus, name, pattern, state === 'ENABLED') };
    },
    PutTargets: (input, region, caller) => {
      const rule = ruleName(input.Rule, 'rule');
      const { Targets } = input;
      if (!Array.isArray(Targets) || Targets.length < 1 || Targets.length > 10)
        throw new RequestError('ValidationException', 'Targets must be a list of 1 to 10 targets.');
      const bus = ownBus(accounts, input, region, caller);
      const accepted: Array<{ id: string; bus: BusRef }> = [];
      const failed: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> = [];
      for (const target of Targets) {
        const id = isPlainObject(target) && typeof target.Id === 'string' ? target.Id : '';
        const arn = isPlainObject(target) && typeof target.Arn === 'string' ? target.Arn : '';
        const to = parseBusArn(arn);
        if (to === undefined)
          failed.push({
            TargetId: id,
            ErrorCode: 'NotImplemented',
            ErrorMessage: `Only event bus targets are emulated by the local EventBridge, not ${arn}.`,
          });
        else accepted.push({ id, bus: to });
      }
      if (!accounts.putTargets(bus, rule, accepted))
        throw new RequestError(
          'ResourceNotFoundException',
          `Rule ${rule} does not exist on EventBus ${bus.name}.`,
        );
      return { FailedEntryCount: failed.length, FailedEntries: failed };
    },
  };
}
