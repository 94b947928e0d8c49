/**
 * The package with tracing on (`serverless package --param="tracing=true"`): the Tracer in every
 * bundle, Lambda tracing Active, and the two X-Ray actions in every function role, on "*". The
 * default package (tracing off) is checked for none of it in template.test.ts, which packages it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, type Stack } from './checks.js';
import { type Package, packageService } from './package.js';
import {
  markersNotInTheirModules,
  TRACING_MARKERS,
  tracingInBundles,
  tracingModes,
  xrayActions,
} from './tracing.js';

const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

let dir: string;
let pkg: Package;
let stack: Stack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-traced-'));
  pkg = await packageService(join(dir, 'package'), 'ci', { tracing: 'true' });
  stack = {
    template: pkg.template,
    service: pkg.service,
    stage: pkg.stage,
    region: pkg.region,
    accountId: '123456789012',
    functionNames: Object.fromEntries(pkg.functions.map((f) => [f.deployedName, f.name])),
  };
}, 300_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the package with tracing on (params.tracing "true")', () => {
  it('every bundle carries Powertools Tracer and the X-Ray SDK', async () => {
    expect(await markersNotInTheirModules()).toEqual([]);
    const everything = Object.keys(TRACING_MARKERS);
    const bundles = tracingInBundles(pkg);
    expect(Object.keys(bundles).sort()).toEqual(['amiStateChange', 'notify', 'reconcile']);
    for (const [fn, found] of Object.entries(bundles)) expect(found, fn).toEqual(everything);
  });

  it('Lambda traces every function (TracingConfig Active)', () => {
    for (const [fn, mode] of Object.entries(tracingModes(stack))) expect(mode, fn).toBe('Active');
  });

  it('every role may send traces: exactly PutTraceSegments and PutTelemetryRecords, on "*" (no resource type)', () => {
    for (const [fn, actions] of Object.entries(xrayActions(stack))) expect(actions, fn).toEqual(XRAY);
    const policies = resourcesOfType(stack, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p).includes('xray:'),
    );
    expect(policies.map(([id]) => id)).toEqual(['TracingPolicy']);
    expect(policies[0]?.[1].PolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'SendTraces',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
      ],
    });
  });
});
