import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { functionActions, isObject, lambdaFunctions, type Stack } from './checks.js';
import { type Package, ROOT } from './package.js';

/**
 * What tracing (params.tracing) leaves in a package, for the two deploy tests that look: the
 * default package (template.test.ts: none of it) and one packaged with `--param="tracing=true"`
 * (tracing.test.ts: all of it).
 */

/** Strings only Powertools Tracer and the X-Ray SDK put in a bundle: [module, marker]. */
export const TRACING_MARKERS = {
  'Powertools Tracer': [
    '@aws-lambda-powertools/tracer/lib/esm/Tracer.js',
    'POWERTOOLS_TRACER_CAPTURE_RESPONSE',
  ],
  'the X-Ray SDK': ['aws-xray-sdk-core/dist/lib/daemon_config.js', 'AWS_XRAY_DAEMON_ADDRESS'],
} as const;

/** The markers missing from the modules they mark (none, or a marker means nothing). */
export async function markersNotInTheirModules(): Promise<string[]> {
  const missing: string[] = [];
  for (const [what, [module, marker]] of Object.entries(TRACING_MARKERS)) {
    const source = await readFile(join(ROOT, 'node_modules', module), 'utf8');
    if (!source.includes(marker)) missing.push(`${marker} is not in ${module} (${what})`);
  }
  return missing;
}

/** The actions of the X-Ray service (`xray:`) each function's role allows, by function name. */
export function xrayActions(stack: Stack): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(functionActions(stack)).map(([fn, actions]) => [
      fn,
      actions.filter((a) => a.startsWith('xray:')),
    ]),
  );
}

/** Each function's `TracingConfig.Mode` (undefined when absent), by function name. */
export function tracingModes(stack: Stack): Record<string, unknown> {
  return Object.fromEntries(
    lambdaFunctions(stack).map((fn) => {
      const config = fn.props.TracingConfig;
      return [fn.name, isObject(config) ? config.Mode : undefined];
    }),
  );
}

/** Which tracing markers each function's handler bundle carries, by function name. */
export function tracingInBundles(pkg: Package): Record<string, string[]> {
  return Object.fromEntries(
    pkg.functions.map((fn) => {
      const file = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.js`;
      const js =
        fn.entries
          .find((e) => e.name === file)
          ?.read()
          .toString('utf8') ?? '';
      const found = Object.entries(TRACING_MARKERS).filter(([, [, marker]]) => js.includes(marker));
      return [fn.name, found.map(([what]) => what)];
    }),
  );
}
