import { describe, expect, it } from 'vitest';
import { type PointerMode, type PointerTarget, planPointers } from '../../shared/core/plan-pointers.js';
import {
  type ObservedPointers,
  type ObservedTemplate,
  type Release,
  type RuleState,
  releaseOrder,
} from '../../shared/core/pointers-model.js';
import { renderPlan } from '../../shared/core/render.js';
import { rule as baseRule } from './builders.js';

/**
 * The pointers' planner, as a table: each row is one situation (what the rule state and the
 * pointers hold, which release arrives, how), the diff it must produce and why. The diff is the
 * renderer's, so a row reads as an operator would see the plan.
 */

const PARAM = '/golden/golden/latest';
const OLD: Release = {
  sourceImageId: 'ami-0old0000000000000',
  sourceRegion: 'us-east-1',
  order: releaseOrder('2026-10-01T00:00:00.000Z', 'ami-0old0000000000000'),
};
const NEW: Release = {
  sourceImageId: 'ami-0new0000000000000',
  sourceRegion: 'us-east-1',
  order: releaseOrder('2026-11-01T00:00:00.000Z', 'ami-0new0000000000000'),
};
/** The release's image in eu-west-1 (a copy). */
const IMAGE: Record<string, string> = {
  [OLD.sourceImageId]: 'ami-0c01d000000000001',
  [NEW.sourceImageId]: 'ami-0c0e0000000000001',
};
const PIN = {
  sourceImageId: OLD.sourceImageId,
  sourceRegion: 'us-east-1',
  at: '2026-11-02T00:00:00.000Z',
  by: 'arn:aws:iam::123456789012:user/ops',
};

function rule(templates: unknown[] = [{ name: 'web', makeDefault: true }]) {
  return baseRule({
    publish: { parameters: [{ name: '/golden/{rule}/latest' }], launchTemplates: templates },
  });
}

function template(
  defaultImage: string | undefined,
  latest?: { number: number; imageId: string },
): ObservedTemplate {
  const defaultVersion = { number: 3, ...(defaultImage === undefined ? {} : { imageId: defaultImage }) };
  return {
    templateId: 'lt-0123456789abcdef0',
    templateName: 'web',
    defaultVersion,
    latestVersion: latest ?? defaultVersion,
  };
}

function observed(
  state: RuleState | undefined,
  value: string | undefined,
  lt: ObservedTemplate | null = template(value),
): ObservedPointers {
  return {
    rule: 'golden',
    region: 'eu-west-1',
    ...(state === undefined ? {} : { state }),
    parameters: new Map(value === undefined ? [] : [[PARAM, { name: PARAM, value, version: 4 }]]),
    templates: new Map([['web', lt ?? undefined]]),
  };
}

function target(release: Release): PointerTarget {
  return { release, imageId: IMAGE[release.sourceImageId] ?? '', after: ['share-image:eu-west-1:x'] };
}

const forward: PointerMode = { kind: 'forward' };
const event: PointerMode = { kind: 'forward', trustHead: true };

