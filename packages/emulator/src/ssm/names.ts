import { SsmError } from './errors.js';

/**
 * Parameter names, paths and selectors, as the SSM User Guide's "Requirements and constraints for
 * parameter names" and the API Reference's PutParameter describe them:
 * - letters, digits and `_.-`, with `/` delimiting a hierarchy; a hierarchical name starts with `/`
 *   (`/Dev/East/MyParameter`; `MyParameter3/L1` is not fully qualified and refused);
 * - no spaces: leading and trailing ones are removed, others refuse the name;
 * - at most 15 levels (`HierarchyLevelLimitExceededException` beyond);
 * - at most 1011 characters counting the ARN in front of the name (`arn:aws:ssm:<region>:<account>:parameter/`);
 * - not starting with `aws` or `ssm`, case-insensitive, with or without the leading slash;
 * - `/TestParam1` and `TestParam1` are the same parameter (a one-level name with or without its slash).
 */

/** The model's limit for the Name member; the ARN-inclusive 1011 applies after it. */
export const NAME_MEMBER_MAX = 2048;
export const MAX_NAME_WITH_ARN = 1011;
export const MAX_HIERARCHY_LEVELS = 15;

/**
 * The message AWS returns for a malformed name (a character outside the set, a space inside, a
 * path without its leading slash) and for the `/ssm…` prefix: one text for all, observed by many
 * users (for example aws/aws-sdk-js-v3#5005 and localstack/localstack#11538).
 */
export const NAME_FORMAT_MESSAGE =
  'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of ' +
  'sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/**
 * GetParametersByPath's message for a path that is not one (no leading slash, a bad character), as
 * observed in aws/aws-sdk-js-v3#5928; the backslashes before the quotes around aws and ssm are in
 * AWS's text.
 */
export const PATH_FORMAT_MESSAGE =
  'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". ' +
  'It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). It must use only letters, numbers, or the following ' +
  'symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use ' +
  'the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';

const PLAIN_NAME = /^[a-zA-Z0-9_.-]+$/;
const PATH_NAME = /^(\/[a-zA-Z0-9_.-]+)+$/;

/** The name as stored and matched: the request's, with the spaces AWS removes at either end removed. */
export function trimName(name: string): string {
  return name.replace(/^ +| +$/g, '');
}

/** The parameter's identity: a one-level name is the same parameter with or without its `/`. */
export function nameKey(name: string): string {
  return name.startsWith('/') && name.indexOf('/', 1) === -1 ? name.slice(1) : name;
}

export function parameterArn(region: string, accountId: string, name: string): string {
  return `arn:aws:ssm:${region}:${accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
}

/** Levels of a name: `/a/b/c` and `a` count 3 and 1. */
export function levelsOf(name: string): number {
  return name.split('/').filter((part) => part !== '').length;
}

/** Syntax only (characters, slashes, spaces): what reads check too. */
export function checkNameFormat(name: string): void {
  if (!PLAIN_NAME.test(name) && !PATH_NAME.test(name)) throw SsmError.validation(NAME_FORMAT_MESSAGE);
}

/** Everything PutParameter checks of a new name (`name` already trimmed). */
export function checkNewName(name: string, region: string, accountId: string): void {
  const bare = name.replace(/^\//, '').toLowerCase();
  if (bare.startsWith('aws') || bare.startsWith('ssm')) {
    const isPath = name.startsWith('/') && name.indexOf('/', 1) !== -1;
    // Observed: `/aws…` paths are refused as access to a reserved name, naming it without its slash.
    if (isPath && bare.startsWith('aws'))
      throw new SsmError('AccessDeniedException', `No access to reserved parameter name: ${name.slice(1)}.`);
    throw SsmError.validation(
      isPath
        ? NAME_FORMAT_MESSAGE
        : 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
    );
  }
  checkNameFormat(name);
  if (levelsOf(name) > MAX_HIERARCHY_LEVELS)
    throw new SsmError(
      'HierarchyLevelLimitExceededException',
      `A hierarchy can have a maximum of ${MAX_HIERARCHY_LEVELS} levels.`,
    );
  const length = parameterArn(region, accountId, name).length;
  if (length > MAX_NAME_WITH_ARN)
    throw SsmError.validation(
      `Parameter name: the name with its ARN prefix is ${length} characters; the maximum is ${MAX_NAME_WITH_ARN}.`,
    );
}

/** A path for GetParametersByPath: `/` or a hierarchical name (a trailing slash is dropped). */
export function checkPath(path: string): string {
  if (path === '/') return path;
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  if (!PATH_NAME.test(trimmed)) throw SsmError.validation(PATH_FORMAT_MESSAGE);
  return trimmed;
}

/** True when `name` lies under `path`: directly (one level down), or at any depth when recursive. */
export function underPath(name: string, path: string, recursive: boolean): boolean {
  const full = name.startsWith('/') ? name : `/${name}`;
  const prefix = path === '/' ? '/' : `${path}/`;
  if (!full.startsWith(prefix) || full.length === prefix.length) return false;
  return recursive || !full.slice(prefix.length).includes('/');
}

/** A name as GetParameter(s) take it: a name or an ARN, with an optional `:version` or `:label`. */
export interface ParameterReference {
  name: string;
  /** `:3` or `:prod`, as the response's `Selector` echoes it. */
  selector?: string;
  version?: number;
  label?: string;
  /** The ARN's region and account when the reference was an ARN. */
  arn?: { region: string; accountId: string };
}

const ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]+):(\d{12}):parameter(\/.*)$/;

export function parseReference(raw: string): ParameterReference {
  const text = trimName(raw);
  const arn = ARN.exec(text);
  let rest = text;
  let arnPart: ParameterReference['arn'];
  if (arn !== null) {
    const [, region = '', accountId = '', path = ''] = arn;
    arnPart = { region, accountId };
    // `parameter/name` for a one-level name, `parameter/a/b` for a hierarchy: keep the name's own form.
    rest = path.indexOf('/', 1) === -1 ? path.slice(1) : path;
  }
  const colon = rest.indexOf(':');
  const name = colon === -1 ? rest : rest.slice(0, colon);
  checkNameFormat(name);
  if (colon === -1) return { name, ...(arnPart ? { arn: arnPart } : {}) };
  const selector = rest.slice(colon + 1);
  const base = { name, selector: `:${selector}`, ...(arnPart ? { arn: arnPart } : {}) };
  return /^\d+$/.test(selector) ? { ...base, version: Number(selector) } : { ...base, label: selector };
}
