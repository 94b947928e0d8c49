import type { Action } from './actions.js';
import { InvariantError } from './errors.js';
import type { ObservedImage } from './model.js';
import type { Ec2Reader } from './ports.js';

/**
 * The checks of what CopyImage answered, read together: a copy with `verify` must learn whether the
 * image its token returned is live, and one DescribeImages (by `image-id` filter) answers for every
 * copy of a region at once, where one call per copy would spend a read on each.
 *
 * Contract: one instance per region per apply. `expected` is the region's copy actions that may ask;
 * each asks any number of times and is `settled` exactly once, when it ends however it ends
 * (applied, failed, skipped, blocked). A read is made when every unsettled copy is waiting for one,
 * so it answers for all of them; a copy that has not yet called CopyImage (waiting for a call slot
 * or a prerequisite) delays the read, never stops it, provided no copy waits for another copy
 * (`checkNoCopyWaitsForCopy`). A failed read fails every copy that was waiting for it.
 */
export class CopyChecks {
  private waiting: Array<{
    readonly imageId: string;
    readonly resolve: (image: ObservedImage | undefined) => void;
    readonly reject: (error: unknown) => void;
  }> = [];
  private unsettled: number;

  constructor(
    private readonly ec2: Pick<Ec2Reader, 'describeImagesById'>,
    expected: number,
  ) {
    this.unsettled = expected;
  }

  /** The image as EC2 shows it now, or undefined when it does not know it. */
  describe(imageId: string): Promise<ObservedImage | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ imageId, resolve, reject });
      this.readWhenAllWait();
    });
  }

  /** A copy of the region ended: it asks no more. */
  settled(): void {
    this.unsettled -= 1;
    this.readWhenAllWait();
  }

  private readWhenAllWait(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.unsettled) return;
    const batch = this.waiting;
    this.waiting = [];
    const ids = [...new Set(batch.map((w) => w.imageId))];
    this.ec2.describeImagesById(ids).then(
      (images) => {
        const byId = new Map(images.map((image) => [image.imageId, image]));
        for (const w of batch) w.resolve(byId.get(w.imageId));
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}

/** Copy actions whose answer is checked (`verify`). */
export function isCheckedCopy(action: Action): boolean {
  return action.kind === 'copy' && action.verify;
}

/**
 * A checked copy must not wait, directly or through others, for another checked copy of its region:
 * the region's read would wait for it while it waits for that copy, which waits for the read.
 */
export function checkNoCopyWaitsForCopy(byId: ReadonlyMap<string, Action>): void {
  for (const action of byId.values()) {
    if (!isCheckedCopy(action)) continue;
    const seen = new Set<string>();
    const stack = [...(action.after ?? []), ...(action.waitsFor ?? [])];
    for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
      if (seen.has(id)) continue;
      seen.add(id);
      const before = byId.get(id);
      if (before === undefined) continue;
      if (isCheckedCopy(before) && before.region === action.region) {
        throw new InvariantError(`copy ${action.id} waits for copy ${before.id} of the same region`);
      }
      stack.push(...(before.after ?? []), ...(before.waitsFor ?? []));
    }
  }
}
