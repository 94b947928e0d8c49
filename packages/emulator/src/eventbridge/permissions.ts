import { isPlainObject } from '@ami-lifecycle/event-pattern';
import { ACCOUNT_ID } from '../accounts.js';

/**
 * Event bus resource policies, reduced to the one question the local EventBridge asks: may account
 * X put events on this bus? A bus always accepts its own account's events; another account needs
 * an `Allow` statement for `events:PutEvents` whose principal is that account (its id,
 * `arn:aws:iam::<id>:root`) or `*`, and whose condition, if any, is `aws:PrincipalOrgID` equal to
 * the organization the account is in — the two forms PutPermission writes (EventBridge API
 * Reference, PutPermission; User Guide, "Permissions for event buses"). Anything else in a policy
 * (Deny, other conditions) makes the statement grant nothing [unverified for the conditions not
 * modelled: they are taken as unmet].
 */

export interface BusStatement {
  sid: string;
  /** An account id, or `*`. */
  principal: string;
  /** `aws:PrincipalOrgID` must equal this. */
  organizationId?: string;
}

export class PermissionError extends Error {
  constructor(
    readonly code: 'ValidationException' | 'InvalidParameterException' | 'ResourceNotFoundException',
    message: string,
  ) {
    super(message);
  }
}

const ROOT_ARN = /^arn:aws:iam::(\d{12}):root$/;

function principalOf(value: unknown): string | undefined {
  if (value === '*') return '*';
  const aws = isPlainObject(value) ? value.AWS : undefined;
  if (aws === '*') return '*';
  if (typeof aws !== 'string') return undefined;
  return ACCOUNT_ID.test(aws) ? aws : ROOT_ARN.exec(aws)?.[1];
}

function orgCondition(condition: unknown): string | undefined | false {
  if (condition === undefined) return undefined;
  const equals = isPlainObject(condition) ? condition.StringEquals : undefined;
  const keys = isPlainObject(condition) ? Object.keys(condition) : [];
  const value = isPlainObject(equals) ? equals['aws:PrincipalOrgID'] : undefined;
  return keys.length === 1 && typeof value === 'string' ? value : false;
}

/** The statements of a `Policy` document that grant `events:PutEvents` in the modelled forms. */
export function statementsOfPolicy(policy: string): BusStatement[] {
  let document: unknown;
  try {
    document = JSON.parse(policy);
  } catch {
    throw new PermissionError('InvalidParameterException', 'The policy is not valid JSON.');
  }
  const raw = isPlainObject(document) ? document.Statement : undefined;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return statements.flatMap((statement, index): BusStatement[] => {
    if (!isPlainObject(statement) || statement.Effect !== 'Allow') return [];
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    if (!actions.some((action) => action === 'events:PutEvents' || action === 'events:*')) return [];
    const principal = principalOf(statement.Principal);
    const organizationId = orgCondition(statement.Condition);
    if (principal === undefined || organizationId === false) return [];
    const sid = typeof statement.Sid === 'string' ? statement.Sid : `statement-${index + 1}`;
    return [{ sid, principal, ...(organizationId !== undefined ? { organizationId } : {}) }];
  });
}

/** The statement of PutPermission's `Action`/`Principal`/`StatementId`/`Condition` form. */
export function statementOfParameters(input: Record<string, unknown>): BusStatement {
  const { Action, Principal, StatementId, Condition } = input;
  if (Action !== 'events:PutEvents')
    throw new PermissionError(
      'ValidationException',
      'Provided value in parameter "action" is not supported.',
    );
  if (typeof Principal !== 'string' || !(Principal === '*' || ACCOUNT_ID.test(Principal)))
    throw new PermissionError(
      'ValidationException',
      'Parameter Principal must be a 12-digit account id or "*".',
    );
  if (typeof StatementId !== 'string' || !/^[a-zA-Z0-9-_]{1,64}$/.test(StatementId))
    throw new PermissionError('ValidationException', 'Parameter StatementId is not valid.');
  if (Condition === undefined || Condition === null) return { sid: StatementId, principal: Principal };
  if (
    !isPlainObject(Condition) ||
    Condition.Type !== 'StringEquals' ||
    Condition.Key !== 'aws:PrincipalOrgID' ||
    typeof Condition.Value !== 'string'
  )
    throw new PermissionError(
      'ValidationException',
      'Condition must be Type StringEquals, Key aws:PrincipalOrgID and a Value.',
    );
  return { sid: StatementId, principal: Principal, organizationId: Condition.Value };
}

/** Whether `statements` let `caller` (in organization `callerOrg`) put events. */
export function allows(
  statements: readonly BusStatement[],
  caller: string,
  callerOrg: string | undefined,
): boolean {
  return statements.some(
    (statement) =>
      (statement.principal === '*' || statement.principal === caller) &&
      (statement.organizationId === undefined || statement.organizationId === callerOrg),
  );
}
