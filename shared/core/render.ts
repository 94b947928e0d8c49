import type { Action, Plan, PlanNote } from './actions.js';
import type { LaunchPermission } from './model.js';
import { printable } from './printable.js';

/**
 * The one renderer: a plan as a diff, one line per change and per note. It is what the log shows
 * before applying and what dry runs and `ami-lifecycle plan` print. `+` adds, `~` changes, `-`
 * removes or deletes, `!` is a note (work left alone, and why).
 *
 * Two kinds of action are not changes of their own and have no line: an announcement (it reports
 * the changes it follows) and the deletion of a snapshot that follows its image's deregistration
 * (the deregistration's line names it).
 */
export function renderPlan(plan: Plan): string[] {
  return [...plan.actions.filter(isChange).map(renderAction), ...plan.notes.map(renderNote)];
}

/** Whether the action is a change of its own, with a line in the diff and a place in the counts. */
export function isChange(action: Action): boolean {
  if (action.kind === 'announce') return false;
  return !(action.kind === 'delete-snapshot' && (action.after ?? []).length > 0);
}

/** A note's line. Its message may quote names and errors from AWS: shown escaped, on one line. */
export function renderNote(note: PlanNote): string {
  return printable(`! ${note.region} ${note.imageId ?? ''} ${note.message}`.replace(/ +/g, ' '));
}

/** An action's line; values that come from AWS (tag values, names, reasons) are shown escaped, on one line. */
export function renderAction(action: Action): string {
  return printable(actionLine(action));
}

function actionLine(action: Action): string {
  switch (action.kind) {
    case 'tag':
      return `~ ${action.region} tag ${action.resourceIds.join(', ')}: ${action.changes
        .map((c) =>
          c.previous === undefined ? `+${c.key}=${c.value}` : `${c.key}: ${c.previous} -> ${c.value}`,
        )
        .join(', ')}`;
    case 'share-image':
      return `+ ${action.region} share ${action.imageId} with ${action.add.map(renderPermission).join(', ')}`;
    case 'unshare-image':
      return `- ${action.region} unshare ${action.imageId} from ${action.remove.map(renderPermission).join(', ')}: ${action.reason}`;
    case 'share-snapshot':
      return `+ ${action.region} share ${action.snapshotId} (of ${action.imageId}) create-volume with ${action.addUserIds.join(', ')}`;
    case 'copy': {
      const encryption = action.encrypted
        ? ` encrypted${action.kmsKeyId ? ` with ${action.kmsKeyId}` : ''}`
        : '';
      return `+ ${action.region} copy ${action.sourceImageId} from ${action.sourceRegion} as "${action.name}"${encryption} (attempt ${action.generation + 1})`;
    }
    case 'deprecate':
      return `~ ${action.region} deprecate ${action.imageId} at ${isoMinute(action.at)} (rule ${action.rule})`;
    case 'undeprecate':
      return `~ ${action.region} undeprecate ${action.imageId}: ${action.reason}`;
    case 'disable-image':
      return `~ ${action.region} disable ${action.imageId} (${action.role} of rule ${action.rule}): ${action.reason}`;
    case 'enable-image':
      return `~ ${action.region} enable ${action.imageId}: ${action.reason}`;
    case 'deregister':
      return `- ${action.region} deregister ${action.imageId} (${action.role} of rule ${action.rule}) and delete ${snapshotList(action.snapshotIds)}: ${action.reason}`;
    case 'delete-snapshot':
      return `- ${action.region} delete ${action.snapshotId} (of ${action.imageId}, gone): ${action.reason}`;
    case 'put-parameter': {
      const release = `release ${action.release.sourceImageId} (${action.release.sourceRegion})`;
      return action.exists
        ? `~ ${action.region} parameter ${action.name}: ${action.previous ?? '?'} -> ${action.imageId} (${release})`
        : `+ ${action.region} parameter ${action.name} = ${action.imageId} (${release})`;
    }
    case 'label-parameter':
      return `~ ${action.region} label parameter ${action.name} version ${action.version} ${action.label}`;
    case 'template-version': {
      const change = `${action.previous ?? 'no image'} -> ${action.imageId}`;
      return action.version === undefined
        ? `+ ${action.region} launch template ${action.template} new version from v${action.sourceVersion}: ${change}${action.makeDefault ? ', made default' : ''}`
        : `~ ${action.region} launch template ${action.template} default -> v${action.version}: ${change}`;
    }
    case 'put-rule-state':
      return `~ ${action.region} rule state of ${action.rule}: ${action.change}`;
    case 'announce':
      return `> ${action.region} announce ${action.announcement.kind}`;
  }
}

export function renderPermission(permission: LaunchPermission): string {
  switch (permission.kind) {
    case 'account':
      return `account ${permission.id}`;
    case 'organization':
      return `organization ${permission.arn}`;
    case 'organizational-unit':
      return `OU ${permission.arn}`;
    case 'public':
      return 'everyone (public)';
  }
}

export function snapshotList(snapshotIds: readonly string[]): string {
  return snapshotIds.length === 0 ? 'no snapshots' : `snapshots ${snapshotIds.join(', ')}`;
}

function isoMinute(at: Date): string {
  return at.toISOString().replace('.000Z', 'Z');
}
