import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { claimsForRegion, eventBridgeClient } from '../aws/clients.js';
import { createEventPublisher } from '../aws/events.js';
import { type Config, loadConfig } from '../config.js';
import type { ClaimsForRegion, EventPublisher } from '../core/ports.js';
import { loadRulesFile } from '../rules/load.js';
import type { Rule } from '../rules/schema.js';

/** What every handler builds once, at cold start. */
export interface Runtime {
  readonly config: Config;
  readonly rules: readonly Rule[];
  readonly logger: Logger;
  readonly events: EventPublisher;
  readonly claims: ClaimsForRegion;
}

/**
 * Reads the configuration and the rules file and builds the logger and the event publisher. A
 * configuration or rules file that does not validate throws here, at cold start, before the
 * function touches anything.
 */
export function coldStart(): Runtime {
  const config = loadConfig();
  const { rules } = loadRulesFile(config.rulesFile);
  const logger = new Logger({ serviceName: 'ami-lifecycle', correlationIdSearchFn: search });
  const events = createEventPublisher({
    clientFor: eventBridgeClient,
    busName: config.eventBusName,
    region: config.region,
    ...(config.eventsRegion === undefined ? {} : { eventsRegion: config.eventsRegion }),
  });
  return { config, rules, logger, events, claims: claimsForRegion(config.distributionsTable) };
}
