import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import type { Context } from 'aws-lambda';
import { claimsForRegion, copySlotsForRegion, eventBridgeClient } from '../aws/clients.js';
import { createEventPublisher } from '../aws/events.js';
import { type Config, ConfigurationError, loadConfig } from '../config.js';
import type { ClaimsForRegion, CopySlotsForRegion, EventPublisher, LoggerPort } from '../core/ports.js';
import { printable } from '../core/printable.js';
import type { Rule } from '../rules/schema.js';
import { createLambdaMetrics, type LambdaMetrics } from './metrics.js';
import { readRules } from './rules-file.js';

/** What every handler builds once, at cold start. */
export interface Runtime {
  readonly config: Config;
  readonly rules: readonly Rule[];
  /** Powertools' logger, for the middleware (context, correlation id). */
  readonly logger: Logger;
  /** The same logger as the core writes to it: messages, meant for people, made printable. */
  readonly log: LoggerPort;
  readonly events: EventPublisher;
  readonly claims: ClaimsForRegion;
  /** The copy slots of each region: the copy cap, on the event path and corrected by the schedule. */
  readonly copySlots: CopySlotsForRegion;
  /** The core's metrics (`metrics.port`) and the middlewares that write them as EMF. */
  readonly metrics: LambdaMetrics;
}

/**
 * Reads the configuration and the rules file and builds the logger and the event publisher. A
 * configuration or rules file that does not validate throws here, at cold start, before the
 * function touches anything.
 */
export function coldStart(): Runtime {
  const config = loadConfig();
  const rules = readRules(config.rulesFile);
  const logger = new Logger({ serviceName: 'ami-lifecycle', correlationIdSearchFn: search });
  const events = createEventPublisher({
    clientFor: eventBridgeClient,
    busName: config.eventBusName,
    region: config.region,
    ...(config.eventsRegion === undefined ? {} : { eventsRegion: config.eventsRegion }),
  });
  const log = readableLogger(logger);
  return {
    config,
    rules,
    logger,
    log,
    events,
    claims: claimsForRegion(config.distributionsTable),
    copySlots: copySlotsForRegion(config.distributionsTable),
    metrics: createLambdaMetrics(log),
  };
}

/**
 * The account the function acts for: the one in its own ARN (`arn:aws:lambda:REGION:ACCOUNT:…`),
 * which no event can change. Events about another account are not this function's to act on.
 */
export function accountOf(context: Pick<Context, 'invokedFunctionArn'>): string {
  const account = context.invokedFunctionArn.split(':')[4];
  if (account === undefined || !/^\d{12}$/.test(account)) {
    throw new ConfigurationError(
      `cannot tell the function's account from its ARN ${JSON.stringify(context.invokedFunctionArn)}`,
    );
  }
  return account;
}

/**
 * A logger whose messages are printable: they quote image names, tag values and AWS's errors,
 * which may hold terminal escapes or line breaks, and people read them in consoles and tails. The
 * structured fields stay as they are (JSON escapes them; machines read them).
 */
export function readableLogger(logger: LoggerPort): LoggerPort {
  return {
    debug: (message, ...extra) => logger.debug(printable(message), ...extra),
    info: (message, ...extra) => logger.info(printable(message), ...extra),
    warn: (message, ...extra) => logger.warn(printable(message), ...extra),
    error: (message, ...extra) => logger.error(printable(message), ...extra),
  };
}
