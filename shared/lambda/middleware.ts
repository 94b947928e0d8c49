import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { AmiLifecycleError } from '../core/errors.js';
import type { LoggerPort } from '../core/ports.js';
import { printable } from '../core/printable.js';
import type { LambdaMetrics } from './metrics.js';
import { tracingMiddlewares } from './tracing.js';

export interface FailedInvocation {
  readonly status: 'failed';
  readonly error: string;
  readonly message: string;
}

/**
 * Maps errors to Lambda outcomes. A terminal error (a malformed event, a permission that is
 * missing, a region that is not enabled) is logged as one line and the invocation ends cleanly:
 * Lambda's retries could not fix it and would only repeat the noise. Retryable errors and bugs
 * propagate, so Lambda retries (every action is idempotent) and then uses the failure destination.
 */
export function terminalErrorsEndCleanly(logger: LoggerPort): MiddlewareObj<unknown, unknown> {
  return {
    onError: (request) => {
      const { error } = request;
      if (error instanceof AmiLifecycleError && !error.retryable) {
        logger.error(printable(`${error.name}: ${error.message}`));
        const response: FailedInvocation = { status: 'failed', error: error.name, message: error.message };
        request.response = response;
      }
    },
  };
}

/**
 * The middy stack every handler shares: the invocation's trace segment when the package traces
 * (outermost, to time all of it; none by default), the event id as correlation id, the invocation's
 * metrics written as EMF when it ends (whether it returns or throws), and terminal errors that end
 * cleanly.
 */
export function lambda(logger: Logger, metrics: LambdaMetrics) {
  return middy()
    .use(tracingMiddlewares())
    .use(injectLambdaContext(logger, { correlationIdPath: 'id', resetKeys: true }))
    .use([...metrics.middlewares])
    .use(terminalErrorsEndCleanly(logger));
}
