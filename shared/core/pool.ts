/**
 * Runs `work` over `items` with at most `concurrency` in flight, in order of start. Before each
 * item starts, `shouldStop` is asked: once it says yes no further item starts (those in flight
 * finish), so a Lambda can end cleanly before its timeout. Returns how many items were started.
 * The first error from `work` is rethrown after the items in flight have settled.
 */
export async function runLimited<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<number> {
  // One iterator shared by the workers: each takes the next item when it is free.
  const queue = items.values();
  let started = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && !shouldStop()) {
      const next = queue.next();
      if (next.done) return;
      started++;
      try {
        await work(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return started;
}
