import { expect, it } from 'vitest';
import { runScale } from '../../bench/scale.js';

/**
 * The scale scenario, small: 100 source images x 3 target regions distributed by the scheduled
 * reconcile alone, through the real adapter and SDK, against the emulator's token buckets (EC2's
 * documented sizes, refilled 20x faster). The full size (1,000 images x 8 regions, a minute and
 * more) is the bench's: `npm run bench -- scale`, which also prints the wall time against the
 * rate-limit bound. Asserts the outcome only.
 */
it('100 images x 3 regions converge under the throttle model with zero failures, each copy made once', async () => {
  const images = 100;
  const targets = 3;
  // A cap below the image count, so the copy cap defers copies to a later run, as at full size.
  const result = await runScale({ images, targets, speed: 20, cap: 60, concurrency: 8, copyDelayMs: 100 });

  expect(result.failures).toBe(0);
  expect(result.converged).toBe(true);
  // Exactly one CopyImage per image and region that succeeded: no duplicate copy, no lost one.
  expect(result.callsByAction.CopyImage?.calls).toBe(images * targets);
  // The sources (one region) and every copy shared once each.
  expect(result.callsByAction.ModifyImageAttribute?.calls).toBe(images * (targets + 1));
  // The sources tagged together: one CreateTags for up to 1,000 resources (each image with its
  // snapshot), not one per image.
  expect(result.callsByAction.CreateTags?.calls).toBe(1);
  expect(result.mutatingAfterConvergence).toBe(0);
});
