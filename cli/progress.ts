import type { ReconcileProgress } from '../shared/core/reconcile.js';

/** One stderr line per region when its phase changes or ends, and every few seconds in a long phase. */
export class ProgressPrinter {
  private readonly last = new Map<string, { line: string; at: number; phase: string }>();
  private readonly width: number;

  constructor(regions: readonly string[]) {
    this.width = Math.max(...regions.map((r) => r.length));
  }

  update({ region, phase, done, total }: ReconcileProgress): void {
    const text =
      phase === 'list'
        ? done < total
          ? 'listing images'
          : 'images listed'
        : `${phase === 'observe' ? 'observing' : 'applying'} ${done}/${total}`;
    const previous = this.last.get(region);
    const now = Date.now();
    const due =
      previous === undefined || previous.phase !== phase || done >= total || now - previous.at >= 2000;
    if (!due || previous?.line === text) return;
    this.print(region, text, phase, now);
  }

  finished(region: string, text: string): void {
    this.print(region, text, 'end', Date.now());
  }

  private print(region: string, text: string, phase: string, at: number): void {
    this.last.set(region, { line: text, at, phase });
    process.stderr.write(`${region.padEnd(this.width)}  ${text}\n`);
  }
}