const cases: Array<{
  why: string;
  pointers: ObservedPointers;
  release: Release | undefined;
  mode?: PointerMode;
  rules?: ReturnType<typeof rule>;
  diff: string[];
}> = [
  {
    why: 'the first release: the parameter is created, the template gets a version from its default and made default, the state records the head',
    pointers: observed(undefined, undefined, template('ami-0base000000000001')),
    release: NEW,
    diff: [
      `+ eu-west-1 parameter ${PARAM} = ami-0c0e0000000000001 (release ami-0new0000000000000 (us-east-1))`,
      '+ eu-west-1 launch template web new version from v3: ami-0base000000000001 -> ami-0c0e0000000000001, made default',
      '~ eu-west-1 rule state of golden: head none -> ami-0new0000000000000',
    ],
  },
  {
    why: 'a newer release: every pointer moves from the old image, then the head',
    pointers: observed({ version: 1, head: OLD }, IMAGE[OLD.sourceImageId]),
    release: NEW,
    diff: [
      `~ eu-west-1 parameter ${PARAM}: ami-0c01d000000000001 -> ami-0c0e0000000000001 (release ami-0new0000000000000 (us-east-1))`,
      '+ eu-west-1 launch template web new version from v3: ami-0c01d000000000001 -> ami-0c0e0000000000001, made default',
      '~ eu-west-1 rule state of golden: head ami-0old0000000000000 -> ami-0new0000000000000',
    ],
  },
  {
    why: 'a replayed older release: never backwards, whatever the pointers hold; the plan says why',
    pointers: observed({ version: 1, head: NEW }, IMAGE[NEW.sourceImageId]),
    release: OLD,
    mode: event,
    diff: [
      '! eu-west-1 rule golden: older release ami-0old0000000000000 (us-east-1), left alone: the pointers name the newer ami-0new0000000000000 (us-east-1)',
    ],
  },
  {
    why: 'the same release again on the event path (a repeated event): the head says it moved; AWS may still be validating the value',
    pointers: observed({ version: 1, head: NEW }, IMAGE[OLD.sourceImageId]),
    release: NEW,
    mode: event,
    diff: ['! eu-west-1 rule golden: the pointers were moved to ami-0new0000000000000 already'],
  },
  {
    why: 'converged (a scheduled run): no write at all',
    pointers: observed({ version: 1, head: { ...NEW, labelled: { [PARAM]: 4 } } }, IMAGE[NEW.sourceImageId]),
    release: NEW,
    diff: [],
  },
  {
    why: 'a parameter someone changed: the run sets it back; the head is unchanged, so no state write',
    pointers: observed(
      { version: 1, head: { ...NEW, labelled: { [PARAM]: 4 } } },
      'ami-0ffff000000000001',
      template(IMAGE[NEW.sourceImageId]),
    ),
    release: NEW,
    diff: [
      `~ eu-west-1 parameter ${PARAM}: ami-0ffff000000000001 -> ami-0c0e0000000000001 (release ami-0new0000000000000 (us-east-1))`,
    ],
  },
  {
    why: 'the value validated since the move: its version is labelled with the release, recorded so it is labelled once',
    pointers: observed({ version: 1, head: NEW }, IMAGE[NEW.sourceImageId]),
    release: NEW,
    diff: [
      `~ eu-west-1 label parameter ${PARAM} version 4 ami-0new0000000000000`,
      '~ eu-west-1 rule state of golden: labels recorded',
    ],
  },
  {
    why: 'pinned by a rollback to another release: a new release moves nothing until unpin',
    pointers: observed({ version: 1, head: OLD, pin: PIN }, IMAGE[OLD.sourceImageId]),
    release: NEW,
    diff: [
      '! eu-west-1 rule golden: pinned to ami-0old0000000000000 (us-east-1) by a rollback at 2026-11-02T00:00:00.000Z; release ami-0new0000000000000 leaves the pointers alone until ami-lifecycle unpin',
    ],
  },
  {
    why: 'a template whose latest version has the image already (made, not yet default): only made default',
    pointers: observed(
      { version: 1, head: OLD },
      IMAGE[NEW.sourceImageId],
      template(IMAGE[OLD.sourceImageId], { number: 4, imageId: IMAGE[NEW.sourceImageId] ?? '' }),
    ),
    release: NEW,
    diff: [
      '~ eu-west-1 launch template web default -> v4: ami-0c01d000000000001 -> ami-0c0e0000000000001',
      // The parameter names the release already (validated): its version is labelled on the way.
      `~ eu-west-1 label parameter ${PARAM} version 4 ami-0new0000000000000`,
      '~ eu-west-1 rule state of golden: head ami-0old0000000000000 -> ami-0new0000000000000',
    ],
  },
  {
    why: 'without makeDefault, a latest version with the image is enough: the default stays',
    rules: rule([{ name: 'web' }]),
    pointers: observed(
      { version: 1, head: NEW },
      IMAGE[NEW.sourceImageId],
      template(IMAGE[OLD.sourceImageId], { number: 4, imageId: IMAGE[NEW.sourceImageId] ?? '' }),
    ),
    release: NEW,
    mode: event,
    diff: ['! eu-west-1 rule golden: the pointers were moved to ami-0new0000000000000 already'],
  },
  {
    why: 'a named template missing in the region: noted, the other pointers still move',
    pointers: observed(undefined, undefined, null),
    release: NEW,
    diff: [
      `+ eu-west-1 parameter ${PARAM} = ami-0c0e0000000000001 (release ami-0new0000000000000 (us-east-1))`,
      '~ eu-west-1 rule state of golden: head none -> ami-0new0000000000000',
      '! eu-west-1 rule golden: launch template web not found here; not updated',
    ],
  },
  {
    why: 'rollback: back to the older release whatever the head, and pinned there',
    pointers: observed({ version: 1, head: NEW }, IMAGE[NEW.sourceImageId]),
    release: OLD,
    mode: { kind: 'rollback', pin: PIN },
    diff: [
      `~ eu-west-1 parameter ${PARAM}: ami-0c0e0000000000001 -> ami-0c01d000000000001 (release ami-0old0000000000000 (us-east-1))`,
      '+ eu-west-1 launch template web new version from v3: ami-0c0e0000000000001 -> ami-0c01d000000000001, made default',
      '~ eu-west-1 rule state of golden: head ami-0new0000000000000 -> ami-0old0000000000000, pinned to ami-0old0000000000000',
    ],
  },
  {
    why: 'unpin: the pin goes, and the pointers move forward to the newest release',
    pointers: observed({ version: 1, head: OLD, pin: PIN }, IMAGE[OLD.sourceImageId]),
    release: NEW,
    mode: { kind: 'unpin' },
    diff: [
      `~ eu-west-1 parameter ${PARAM}: ami-0c01d000000000001 -> ami-0c0e0000000000001 (release ami-0new0000000000000 (us-east-1))`,
      '+ eu-west-1 launch template web new version from v3: ami-0c01d000000000001 -> ami-0c0e0000000000001, made default',
      '~ eu-west-1 rule state of golden: head ami-0old0000000000000 -> ami-0new0000000000000, unpinned',
    ],
  },
  {
    why: 'unpin with no release available here: only the pin is removed',
    pointers: observed({ version: 1, head: OLD, pin: PIN }, IMAGE[OLD.sourceImageId]),
    release: undefined,
    mode: { kind: 'unpin' },
    diff: ['~ eu-west-1 rule state of golden: unpinned'],
  },
];

