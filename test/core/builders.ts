import type { ImageDetail, ObservedImage, ObservedSnapshot } from '../../shared/core/model.js';
import { type Rule, RuleSchema } from '../../shared/rules/schema.js';

/** Test data builders: literals with defaults, so each table row states only what it is about. */

export const ACCOUNT = '123456789012';

export function rule(overrides: Record<string, unknown> = {}): Rule {
  return RuleSchema.parse({
    name: 'golden',
    match: { regions: ['us-east-1'], names: ['golden-*'] },
    copy: { regions: ['eu-west-1', 'ap-southeast-2', 'us-west-2'], tags: { distribution: 'golden' } },
    share: {
      accounts: ['444455556666'],
      organizations: ['arn:aws:organizations::111122223333:organization/o-exampleorg1'],
      organizationalUnits: ['arn:aws:organizations::111122223333:ou/o-exampleorg1/ou-ab12-cdef3456'],
      snapshotPermissions: true,
    },
    tags: { image: { owner: 'platform' } },
    ...overrides,
  });
}

export function image(overrides: Partial<ObservedImage> = {}): ObservedImage {
  return {
    region: 'us-east-1',
    imageId: 'ami-0abcdef1234567890',
    name: 'golden-linux-2026.11',
    ownerId: ACCOUNT,
    state: 'available',
    rootDeviceType: 'ebs',
    snapshotIds: ['snap-0aaaaaaaaaaaaaaa1', 'snap-0aaaaaaaaaaaaaaa2'],
    tags: {},
    isPublic: false,
    creationDate: '2026-11-20T10:00:00.000Z',
    hasMarketplaceCode: false,
    ...overrides,
  };
}

export function snapshot(snapshotId: string, overrides: Partial<ObservedSnapshot> = {}): ObservedSnapshot {
  return { snapshotId, tags: {}, encrypted: false, createVolumeUserIds: [], ...overrides };
}

/** An image observed in full, with untagged, unshared snapshots unless told otherwise. */
export function detail(img: ObservedImage, overrides: Partial<ImageDetail> = {}): ImageDetail {
  return {
    image: img,
    launchPermissions: [],
    snapshots: img.snapshotIds.map((id) => snapshot(id)),
    ...overrides,
  };
}
