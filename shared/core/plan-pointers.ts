import { createHash } from 'node:crypto';
import { expandParameterName, parameterNamesFor, templateLabel, templatesIn } from '../rules/publish.js';
import type { PublishedTemplate, Rule } from '../rules/schema.js';
import { type Action, actionId, type PlanNote, type TemplateVersionAction } from './actions.js';
import type { ObservedPointers, ObservedTemplate, Pin, Release, RuleState } from './pointers-model.js';

/**
 * The plan of one rule's pointers in one region (pure): the event path, the scheduled reconcile,
 * rollback and unpin all use it, each with its own desired release.
 *
 * - `forward` (a release arrived, or a run repairs): nothing while the rule is pinned to another
 *   release, nothing for a release older than the one the pointers were last moved to (`head`, kept
 *   in the rule state, so "never backwards" needs no EC2 read); else every pointer not naming the
 *   release's image here is moved, after the image's own actions in this plan (`after`), and the
 *   rule state records the new head.
 * - `rollback`: moves to the release whatever the head, and pins the rule to it.
 * - `unpin`: removes the pin, and moves forward to the release given (the newest available here).
 *
 * The rule state is written after the pointers, only when it changes: a converged region writes nothing.
 */

/** The release the pointers should name here, and its image in this region. */
export interface PointerTarget {
  readonly release: Release;
  readonly imageId: string;
  /** Actions of the same plan that must be applied first: the image's own tags and shares here. */
  readonly after: readonly string[];
}

export type PointerMode =
  | { readonly kind: 'forward'; readonly trustHead?: boolean }
  | { readonly kind: 'rollback'; readonly pin: Pin }
  | { readonly kind: 'unpin' };

export interface PointerPlan {
  readonly actions: readonly Action[];
  readonly notes: readonly PlanNote[];
}

export function planPointers(
  rule: Rule,
  region: string,
  target: PointerTarget | undefined,
  observed: ObservedPointers,
  mode: PointerMode,
): PointerPlan {
  const state = observed.state;
  const notes: PlanNote[] = [];
  const note = (message: string) => notes.push({ region, message: `rule ${rule.name}: ${message}` });
  const pin = mode.kind === 'rollback' ? mode.pin : mode.kind === 'unpin' ? undefined : state?.pin;
  let moves: Action[] = [];
  let head = state?.head;

  if (target !== undefined) {
    const { release } = target;
    const blocked =
      mode.kind === 'forward' ? whyNotForward(state, release, mode.trustHead === true) : undefined;
    if (blocked !== undefined) {
      note(blocked);
    } else {
      moves = moveActions(rule, region, target, observed, notes);
      const labels = labelActions(rule, region, target, observed);
      moves.push(...labels.actions);
      const sameHead =
        head?.sourceImageId === release.sourceImageId && head.sourceRegion === release.sourceRegion;
      const labelled = { ...(sameHead ? head?.labelled : {}), ...labels.labelled };
      head = { ...release, ...(Object.keys(labelled).length === 0 ? {} : { labelled }) };
    }
  }

  const desired: RuleState = {
    version: 1,
    ...(head === undefined ? {} : { head }),
    ...(pin === undefined ? {} : { pin }),
  };
  const actions = [...moves];
  const moved = moves.filter((a) => a.kind === 'put-parameter' || a.kind === 'template-version');
  if (target !== undefined && moved.length > 0) {
    actions.push({
      kind: 'announce',
      id: actionId('announce', region, `pointers-moved/${rule.name}`),
      region,
      waitsFor: moved.map((a) => a.id),
      announcement: {
        kind: 'pointers-moved',
        rule: rule.name,
        sourceImageId: target.release.sourceImageId,
        sourceRegion: target.release.sourceRegion,
        imageId: target.imageId,
        region,
      },
    });
  }
  if (JSON.stringify(desired) !== JSON.stringify(state ?? { version: 1 })) {
    actions.push({
      kind: 'put-rule-state',
      id: actionId('put-rule-state', region, rule.name),
      region,
      ...(moves.length === 0 ? {} : { after: moves.map((a) => a.id) }),
      rule: rule.name,
      state: desired,
      exists: state !== undefined,
      change: describeChange(state, desired),
    });
  }
  return { actions, notes };
}

/** Why a forward move to `release` is not made, or undefined when it is. */
function whyNotForward(
  state: RuleState | undefined,
  release: Release,
  trustHead: boolean,
): string | undefined {
  const pin = state?.pin;
  if (pin !== undefined && pin.sourceImageId !== release.sourceImageId) {
    return `pinned to ${pin.sourceImageId} (${pin.sourceRegion}) by a rollback at ${pin.at}; release ${release.sourceImageId} leaves the pointers alone until ami-lifecycle unpin`;
  }
  const head = state?.head;
  if (head === undefined) return undefined;
  if (head.order > release.order) {
    return `older release ${release.sourceImageId} (${release.sourceRegion}), left alone: the pointers name the newer ${head.sourceImageId} (${head.sourceRegion})`;
  }
  if (trustHead && head.sourceImageId === release.sourceImageId) {
    return `the pointers were moved to ${release.sourceImageId} already`;
  }
  return undefined;
}

