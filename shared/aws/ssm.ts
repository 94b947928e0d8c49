import {
  AddTagsToResourceCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { awsCall, awsErrorCode, InvariantError, rethrowClassified } from '../core/errors.js';
import type { ObservedParameter } from '../core/pointers-model.js';
import type { PutParameterRequest, SsmPort } from '../core/ports.js';

/** GetParameters takes at most 10 names a call. */
const GET_PARAMETERS_BATCH = 10;

/**
 * The SSM port over an SDK client for one region. Failures are classified by `awsCall` (AWS and
 * network errors become an `AwsCallError` naming the operation and region).
 */
export function createSsmPort(client: SSMClient, region: string): SsmPort {
  const call = <T>(operation: string, send: () => Promise<T>): Promise<T> => awsCall(operation, region, send);

  const put = async (request: PutParameterRequest, overwrite: boolean): Promise<number> => {
    const output = await client.send(
      new PutParameterCommand({
        Name: request.name,
        Value: request.value,
        Type: 'String',
        DataType: request.dataType,
        Description: request.description,
        Overwrite: overwrite,
        ...(overwrite ? {} : { Tags: toSsmTags(request.tags) }),
      }),
    );
    if (output.Version === undefined) {
      throw new InvariantError(`PutParameter of ${request.name} in ${region} answered without a version`);
    }
    return output.Version;
  };

  return {
    getParameters(names) {
      return call('GetParameters', async () => {
        const found = new Map<string, ObservedParameter>();
        for (let i = 0; i < names.length; i += GET_PARAMETERS_BATCH) {
          const output = await client.send(
            new GetParametersCommand({ Names: names.slice(i, i + GET_PARAMETERS_BATCH) }),
          );
          for (const p of output.Parameters ?? []) {
            if (p.Name === undefined || p.Value === undefined || p.Version === undefined) continue;
            found.set(p.Name, { name: p.Name, value: p.Value, version: p.Version });
          }
        }
        return found;
      });
    },

    async putParameter(request, exists) {
      if (exists) return call('PutParameter', () => put(request, true));
      try {
        return await put(request, false);
      } catch (error) {
        if (awsErrorCode(error) !== 'ParameterAlreadyExists')
          rethrowClassified('PutParameter', region, error);
      }
      // Made meanwhile (a repeat of this action, a race): overwrite, then tag as a create would have.
      const version = await call('PutParameter', () => put(request, true));
      await call('AddTagsToResource', async () => {
        await client.send(
          new AddTagsToResourceCommand({
            ResourceType: 'Parameter',
            ResourceId: request.name,
            Tags: toSsmTags(request.tags),
          }),
        );
      });
      return version;
    },

    labelParameterVersion(name, version, labels) {
      return call('LabelParameterVersion', async () => {
        const output = await client.send(
          new LabelParameterVersionCommand({ Name: name, ParameterVersion: version, Labels: [...labels] }),
        );
        // AWS answers success and lists labels it did not attach; the tool's labels (a source's
        // image id) follow the label rules, so one refused is a broken invariant, not a failure.
        if ((output.InvalidLabels ?? []).length > 0) {
          throw new InvariantError(
            `LabelParameterVersion of ${name} in ${region} refused the labels ${(output.InvalidLabels ?? []).join(', ')}`,
          );
        }
      });
    },
  };
}

function toSsmTags(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}
