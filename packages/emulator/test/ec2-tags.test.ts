import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeImagesCommand,
  DescribeTagsCommand,
  paginateDescribeTags,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { expectEc2Error, OTHER_ACCOUNT, rawRequest, useHarness } from './ec2-harness.js';

const REGION = 'us-east-1';

describe('CreateTags / DeleteTags / DescribeTags', () => {
  const h = useHarness();
  let imageId: string;
  let snapshotId: string;
  beforeEach(() => {
    const seeded = h.emulator.seedImage({
      region: REGION,
      name: 'tag-me',
      tags: { Existing: 'yes' },
      emitEvent: false,
    });
    imageId = seeded.imageId;
    snapshotId = seeded.snapshotIds[0] ?? '';
  });

  const tagsOf = (id: string) =>
    (id.startsWith('ami-') ? h.emulator.getImage(REGION, id) : h.emulator.getSnapshot(REGION, id))?.tags;

  it('tags an image and its snapshot in one call, overwriting existing keys and accepting empty values', async () => {
    await h.client().send(
      new CreateTagsCommand({
        Resources: [imageId, snapshotId],
        Tags: [
          { Key: 'Existing', Value: 'overwritten' },
          { Key: 'Empty', Value: '' },
        ],
      }),
    );
    expect(tagsOf(imageId)).toEqual({ Existing: 'overwritten', Empty: '' });
    expect(tagsOf(snapshotId)).toEqual({ Existing: 'overwritten', Empty: '' });
    const [image] = (await h.client().send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect(image?.Tags).toEqual([
      { Key: 'Empty', Value: '' },
      { Key: 'Existing', Value: 'overwritten' },
    ]);
  });

  it('refuses aws: keys, missing resources, unknown ids and a 51st tag, applying nothing', async () => {
    const awsKey = await expectEc2Error(
      h.client().send(
        new CreateTagsCommand({
          Resources: [imageId],
          Tags: [{ Key: 'aws:cloudformation:stack', Value: 'x' }],
        }),
      ),
      'InvalidParameterValue',
    );
    expect(awsKey.message).toMatch(/aws:/);
    await expectEc2Error(
      h.client().send(
        new CreateTagsCommand({
          Resources: [imageId, 'ami-0123456789abcdef0'],
          Tags: [{ Key: 'A', Value: '1' }],
        }),
      ),
      'InvalidAMIID.NotFound',
    );
    const missingSnapshot = await expectEc2Error(
      h
        .client()
        .send(
          new CreateTagsCommand({ Resources: ['snap-0123456789abcdef0'], Tags: [{ Key: 'A', Value: '1' }] }),
        ),
      'InvalidSnapshot.NotFound',
    );
    expect(missingSnapshot.message).toBe("The snapshot 'snap-0123456789abcdef0' does not exist.");
    const invalid = await expectEc2Error(
      h.client().send(new CreateTagsCommand({ Resources: ['widget-1'], Tags: [{ Key: 'A', Value: '1' }] })),
      'InvalidID',
    );
    expect(invalid.message).toBe("The ID 'widget-1' is not valid");
    await expectEc2Error(
      h.client().send(new CreateTagsCommand({ Resources: [], Tags: [{ Key: 'A', Value: '1' }] })),
      'MissingParameter',
    );
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: String(i) }));
    const limit = await expectEc2Error(
      h.client().send(new CreateTagsCommand({ Resources: [imageId], Tags: fifty })),
      'TagLimitExceeded',
    );
    expect(limit.message).toBe('The maximum number of Tags for a resource has been reached.');
    expect(tagsOf(imageId)).toEqual({ Existing: 'yes' });
    // Exactly 50 fits (49 new keys plus the existing one).
    await h.client().send(new CreateTagsCommand({ Resources: [imageId], Tags: fifty.slice(0, 49) }));
    expect(Object.keys(tagsOf(imageId) ?? {})).toHaveLength(50);
  });

  it('requires a tag value on create (the empty string is a value)', async () => {
    const raw = await rawRequest(h.server.endpoint, {
      Action: 'CreateTags',
      'ResourceId.1': imageId,
      'Tag.1.Key': 'NoValue',
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toContain('Tag value cannot be null. Use empty string instead.');
  });

  it('deletes by key alone, by key and value, by key and empty value, and everything with no tags', async () => {
    await h.client().send(
      new CreateTagsCommand({
        Resources: [imageId],
        Tags: [
          { Key: 'A', Value: '1' },
          { Key: 'B', Value: '2' },
          { Key: 'C', Value: '' },
          { Key: 'D', Value: 'd' },
        ],
      }),
    );
    await h.client().send(
      new DeleteTagsCommand({
        Resources: [imageId],
        Tags: [{ Key: 'A' }, { Key: 'B', Value: 'not-2' }, { Key: 'C', Value: '' }, { Key: 'D', Value: '' }],
      }),
    );
    expect(tagsOf(imageId)).toEqual({ Existing: 'yes', B: '2', D: 'd' });
    await h.client().send(new DeleteTagsCommand({ Resources: [imageId], Tags: [{ Key: 'B', Value: '2' }] }));
    expect(tagsOf(imageId)).toEqual({ Existing: 'yes', D: 'd' });
    await h.client().send(new DeleteTagsCommand({ Resources: [imageId] }));
    expect(tagsOf(imageId)).toEqual({});
    await expectEc2Error(
      h.client().send(new DeleteTagsCommand({ Resources: ['i-0123456789abcdef0'] })),
      'InvalidID',
    );
  });

  it('keeps tags per account: another account tagging a public image does not change the owner’s view', async () => {
    const publicImage = h.emulator.seedImage({
      region: REGION,
      name: 'public-one',
      public: true,
      tags: { OwnerTag: 'o' },
      emitEvent: false,
    }).imageId;
    await h
      .client(REGION, OTHER_ACCOUNT)
      .send(new CreateTagsCommand({ Resources: [publicImage], Tags: [{ Key: 'ConsumerTag', Value: 'c' }] }));
    const [asConsumer] =
      (await h.client(REGION, OTHER_ACCOUNT).send(new DescribeImagesCommand({ ImageIds: [publicImage] })))
        .Images ?? [];
    expect(asConsumer?.Tags).toEqual([{ Key: 'ConsumerTag', Value: 'c' }]);
    const [asOwner] =
      (await h.client().send(new DescribeImagesCommand({ ImageIds: [publicImage] }))).Images ?? [];
    expect(asOwner?.Tags).toEqual([{ Key: 'OwnerTag', Value: 'o' }]);
  });

  it('describes tags with key, value, resource-id, resource-type and tag:K filters', async () => {
    await h
      .client()
      .send(new CreateTagsCommand({ Resources: [snapshotId], Tags: [{ Key: 'Backs', Value: imageId }] }));
    const items = async (filters: Array<{ Name: string; Values: string[] }>) =>
      ((await h.client().send(new DescribeTagsCommand({ Filters: filters }))).Tags ?? []).map((tag) => [
        tag.ResourceId,
        tag.ResourceType,
        tag.Key,
        tag.Value,
      ]);
    expect(await items([])).toEqual(
      [
        [imageId, 'image', 'Existing', 'yes'],
        [snapshotId, 'snapshot', 'Backs', imageId],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(await items([{ Name: 'resource-type', Values: ['snapshot'] }])).toEqual([
      [snapshotId, 'snapshot', 'Backs', imageId],
    ]);
    expect(await items([{ Name: 'key', Values: ['Exist*'] }])).toEqual([
      [imageId, 'image', 'Existing', 'yes'],
    ]);
    expect(await items([{ Name: 'value', Values: ['ami-*'] }])).toEqual([
      [snapshotId, 'snapshot', 'Backs', imageId],
    ]);
    expect(await items([{ Name: 'resource-id', Values: [imageId] }])).toEqual([
      [imageId, 'image', 'Existing', 'yes'],
    ]);
    expect(await items([{ Name: 'tag:Existing', Values: ['yes'] }])).toEqual([
      [imageId, 'image', 'Existing', 'yes'],
    ]);
  });

  it('paginates DescribeTags between 5 and 1000 results a page', async () => {
    const tags = Array.from({ length: 12 }, (_, i) => ({
      Key: `key-${String(i).padStart(2, '0')}`,
      Value: 'v',
    }));
    await h.client().send(new CreateTagsCommand({ Resources: [imageId], Tags: tags }));
    const first = await h.client().send(new DescribeTagsCommand({ MaxResults: 5 }));
    expect(first.Tags).toHaveLength(5);
    expect(first.NextToken).toBeTypeOf('string');
    const keys: string[] = [];
    for await (const page of paginateDescribeTags({ client: h.client(), pageSize: 5 }, {})) {
      for (const tag of page.Tags ?? []) keys.push(tag.Key ?? '');
    }
    expect(keys).toHaveLength(13);
    expect(new Set(keys).size).toBe(13);
    await expectEc2Error(
      h.client().send(new DescribeTagsCommand({ MaxResults: 4 })),
      'InvalidParameterValue',
    );
    await expectEc2Error(
      h.client().send(new DescribeTagsCommand({ MaxResults: 1001 })),
      'InvalidParameterValue',
    );
    await expectEc2Error(
      h.client().send(new DescribeTagsCommand({ MaxResults: 5, NextToken: 'nope' })),
      'InvalidPaginationToken',
    );
    // A DescribeImages token is not a DescribeTags token.
    h.emulator.seedImage({ region: REGION, name: 'second', emitEvent: false });
    const imagesToken = (await h.client().send(new DescribeImagesCommand({ MaxResults: 1 }))).NextToken;
    expect(imagesToken).toBeTypeOf('string');
    await expectEc2Error(
      h.client().send(new DescribeTagsCommand({ MaxResults: 5, NextToken: imagesToken })),
      'InvalidPaginationToken',
    );
  });
});
