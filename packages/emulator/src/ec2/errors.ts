/**
 * An EC2 API error: rendered as `<Response><Errors><Error>` with this code, message and HTTP status
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Action handlers
 * throw it; the dispatcher turns it into the response. Any other exception is an emulator bug and
 * becomes a 500 `InternalError`.
 */
export class Ec2Error extends Error {
  override readonly name = 'Ec2Error';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  static missingParameter(parameter: string): Ec2Error {
    return new Ec2Error('MissingParameter', `The request must contain the parameter ${parameter}`);
  }

  static invalidParameterValue(message: string): Ec2Error {
    return new Ec2Error('InvalidParameterValue', message);
  }

  static invalidParameterCombination(message: string): Ec2Error {
    return new Ec2Error('InvalidParameterCombination', message);
  }

  /**
   * AWS's wording, checked against AWS by moto's tests: one id is `'[id]' does not exist`, several
   * `'[a, b]' do not exist`.
   */
  static imageNotFound(imageIds: readonly string[]): Ec2Error {
    const list = `[${imageIds.join(', ')}]`;
    return new Ec2Error(
      'InvalidAMIID.NotFound',
      imageIds.length === 1
        ? `The image id '${list}' does not exist`
        : `The image ids '${list}' do not exist`,
    );
  }

  /** AWS's wording, checked against AWS by moto's tests; only the first malformed id is named. */
  static imageIdMalformed(imageId: string): Ec2Error {
    return new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  }

  /** moto's wording (not checked against AWS) for an image that has been deregistered. */
  static imageUnavailable(imageId: string): Ec2Error {
    return new Ec2Error('InvalidAMIID.Unavailable', `The image id '[${imageId}]' is no longer available`);
  }

  static snapshotNotFound(snapshotId: string): Ec2Error {
    return new Ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
  }

  static snapshotIdMalformed(snapshotId: string): Ec2Error {
    return new Ec2Error('InvalidSnapshotID.Malformed', `Invalid id: "${snapshotId}" (expecting "snap-...")`);
  }

  /** Acting on a resource the caller can see but does not own. */
  static notAuthorized(resourceId: string): Ec2Error {
    return new Ec2Error('AuthFailure', `Not authorized for resource: ${resourceId}`, 401);
  }

  /** A ClientToken reused with other parameters (EC2's idempotency rule). */
  static idempotentParameterMismatch(): Ec2Error {
    return new Ec2Error(
      'IdempotentParameterMismatch',
      'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).',
    );
  }

  static invalidPaginationToken(token: string): Ec2Error {
    return new Ec2Error('InvalidPaginationToken', `Invalid pagination token: ${token}`);
  }
}
