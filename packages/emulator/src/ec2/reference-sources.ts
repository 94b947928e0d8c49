/**
 * References to images from outside EC2, for DescribeImageReferences
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImageReferences.html). EC2
 * itself finds instances and launch templates; the other resource types the API reports are other
 * services' resources, so other emulated services contribute them through `ImageReferenceSource`,
 * and tests can seed them (`seedImageReference`).
 */

/** The resource types DescribeImageReferences reports that EC2 does not own (the API's values). */
export const EXTERNAL_REFERENCE_TYPES = [
  'ssm:Parameter',
  'imagebuilder:ImageRecipe',
  'imagebuilder:ContainerRecipe',
] as const;

export type ExternalReferenceType = (typeof EXTERNAL_REFERENCE_TYPES)[number];

/** One resource referencing one image, as DescribeImageReferences reports it. */
export interface ExternalImageReference {
  imageId: string;
  resourceType: ExternalReferenceType;
  /** The referencing resource, for example `arn:aws:ssm:us-east-1:123456789012:parameter/golden/ami`. */
  arn: string;
}

/** A seeded reference: an `ExternalImageReference` held by `ownerId` in one region. */
export interface ExternalReferenceRecord extends ExternalImageReference {
  ownerId: string;
}

/**
 * A contributor of image references for the resource types EC2 does not own (an SSM Parameter
 * Store emulator contributes `ssm:Parameter`). The contract:
 *
 * - DescribeImageReferences calls every registered source once per request, after it has
 *   validated the request and found every image id visible to the caller, and only when the
 *   request asks for at least one resource type in `EXTERNAL_REFERENCE_TYPES` (with
 *   `IncludeAllResourceTypes` or `ResourceType.N`).
 * - Arguments: the calling account, the region the request was signed for, and the requested
 *   image ids (distinct, 1 to 10).
 * - It returns, synchronously, the references that resources of `account` in `region` hold to any
 *   of those images; for SSM, a parameter whose current value is the image id, with ARN
 *   `arn:aws:ssm:<region>:<account>:parameter/<name without the leading slash>` (whether AWS counts
 *   only parameters of data type `aws:ec2:image` is not documented).
 * - EC2 keeps only references whose `imageId` was requested and whose `resourceType` was asked
 *   for, drops exact duplicates, and pages the whole list; a source need not filter or sort.
 * - It must not throw: a throw is an emulator bug and the call answers 500 `InternalError`.
 * - Sources belong to one EC2 emulator instance: a new instance (as `LocalStack.reset` makes)
 *   starts with the `referenceSources` option's sources only.
 */
export type ImageReferenceSource = (
  account: string,
  region: string,
  imageIds: readonly string[],
) => Iterable<ExternalImageReference>;

export function isExternalReferenceType(value: string): value is ExternalReferenceType {
  return (EXTERNAL_REFERENCE_TYPES as readonly string[]).includes(value);
}
