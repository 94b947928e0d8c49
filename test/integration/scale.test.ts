import { expect, it } from 'vitest';
import { runScale } from '../../bench/scale.js';

/**
 * 1,000 source images x 8 target regions, distributed by the scheduled reconcile alone, against
 * the emulator's token buckets (EC2's documented sizes, refilled 20x faster so the run fits in CI).
 * Asserts the outcome only; `npm run bench` prints the wall time against the rate-limit bound.
 */
it('1,000 images x 8 regions converge under the throttle model with zero failures, each copy made once', async () => {
  const result = await runScale({ images: 1000, speed: 20, cap: 90, concurrency: 8, copyDelayMs: 100 });

  expect(result.failures).toBe(0);
  expect(result.converged).toBe(true);
  // Exactly one CopyImage per image and region that succeeded: no duplicate copy, no lost one.
  expect(result.callsByAction.CopyImage?.calls).toBe(8000);
  // The sources (one region) and every copy (eight) shared once each.
  expect(result.callsByAction.ModifyImageAttribute?.calls).toBe(9000);
  // The sources tagged together: one CreateTags for up to 1,000 resources (each image with its
  // snapshot), not one per image.
  expect(result.callsByAction.CreateTags?.calls).toBe(2);
  expect(result.mutatingAfterConvergence).toBe(0);
}, 600_000);
