import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionActions, isObject, lambdaFunctions, resourcesOfType, type Stack } from './checks.js';
import { type Package, ROOT } from './package.js';

/**
 * Tracing (params.tracing) in the packages: none of it in the default package, all of it in one
 * packaged with `--param="tracing=true"`. Called from template.test.ts, which builds both packages
 * at once, the traced one from a copy of the service (`serviceCopy`).
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

export interface TracingContext {
  /** The default package (tracing off) and its stack. */
  readonly pkg: () => Package;
  readonly stack: () => Stack;
  /** The package built with `--param="tracing=true"`, beside the default one. */
  readonly traced: () => Package;
}

export function tracingTests(context: TracingContext): void {
  it('off by default: no Tracer or X-Ray SDK in any bundle, no xray: action, no Active tracing', async () => {
    expect(await markersNotInTheirModules()).toEqual([]);
    for (const [fn, found] of Object.entries(tracingInBundles(context.pkg()))) expect(found, fn).toEqual([]);
    for (const [fn, actions] of Object.entries(xrayActions(context.stack()))) expect(actions, fn).toEqual([]);
    for (const [fn, mode] of Object.entries(tracingModes(context.stack())))
      expect(mode, fn).not.toBe('Active');
  });

  describe('packaged with --param="tracing=true"', () => {
    let traced: Package;
    let stack: Stack;
    beforeAll(() => {
      traced = context.traced();
      stack = { ...context.stack(), template: traced.template };
    });

    it('every bundle carries Powertools Tracer and the X-Ray SDK', () => {
      const bundles = tracingInBundles(traced);
      expect(Object.keys(bundles).sort()).toEqual(
        context
          .pkg()
          .functions.map((f) => f.name)
          .sort(),
      );
      for (const [fn, found] of Object.entries(bundles))
        expect(found, fn).toEqual(Object.keys(TRACING_MARKERS));
    });

    it('Lambda traces every function (TracingConfig Active)', () => {
      for (const [fn, mode] of Object.entries(tracingModes(stack))) expect(mode, fn).toBe('Active');
    });

    it('every role may send traces: exactly PutTraceSegments and PutTelemetryRecords, on "*"', () => {
      const xray = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
      for (const [fn, actions] of Object.entries(xrayActions(stack)))
        expect(actions, fn).toEqual([...xray].sort());
      const policies = resourcesOfType(stack, 'AWS::IAM::Policy').filter(([, p]) =>
        JSON.stringify(p).includes('xray:'),
      );
      expect(policies.map(([id]) => id)).toEqual(['TracingPolicy']);
      expect(policies[0]?.[1].PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [{ Sid: 'SendTraces', Effect: 'Allow', Action: xray, Resource: '*' }],
      });
    });
  });
}
