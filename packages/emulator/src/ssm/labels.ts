import type { SsmAction, SsmContext } from './context.js';
import { SsmError } from './errors.js';
import { parameterEvent } from './events.js';
import { checkNameFormat, NAME_MEMBER_MAX, trimName } from './names.js';
import { latest, type ParameterRecord, type VersionRecord } from './store.js';

/**
 * Labels, as LabelParameterVersion's API Reference lists their rules: at most 10 per version; a
 * label names one version of a parameter and moves to the version it is attached to next; up to
 * 100 characters of letters, digits, `.`, `-` and `_`, not starting with a digit, `aws` or `ssm`
 * (case-insensitive). A label breaking those rules is not attached and comes back in
 * `InvalidLabels`; labels are case sensitive.
 */
export const MAX_LABELS_PER_VERSION = 10;
const LABEL = /^[a-zA-Z0-9_.-]+$/;

function isValidLabel(label: string): boolean {
  const lower = label.toLowerCase();
  return LABEL.test(label) && !/^\d/.test(label) && !lower.startsWith('aws') && !lower.startsWith('ssm');
}

function readLabels(ctx: SsmContext): string[] {
  return ctx.input.stringList('Labels', { min: 1, max: 10, item: { min: 1, max: 100 } }) ?? [];
}

/** The parameter a label action names (a name, never an ARN) and the version it acts on. */
function target(
  ctx: SsmContext,
  versionRequired: boolean,
): { parameter: ParameterRecord; version: VersionRecord } {
  const name = trimName(ctx.input.requiredString('Name', { min: 1, max: NAME_MEMBER_MAX }));
  const requested = ctx.input.integer('ParameterVersion');
  if (versionRequired && requested === undefined)
    throw SsmError.constraint('ParameterVersion', null, 'Member must not be null');
  checkNameFormat(name);
  const parameter = ctx.store.get(name);
  if (parameter === undefined) throw SsmError.parameterNotFound();
  if (requested === undefined) return { parameter, version: latest(parameter) };
  const version = parameter.versions.find((v) => v.version === requested);
  if (version === undefined) throw SsmError.versionNotFound(parameter.name, String(requested));
  return { parameter, version };
}

/** LabelParameterVersion: attaches labels to a version (the latest by default), moving them there. */
export const labelParameterVersion: SsmAction = (ctx) => {
  const labels = readLabels(ctx);
  const { parameter, version } = target(ctx, false);
  const valid = [...new Set(labels.filter(isValidLabel))];
  const invalid = labels.filter((label) => !isValidLabel(label));
  const added = valid.filter((label) => !version.labels.includes(label));
  if (version.labels.length + added.length > MAX_LABELS_PER_VERSION)
    throw new SsmError(
      'ParameterVersionLabelLimitExceeded',
      `A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels. Move one or more labels to another version and try again.`,
    );
  for (const other of parameter.versions) {
    if (other !== version) other.labels = other.labels.filter((label) => !added.includes(label));
  }
  version.labels.push(...added);
  if (valid.length > 0) ctx.emit(parameterEvent(ctx.store, parameter, 'LabelParameterVersion', ctx.now));
  return { InvalidLabels: invalid, ParameterVersion: version.version };
};

/** UnlabelParameterVersion: removes labels from one version; labels not on it are `InvalidLabels`. */
export const unlabelParameterVersion: SsmAction = (ctx) => {
  const labels = readLabels(ctx);
  const { version } = target(ctx, true);
  const removed = [...new Set(labels.filter((label) => version.labels.includes(label)))];
  const invalid = labels.filter((label) => !version.labels.includes(label));
  version.labels = version.labels.filter((label) => !removed.includes(label));
  return { RemovedLabels: removed, InvalidLabels: invalid };
};
