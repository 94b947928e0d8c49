import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsCall, InvariantError } from '../core/errors.js';

/**
 * The account the credentials act for: STS `GetCallerIdentity`, which needs no permission and
 * answers for any caller. The endpoint comes from the standard settings (`AWS_ENDPOINT_URL_STS`,
 * `AWS_ENDPOINT_URL`), so the local emulator answers it too. Throws `AwsCallError` when STS cannot
 * be reached or refuses the credentials.
 */
export async function callerAccount(region: string): Promise<string> {
  const client = new STSClient({ region, maxAttempts: 5 });
  try {
    const output = await awsCall('GetCallerIdentity', region, () =>
      client.send(new GetCallerIdentityCommand({})),
    );
    if (output.Account === undefined || !/^\d{12}$/.test(output.Account)) {
      throw new InvariantError(
        `STS GetCallerIdentity answered without an account id (${String(output.Account)})`,
      );
    }
    return output.Account;
  } finally {
    client.destroy();
  }
}
