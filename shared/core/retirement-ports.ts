/**
 * The EC2 calls retirement needs in one region. Kept apart from `ports.ts`: only the retirement
 * path (and its IAM statements) uses them. Like every port, each method returns what was asked or
 * throws an `AwsCallError`.
 */

import type { LaunchPermission } from './model.js';

/** What DeregisterImage said about one snapshot it was asked to delete (`DeleteAssociatedSnapshots`). */
export interface SnapshotDeletionResult {
  readonly snapshotId: string;
  /** `success`, `skipped` (used by another image), `missing-permissions`, `internal-error`, `client-error`. */
  readonly returnCode: string;
}

export interface RetirementEc2 {
  /**
   * What in this account and region uses the image, one readable line each (`instance i-…`,
   * `launch-template lt-… v3`, `ssm-parameter …`). Empty: nothing found. Read-only.
   */
  findReferences(imageId: string): Promise<string[]>;
  /**
   * Who besides the owner may launch the image (DescribeImageAttribute `launchPermission`):
   * accounts, organizations, OUs, or `public`. Empty: only this account. Read-only.
   */
  describeLaunchPermissions(imageId: string): Promise<LaunchPermission[]>;
  /** EnableImageDeprecation at `at` (UTC, a whole minute, not in the past). */
  enableDeprecation(imageId: string, at: Date): Promise<void>;
  /** DeregisterImage with `DeleteAssociatedSnapshots: true`; the per-snapshot results EC2 returned. */
  deregister(imageId: string): Promise<{ snapshotResults: SnapshotDeletionResult[] }>;
  /** DeleteSnapshot. EC2 refuses (`InvalidSnapshot.InUse`) while any registered image uses it. */
  deleteSnapshot(snapshotId: string): Promise<void>;
}

/** The retirement calls of a region; implementations build one client per region, once. */
export type RetirementEc2ForRegion = (region: string) => RetirementEc2;
