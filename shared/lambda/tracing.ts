import type { MiddlewareObj } from '@middy/core';

/**
 * Tracing as the code sees it when tracing is off: the default, and what runs from source (the
 * local demo, the tests). Nothing is imported, so an off bundle carries no Tracer and no X-Ray SDK.
 * `serverless package --param="tracing=true"` bundles `tracing.on.ts` in this module's place
 * (scripts/esbuild-plugins.ts); the two export the same names. Why off by default:
 * docs/observability.md#tracing.
 */

/** The client as it is: no segment per call. */
export function traced<Client extends object>(client: Client): Client {
  return client;
}

/** No middleware: the middy stack is the same as without tracing. */
export function tracingMiddlewares(): MiddlewareObj<unknown, unknown>[] {
  return [];
}
