import { type Detail, DetailType, type DetailTypeName } from '../shared/core/notifications.js';

/**
 * One example detail per detail type, as the tool publishes it: the README shows them, and tests
 * check them against the published schemas (so the documentation cannot drift from the contract).
 */
export const EXAMPLES: { readonly [T in DetailTypeName]: Detail<T> } = {
  [DetailType.DistributionStarted]: {
    schemaVersion: 1,
    eventId: '0c4f0a8f5e1d4c7b9a3e2d1c0b9a8f7e',
    rule: 'golden-linux',
    sourceImageId: 'ami-0123456789abcdef0',
    sourceRegion: 'us-east-1',
    imageName: 'golden-linux-2026-11-26',
    targetRegions: ['eu-west-1', 'ap-southeast-2', 'us-west-2'],
    copies: [
      { region: 'eu-west-1', imageId: 'ami-0a1b2c3d4e5f60718' },
      { region: 'ap-southeast-2', imageId: 'ami-0b2c3d4e5f6071829' },
      { region: 'us-west-2', imageId: 'ami-0c3d4e5f607182930' },
    ],
  },
  [DetailType.CopyFailed]: {
    schemaVersion: 1,
    eventId: '7d2e9b1a4c6f8e0d3b5a7c9e1f2d4b6a',
    rule: 'golden-linux',
    sourceImageId: 'ami-0123456789abcdef0',
    sourceRegion: 'us-east-1',
    imageName: 'golden-linux-2026-11-26',
    imageId: 'ami-0b2c3d4e5f6071829',
    region: 'ap-southeast-2',
    reason: 'Snapshot copy failed: the KMS key is pending deletion',
    regions: [
      { region: 'us-east-1', role: 'source', imageId: 'ami-0123456789abcdef0', status: 'available' },
      { region: 'eu-west-1', role: 'copy', imageId: 'ami-0a1b2c3d4e5f60718', status: 'available' },
      {
        region: 'ap-southeast-2',
        role: 'copy',
        imageId: 'ami-0b2c3d4e5f6071829',
        status: 'failed',
        reason: 'Snapshot copy failed: the KMS key is pending deletion',
      },
      { region: 'us-west-2', role: 'copy', imageId: 'ami-0c3d4e5f607182930', status: 'pending' },
    ],
    sharedWith: {
      accounts: ['111122223333', '444455556666'],
      organizations: [],
      organizationalUnits: ['arn:aws:organizations::123456789012:ou/o-exampleorgid/ou-ab12-cd34ef56'],
      public: false,
    },
  },
  [DetailType.DistributionCompleted]: {
    schemaVersion: 1,
    eventId: 'f1e2d3c4b5a697887766554433221100',
    rule: 'golden-linux',
    sourceImageId: 'ami-0123456789abcdef0',
    sourceRegion: 'us-east-1',
    imageName: 'golden-linux-2026-11-26',
    regions: [
      { region: 'us-east-1', role: 'source', imageId: 'ami-0123456789abcdef0', status: 'available' },
      { region: 'eu-west-1', role: 'copy', imageId: 'ami-0a1b2c3d4e5f60718', status: 'available' },
      { region: 'ap-southeast-2', role: 'copy', imageId: 'ami-0d4e5f60718293a4b', status: 'available' },
      { region: 'us-west-2', role: 'copy', imageId: 'ami-0c3d4e5f607182930', status: 'available' },
    ],
    sharedWith: {
      accounts: ['111122223333', '444455556666'],
      organizations: [],
      organizationalUnits: ['arn:aws:organizations::123456789012:ou/o-exampleorgid/ou-ab12-cd34ef56'],
      public: false,
    },
    completedAt: '2026-11-26T10:42:17.512Z',
  },
  [DetailType.ActionsFailed]: {
    schemaVersion: 1,
    eventId: '3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e2b',
    rule: 'golden-linux',
    sourceImageId: 'ami-0123456789abcdef0',
    sourceRegion: 'us-east-1',
    imageId: 'ami-0123456789abcdef0',
    region: 'us-east-1',
    failures: [
      {
        operation: 'CopyImage',
        region: 'ap-east-1',
        code: 'OptInRequired',
        message: 'CopyImage in ap-east-1 failed: OptInRequired: You are not subscribed to this service.',
      },
    ],
  },
  [DetailType.Deprecated]: {
    schemaVersion: 1,
    eventId: '9e8d7c6b5a4938271605f4e3d2c1b0a9',
    rule: 'golden-linux',
    role: 'copy',
    sourceImageId: 'ami-0fedcba9876543210',
    sourceRegion: 'us-east-1',
    imageId: 'ami-0e5f60718293a4b5c',
    region: 'eu-west-1',
    deprecationTime: '2026-12-03T10:00:00.000Z',
    reason:
      'superseded: number 3 of 3 in family "golden-linux-*" in us-east-1 (keep 2), created 2026-10-01T09:12:44Z',
  },
  [DetailType.Deregistered]: {
    schemaVersion: 1,
    eventId: '5b4a39281706f5e4d3c2b1a098f7e6d5',
    rule: 'golden-linux',
    role: 'copy',
    sourceImageId: 'ami-0fedcba9876543210',
    sourceRegion: 'us-east-1',
    imageId: 'ami-0e5f60718293a4b5c',
    region: 'eu-west-1',
    reason:
      'superseded: number 3 of 3 in family "golden-linux-*" in us-east-1 (keep 2), created 2026-10-01T09:12:44Z; deregistration due 30 days after creation',
    snapshotsDeleted: ['snap-0a1b2c3d4e5f60718'],
    snapshotsNotDeleted: [
      { snapshotId: 'snap-0b2c3d4e5f6071829', outcome: 'in-use', detail: 'used by ami-0aaaabbbbccccdddd' },
    ],
  },
  [DetailType.ReconcileReport]: {
    schemaVersion: 1,
    eventId: 'c0b1a2938475665748392a1b0c9d8e7f',
    region: 'eu-west-1',
    dryRun: false,
    startedAt: '2026-11-26T12:00:03.118Z',
    durationMs: 4211,
    managed: { sources: 0, copies: 42 },
    planned: { copy: 1, 'share-image': 2 },
    applied: { copy: 1, 'share-image': 1 },
    failed: 1,
    failures: [
      {
        action: 'share ami-0a1b2c3d4e5f60718 with account 111122223333',
        operation: 'ModifyImageAttribute',
        code: 'InvalidAMIAttributeItemValue',
        message:
          'ModifyImageAttribute in eu-west-1 failed: InvalidAMIAttributeItemValue: Invalid attribute item value',
        retryable: false,
      },
    ],
    copiesInFlight: 3,
    deferredCopies: 0,
    skipped: 0,
    stoppedEarly: false,
  },
};
