import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const requireFrom = createRequire(import.meta.url);

/** One of the example events AWS publishes (kept in the event-pattern package), as EventBridge delivers it. */
export function awsExample(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(requireFrom.resolve(`@ami-lifecycle/event-pattern/examples/${name}.json`), 'utf8'),
  );
}
