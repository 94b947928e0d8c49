/** What the tool publishes on its own event bus: the `source` and `detail-type` operators subscribe to. */
export const EVENT_SOURCE = 'ami-lifecycle';

export const DetailType = {
  /** A copy the tool started ended `failed`. */
  CopyFailed: 'AMI Copy Failed',
  /** Actions that failed in a way retrying will not fix (permissions, a region not enabled, bad parameters). */
  ActionsFailed: 'AMI Actions Failed',
  /** An image (and its snapshots) the tool deregistered under a rule's `retire` settings. */
  Retired: 'AMI Retired',
  /** The scheduled reconcile of one region: counts per action, failures, what was deferred. */
  ReconcileReport: 'AMI Reconcile Report',
} as const;
