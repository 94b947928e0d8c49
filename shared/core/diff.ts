import type { Action, Plan } from './actions.js';
import type { LaunchPermission } from './model.js';

/**
 * The plan as a diff, one line per action or note: what the log shows before applying, what
 * dry-run and `ami-lifecycle plan` print. `+` adds, `~` changes, `!` is a note (skipped work).
 */
export function renderPlan(plan: Plan): string[] {
  return [
    ...plan.actions.map(renderAction),
    ...plan.notes.map((n) => `! ${n.region} ${n.imageId ?? ''} ${n.message}`.replace(/ +/g, ' ')),
  ];
}

export function renderAction(action: Action): string {
  switch (action.kind) {
    case 'tag':
      return `~ ${action.region} tag ${action.resourceIds.join(', ')}: ${action.changes
        .map((c) =>
          c.previous === undefined ? `+${c.key}=${c.value}` : `${c.key}: ${c.previous} -> ${c.value}`,
        )
        .join(', ')}`;
    case 'share-image':
      return `+ ${action.region} share ${action.imageId} with ${action.add.map(renderPermission).join(', ')}`;
    case 'share-snapshot':
      return `+ ${action.region} share ${action.snapshotId} (of ${action.imageId}) create-volume with ${action.addUserIds.join(', ')}`;
    case 'copy': {
      const encryption = action.encrypted
        ? ` encrypted${action.kmsKeyId ? ` with ${action.kmsKeyId}` : ''}`
        : '';
      return `+ ${action.region} copy ${action.sourceImageId} from ${action.sourceRegion} as "${action.name}"${encryption} (attempt ${action.generation + 1})`;
    }
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
