import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, rawRequest, startHarness } from './ec2-harness.js';

/**
 * The id errors every image and snapshot action shares, as a table: each row names the action,
 * the extra parameters it needs to get as far as the lookup, and why the row is there.
 */
const xml = new XMLParser({ parseTagValue: false });

interface Row {
  action: string;
  idParameter: 'ImageId' | 'SnapshotId';
  extra: Record<string, string>;
  reason: string;
}

const IMAGE_ACTIONS: Row[] = [
  { action: 'DeregisterImage', idParameter: 'ImageId', extra: {}, reason: 'retirement deregisters by id' },
  {
    action: 'DescribeImageAttribute',
    idParameter: 'ImageId',
    extra: { Attribute: 'description' },
    reason: 'sharing reads attributes by id',
  },
  {
    action: 'ModifyImageAttribute',
    idParameter: 'ImageId',
    extra: { 'Description.Value': 'x' },
    reason: 'sharing writes attributes by id',
  },
  {
    action: 'ResetImageAttribute',
    idParameter: 'ImageId',
    extra: { Attribute: 'launchPermission' },
    reason: 'unsharing resets by id',
  },
  {
    action: 'EnableImageDeprecation',
    idParameter: 'ImageId',
    extra: { DeprecateAt: '2099-01-01T00:00:00Z' },
    reason: 'deprecation targets one image',
  },
  { action: 'DisableImageDeprecation', idParameter: 'ImageId', extra: {}, reason: 'undo deprecation' },
  {
    action: 'EnableImageDeregistrationProtection',
    idParameter: 'ImageId',
    extra: {},
    reason: 'protection by id',
  },
  {
    action: 'DisableImageDeregistrationProtection',
    idParameter: 'ImageId',
    extra: {},
    reason: 'protection by id',
  },
  { action: 'DisableImage', idParameter: 'ImageId', extra: {}, reason: 'staged retirement disables by id' },
  { action: 'EnableImage', idParameter: 'ImageId', extra: {}, reason: 'undo a disable' },
];

const SNAPSHOT_ACTIONS: Row[] = [
  {
    action: 'DeleteSnapshot',
    idParameter: 'SnapshotId',
    extra: {},
    reason: 'retirement deletes snapshots by id',
  },
  {
    action: 'DescribeSnapshotAttribute',
    idParameter: 'SnapshotId',
    extra: { Attribute: 'createVolumePermission' },
    reason: 'sharing reads snapshot permissions',
  },
  {
    action: 'ModifySnapshotAttribute',
    idParameter: 'SnapshotId',
    extra: { 'CreateVolumePermission.Add.1.UserId': '210987654321' },
    reason: 'sharing writes snapshot permissions',
  },
];

describe('id errors shared by every image and snapshot action', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const call = async (row: Row, params: Record<string, string>) => {
    const response = await rawRequest(h.server.endpoint, {
      Action: row.action,
      Version: '2016-11-15',
      ...row.extra,
      ...params,
    });
    const error = response.status === 200 ? undefined : xml.parse(response.body).Response?.Errors?.Error;
    return { status: response.status, code: error?.Code, message: error?.Message };
  };

  for (const row of IMAGE_ACTIONS) {
    it(`${row.action} (${row.reason}): missing, malformed and unknown ids`, async () => {
      expect(await call(row, {})).toEqual({
        status: 400,
        code: 'MissingParameter',
        message: 'The request must contain the parameter ImageId',
      });
      expect(await call(row, { ImageId: 'image-1' })).toMatchObject({
        status: 400,
        code: 'InvalidAMIID.Malformed',
      });
      expect(await call(row, { ImageId: 'ami-0123456789abcdef0' })).toEqual({
        status: 400,
        code: 'InvalidAMIID.NotFound',
        message: "The image id '[ami-0123456789abcdef0]' does not exist",
      });
    });
  }

  for (const row of SNAPSHOT_ACTIONS) {
    it(`${row.action} (${row.reason}): missing, malformed and unknown ids`, async () => {
      expect(await call(row, {})).toMatchObject({ status: 400, code: 'MissingParameter' });
      expect(await call(row, { SnapshotId: 'disk-1' })).toMatchObject({
        status: 400,
        code: 'InvalidSnapshotID.Malformed',
      });
      expect(await call(row, { SnapshotId: 'snap-0123456789abcdef0' })).toEqual({
        status: 400,
        code: 'InvalidSnapshot.NotFound',
        message: "The snapshot 'snap-0123456789abcdef0' does not exist.",
      });
    });
  }

  it('a deregistered image is InvalidAMIID.Unavailable for every image action', async () => {
    for (const row of IMAGE_ACTIONS) {
      const { imageId } = h.emulator.seedImage({
        region: 'us-east-1',
        name: `gone-${row.action}`,
        state: 'deregistered',
        emitEvent: false,
      });
      expect({ action: row.action, ...(await call(row, { ImageId: imageId })) }).toMatchObject({
        action: row.action,
        status: 400,
        code: 'InvalidAMIID.Unavailable',
      });
    }
  });

  it('an unknown attribute is refused', async () => {
    const { imageId, snapshotIds } = h.emulator.seedImage({
      region: 'us-east-1',
      name: 'attrs',
      emitEvent: false,
    });
    const image = await rawRequest(h.server.endpoint, {
      Action: 'DescribeImageAttribute',
      ImageId: imageId,
      Attribute: 'colour',
    });
    expect(xml.parse(image.body).Response.Errors.Error).toEqual({
      Code: 'InvalidRequest',
      Message: 'The request received was invalid',
    });
    const snapshot = await rawRequest(h.server.endpoint, {
      Action: 'DescribeSnapshotAttribute',
      SnapshotId: snapshotIds[0] ?? '',
      Attribute: 'colour',
    });
    expect(xml.parse(snapshot.body).Response.Errors.Error.Code).toBe('InvalidParameterValue');
  });
});