describe('planPointers', () => {
  it.each(cases)('$why', ({ pointers, release, mode, rules, diff }) => {
    const plan = planPointers(
      rules ?? rule(),
      'eu-west-1',
      release && target(release),
      pointers,
      mode ?? forward,
    );
    expect(renderPlan({ actions: plan.actions, notes: plan.notes })).toEqual(diff);
  });

  it('a move waits for the image to be shared and tagged here, and the state for every move', () => {
    const plan = planPointers(rule(), 'eu-west-1', target(NEW), observed(undefined, undefined), forward);
    const moves = plan.actions.filter((a) => a.kind === 'put-parameter' || a.kind === 'template-version');
    for (const move of moves) expect(move.after).toEqual(['share-image:eu-west-1:x']);
    const state = plan.actions.find((a) => a.kind === 'put-rule-state');
    expect(state?.after).toEqual(moves.map((a) => a.id));
    // The announcement reports the moves however they went: it waits for them, it does not need them.
    const announce = plan.actions.find((a) => a.kind === 'announce');
    expect(announce?.waitsFor).toEqual(moves.map((a) => a.id));
    expect(announce?.after).toBeUndefined();
  });

  it("a template version's client token is the same for the same move, so a repeat makes no second version", () => {
    const first = planPointers(rule(), 'eu-west-1', target(NEW), observed(undefined, undefined), forward);
    const again = planPointers(rule(), 'eu-west-1', target(NEW), observed(undefined, undefined), forward);
    const token = (p: typeof first) =>
      p.actions.flatMap((a) => (a.kind === 'template-version' ? [a.clientToken] : []));
    expect(token(first)).toHaveLength(1);
    expect(token(again)).toEqual(token(first));
  });
});
