import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';

/**
 * `tracing.ts` in a bundle packaged with `--param="tracing=true"` (scripts/esbuild-plugins.ts):
 * Powertools Tracer, which sends X-Ray segments through the Lambda runtime's daemon. Never imported
 * from source, so the demo and the tests run without it. The service name is Powertools' own
 * POWERTOOLS_SERVICE_NAME (ami-lifecycle-<stage>), as for the metrics.
 */
const tracer = new Tracer();

/** The client, with a subsegment per AWS call (service, operation, region, retries, errors). */
export function traced<Client extends object>(client: Client): Client {
  return tracer.captureAWSv3Client(client);
}

/**
 * The handler's segment, outermost in the middy stack so it times the whole invocation. The
 * response is not recorded: a reconcile report can exceed what a segment holds (64 KB), and it is
 * in the logs and on the bus already. Errors are recorded.
 */
export function tracingMiddlewares(): MiddlewareObj<unknown, unknown>[] {
  return [captureLambdaHandler(tracer, { captureResponse: false })];
}
