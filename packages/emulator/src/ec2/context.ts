import type { RegionState } from './model.js';
import type { QueryNode } from './query.js';
import type { World } from './world.js';
import type { XmlObject } from './xml.js';

/** What an action handler sees of one request. */
export interface ActionContext {
  action: string;
  requestId: string;
  /** The region the request was signed for (the region it acts in). */
  region: string;
  /** The calling account. */
  accountId: string;
  params: QueryNode;
  /** The emulator clock, read once per request. */
  now: Date;
  /** State of `region`. */
  state: RegionState;
  world: World;
}

/**
 * An action: validates its parameters, changes state, and returns the response body (without
 * `requestId`, which the dispatcher adds). It throws `Ec2Error` for an API error; it must validate
 * everything before changing anything, so a refused call leaves no trace.
 */
export type ActionHandler = (ctx: ActionContext) => XmlObject;