function moveActions(
  rule: Rule,
  region: string,
  target: PointerTarget,
  observed: ObservedPointers,
  notes: PlanNote[],
): Action[] {
  const { release, imageId } = target;
  const after = target.after.length === 0 ? {} : { after: target.after };
  const actions: Action[] = [];
  for (const name of parameterNamesFor(rule, region, release.sourceRegion)) {
    const current = observed.parameters.get(name);
    if (current?.value === imageId) continue;
    actions.push({
      kind: 'put-parameter',
      id: actionId('put-parameter', region, name),
      region,
      ...after,
      rule: rule.name,
      name,
      imageId,
      ...(current === undefined ? {} : { previous: current.value }),
      exists: current !== undefined,
      release,
    });
  }
  for (const template of templatesIn(rule, region)) {
    const label = templateLabel(template);
    const found = observed.templates.get(label);
    if (found === undefined) {
      notes.push({
        region,
        message: `rule ${rule.name}: launch template ${label} not found here; not updated`,
      });
      continue;
    }
    const action = templateAction(rule, region, template, found, target);
    if (action !== undefined) actions.push({ ...action, ...after });
  }
  return actions;
}

/** The template's move, or undefined when it names the image already (its default, or without `makeDefault` its latest). */
function templateAction(
  rule: Rule,
  region: string,
  template: PublishedTemplate,
  found: ObservedTemplate,
  target: PointerTarget,
): TemplateVersionAction | undefined {
  const { imageId, release } = target;
  const { defaultVersion, latestVersion } = found;
  if (defaultVersion.imageId === imageId) return undefined;
  if (!template.makeDefault && latestVersion.imageId === imageId) return undefined;
  const existing = latestVersion.imageId === imageId ? latestVersion.number : undefined;
  return {
    kind: 'template-version',
    id: actionId('template-version', region, found.templateId),
    region,
    rule: rule.name,
    templateId: found.templateId,
    template: templateLabel(template),
    imageId,
    ...(defaultVersion.imageId === undefined ? {} : { previous: defaultVersion.imageId }),
    sourceVersion: defaultVersion.number,
    ...(existing === undefined ? {} : { version: existing }),
    makeDefault: template.makeDefault,
    clientToken: createHash('sha256')
      .update(JSON.stringify([found.templateId, defaultVersion.number, imageId]))
      .digest('hex'),
    release,
  };
}

/**
 * Labels for the versions that name the release already (AWS has validated them): once per
 * parameter and version, recorded in the rule state so a converged region labels nothing.
 */
function labelActions(
  rule: Rule,
  region: string,
  target: PointerTarget,
  observed: ObservedPointers,
): { actions: Action[]; labelled: Record<string, number> } {
  const { release, imageId } = target;
  const head = observed.state?.head;
  const done = head?.sourceImageId === release.sourceImageId ? (head.labelled ?? {}) : {};
  const actions: Action[] = [];
  const labelled: Record<string, number> = {};
  const names = (rule.publish?.parameters ?? [])
    .filter((p) => p.labels)
    .map((p) => expandParameterName(p.name, { rule: rule.name, region, sourceRegion: release.sourceRegion }));
  for (const name of names) {
    const current = observed.parameters.get(name);
    if (current === undefined || current.value !== imageId || done[name] === current.version) continue;
    labelled[name] = current.version;
    actions.push({
      kind: 'label-parameter',
      id: actionId('label-parameter', region, name),
      region,
      rule: rule.name,
      name,
      version: current.version,
      label: release.sourceImageId,
    });
  }
  return { actions, labelled };
}

function describeChange(before: RuleState | undefined, after: RuleState): string {
  const parts: string[] = [];
  if (before?.head?.sourceImageId !== after.head?.sourceImageId) {
    parts.push(`head ${before?.head?.sourceImageId ?? 'none'} -> ${after.head?.sourceImageId ?? 'none'}`);
  } else if (JSON.stringify(before?.head?.labelled) !== JSON.stringify(after.head?.labelled)) {
    parts.push('labels recorded');
  }
  if (before?.pin?.sourceImageId !== after.pin?.sourceImageId) {
    parts.push(after.pin === undefined ? 'unpinned' : `pinned to ${after.pin.sourceImageId}`);
  }
  return parts.join(', ') || 'rewritten';
}
