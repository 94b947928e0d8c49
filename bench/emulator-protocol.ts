import type { OrganizationSeed } from '@ami-lifecycle/emulator/organizations/index.js';
import { z } from 'zod';

/**
 * The IPC protocol between the benchmarks (`bench/scale.ts`, `bench/org.ts`: the tool's side) and `bench/emulator-process.ts` (the
 * EC2 emulator and its HTTP server, in a process of their own so the emulator never competes with
 * the tool for one event loop). Both sides validate what they receive with these schemas.
 *
 * Every request carries an `id`; the child answers each with exactly one response of the same `id`:
 * the response type named beside each request, or `error`. Messages stay small on purpose: the
 * child answers summaries (counts by state, counters by action and region), never image lists.
 * The tool's EC2 calls go over HTTP only, through the real SDK, to the endpoint `start` answers.
 */

const Id = z.number().int().nonnegative();

const BucketSchema = z.object({
  capacity: z.number().nonnegative(),
  refillPerSecond: z.number().nonnegative(),
});

export const EmulatorConfigSchema = z.object({
  /** How long a CopyImage stays `pending`. */
  copyDelayMs: z.number().nonnegative(),
  /** EC2's token buckets per account and region. */
  throttle: z.object({ mutating: BucketSchema, nonMutating: BucketSchema }),
  /**
   * An organization, served by the Organizations emulator on the same endpoint (and known to EC2
   * for sharing with it). Validated by the child (`loadOrganization`).
   */
  organization: z.custom<OrganizationSeed>((value) => typeof value === 'object' && value !== null).optional(),
});

export type EmulatorConfig = z.infer<typeof EmulatorConfigSchema>;

export const EmulatorRequestSchema = z.discriminatedUnion('type', [
  /** Creates the emulator and its server → `started`. Must come first, once. */
  z.object({ type: z.literal('start'), id: Id, config: EmulatorConfigSchema }),
  /**
   * Seeds `count` available images of the emulator's account in `region`, named
   * `${namePrefix}${i padded to 5 digits}`, created one minute apart from `firstCreationMs`
   * (epoch ms), without state-change events → `seeded`.
   */
  z.object({
    type: z.literal('seed'),
    id: Id,
    region: z.string(),
    namePrefix: z.string(),
    count: z.number().int().nonnegative(),
    firstCreationMs: z.number().int(),
  }),
  /** Calls by action and region since the last reset → `counters`. */
  z.object({ type: z.literal('counters'), id: Id }),
  /** The same, per calling account → `accountCounters`. */
  z.object({ type: z.literal('accountCounters'), id: Id }),
  /** The child's event-loop time (active, ms) and CPU time (user + system, ms) since it started → `loop`. */
  z.object({ type: z.literal('loop'), id: Id }),
  /** Zeroes the counters and refills every token bucket → `reset`. */
  z.object({ type: z.literal('reset'), id: Id }),
  /** How many images of `region` are in each state → `states`. */
  z.object({ type: z.literal('states'), id: Id, region: z.string() }),
  /** The same per owning account → `ownerStates`. */
  z.object({ type: z.literal('ownerStates'), id: Id, region: z.string() }),
  /** Stops the copy timers and the server → `closed`; the child then exits. */
  z.object({ type: z.literal('close'), id: Id }),
]);

export type EmulatorRequest = z.infer<typeof EmulatorRequestSchema>;

const CallCountsSchema = z.object({
  calls: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  throttled: z.number().int().nonnegative(),
});

/** action → region → counts, as the emulator's `counters()` gives them. */
export const CountersSchema = z.record(z.string(), z.record(z.string(), CallCountsSchema));

export const EmulatorResponseSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), id: Id, endpoint: z.string(), accountId: z.string() }),
  z.object({ type: z.literal('seeded'), id: Id, count: z.number().int().nonnegative() }),
  z.object({ type: z.literal('counters'), id: Id, counters: CountersSchema }),
  /** account → its counters. */
  z.object({
    type: z.literal('accountCounters'),
    id: Id,
    counters: z.record(z.string(), CountersSchema),
  }),
  z.object({ type: z.literal('reset'), id: Id }),
  z.object({
    type: z.literal('loop'),
    id: Id,
    activeMs: z.number().nonnegative(),
    cpuMs: z.number().nonnegative(),
  }),
  /** state (`available`, `pending`, …) → images; states with none are absent. */
  z.object({
    type: z.literal('states'),
    id: Id,
    region: z.string(),
    states: z.record(z.string(), z.number().int().nonnegative()),
  }),
  /** owner → state → images. */
  z.object({
    type: z.literal('ownerStates'),
    id: Id,
    region: z.string(),
    states: z.record(z.string(), z.record(z.string(), z.number().int().nonnegative())),
  }),
  z.object({ type: z.literal('closed'), id: Id }),
  /** The request failed (or could not be read: then `id` is -1 when it had none). */
  z.object({ type: z.literal('error'), id: z.number().int(), message: z.string() }),
]);

export type EmulatorResponse = z.infer<typeof EmulatorResponseSchema>;
