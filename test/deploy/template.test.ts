/**
 * CI checks the deployable package: `serverless package --stage ci` (offline, as .ci/run runs it),
 * then the CloudFormation template and the function zips it wrote. Lists come from the template
 * and serverless.yml, so a new function, queue or rule is covered without editing this file; the
 * one hand-written list is the IAM table below, which a new function must get a row in.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { compilePattern } from '@ami-lifecycle/event-pattern';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { LINEAGE } from '../../shared/core/model.js';
import { DetailType, EVENT_SOURCE } from '../../shared/core/notifications.js';
import { compileRules } from '../../shared/rules/load.js';
import {
  checkAsyncInvokeConfigs,
  checkDefaultBusRule,
  checkEventPatterns,
  checkFunctionSettings,
  checkIamStatements,
  checkLogGroups,
  checkOwnBusRules,
  checkQueuesAndAlarms,
  checkRolesCoverTheFunctions,
  checkRuleTargets,
  checkScheduleRules,
  eventRules,
  functionActions,
  isObject,
  lambdaFunctions,
  list,
  type Props,
  resolveString,
  resourcesOfType,
  rulesTargeting,
  type Stack,
  type Template,
} from './checks.js';
import { observabilityTests } from './observability.js';
import { type Package, packageService, paramFor, ROOT, serviceCopy } from './package.js';
import { expectedFromRules, securityTests } from './security.js';
import { tracingTests } from './tracing.js';
import { memberWorkTests } from './work-queues.js';
import type { ZipEntry } from './zip.js';

const runFile = promisify(execFile);

const STAGE = 'ci';
const ORGANIZATION = 'o-exampleorgid';
/** Stands for `${AWS::AccountId}` when resolving `Fn::Sub`. */
const ACCOUNT = '123456789012';
/** The topic every alarm notifies. */
const NOTIFICATIONS_TOPIC = 'NotificationsTopic';
/** The tool's own bus. */
const TOOL_BUS = 'AmiLifecycleBus';
/** Each zip: about 250 KB today (from 1.1 MB with every EC2 shape, the zod locales, YAML and a source map). */
const MAX_ZIP_BYTES = 400 * 1024;

/** The pattern that sends EC2's image events to the handler: available and failed, nothing else. */
const AMI_STATE_CHANGE_PATTERN = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 AMI State Change'],
  detail: { State: ['available', 'failed'] },
};

/**
 * Everything Lambda itself does with a function's role: its logs, and failed invocations to the
 * queue, which is encrypted with the stack's key (a data key through SQS; notify's topics too).
 */
const LAMBDA_ITSELF = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sqs:SendMessage',
  'kms:GenerateDataKey',
  'kms:Decrypt',
];

/**
 * EC2 uses the caller's KMS permissions to copy into an encrypted image with a customer-managed key
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html):
 * `kms:ReEncrypt*` is the documented form of ReEncryptFrom + ReEncryptTo.
 */
const KMS_FOR_ENCRYPTED_COPIES = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncrypt*',
];

/** shared/aws/ec2.ts (the Ec2Port both the handler and reconcile use), and what EC2 needs beside it. */
const DISTRIBUTION = [
  'ec2:DescribeImages', // describeImage, listImages, imagesExecutableBy, findCopies
  'ec2:DescribeImageAttribute', // describeLaunchPermissions
  'ec2:DescribeSnapshots', // describeSnapshots, snapshotsRestorableBy
  'ec2:DescribeSnapshotAttribute', // describeCreateVolumeUserIds
  'ec2:GetImageBlockPublicAccessState', // isPublicSharingBlocked
  'ec2:CopyImage', // copyImage
  'ec2:CreateTags', // createTags (and CopyImage's TagSpecifications)
  'ec2:ModifyImageAttribute', // addLaunchPermissions, removeLaunchPermissions
  'ec2:ModifySnapshotAttribute', // addCreateVolumePermissions
  ...KMS_FOR_ENCRYPTED_COPIES,
  'events:PutEvents', // shared/aws/events.ts
  // shared/aws/claims.ts and copy-slots.ts: the announcement claims, the regions of a release done,
  // the copy slots (PutItem, UpdateItem, DeleteItem).
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/**
 * Exactly the actions each function's role allows, from what its code sends. Equality, not
 * inclusion: a permission no code uses is a finding too. A new function needs a row here.
 */
/**
 * shared/aws/ssm.ts: the pointers' parameters and the rules' state (config/ami-rules.yaml publishes
 * a parameter; it names no launch template, so no template action is granted).
 */
const POINTERS = [
  'ssm:GetParameters',
  'ssm:PutParameter',
  'ssm:AddTagsToResource',
  'ssm:LabelParameterVersion',
];

const EXPECTED_ACTIONS: Record<string, string[]> = {
  // functions/ami-state-change.ts: observe, copy, share, tag, move pointers, publish. Never retire.
  amiStateChange: [...DISTRIBUTION, ...POINTERS, ...LAMBDA_ITSELF],
  // functions/reconcile.ts: the same, plus shared/aws/ec2-lifecycle.ts, and the copy slots' resync.
  reconcile: [
    ...DISTRIBUTION,
    ...POINTERS,
    'dynamodb:GetItem', // CopySlots.resync reads the slots before correcting them
    'ec2:DescribeImageReferences', // findReferences
    'ec2:DescribeInstances', // the fallback scan
    'ec2:DescribeLaunchTemplateVersions', // the fallback scan
    // DescribeImageReferences reads these on the caller's behalf: AWS's managed policy
    // AmazonEC2ImageReferencesAccessPolicy grants them under aws:CalledVia ec2-images.amazonaws.com.
    'ec2:DescribeLaunchTemplates',
    'ssm:DescribeParameters',
    'ssm:GetParameters',
    'imagebuilder:ListImageRecipes',
    'imagebuilder:ListContainerRecipes',
    'imagebuilder:GetContainerRecipe',
    'ec2:EnableImageDeprecation', // enableDeprecation
    'ec2:DisableImage', // disableImage
    'ec2:DeregisterImage', // deregister
    'ec2:DeleteSnapshot', // deleteSnapshot
    ...LAMBDA_ITSELF,
  ],
  // functions/notify.ts: the tool's events -> SNS messages (email and chat topics).
  notify: ['sns:Publish', ...LAMBDA_ITSELF],
  // functions/member-work.ts: its queue (Lambda polls it with the function's role, the messages
  // encrypted with the stack's key), the member role (every EC2 and KMS call is the member's), the bus.
  memberWork: [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'sts:AssumeRole',
    'events:PutEvents',
    // shared/aws/claims.ts: a release's (account, region) pairs and the claim that announces them.
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'kms:GenerateDataKey',
    'kms:Decrypt',
  ],
};

/** Strings a minified bundle keeps when it holds the client (operation and service names in its schema). */
const CLIENT_MARKERS = {
  sns: {
    module: '@aws-sdk/client-sns',
    imports: ['SNSClient', 'PublishCommand'],
    markers: ['com.amazonaws.sns'],
  },
  // Bundled without scripts/esbuild-plugins.ts, any EC2 command carries every operation name.
  ec2: {
    module: '@aws-sdk/client-ec2',
    imports: ['EC2Client', 'DescribeImagesCommand'],
    // The namespace of every shape; not action names, which the tool's own event descriptions quote.
    markers: ['com.amazonaws.ec2'],
  },
} as const;

/** Clients a function's bundle must not carry. */
const MUST_NOT_BUNDLE: Record<string, Array<keyof typeof CLIENT_MARKERS>> = {
  amiStateChange: ['sns'],
  reconcile: ['sns'],
  notify: ['ec2'],
  memberWork: ['sns'],
};

let dir: string;
let pkg: Package;
let traced: Package;
let stack: Stack;

const stackOf = (template: Template): Stack => ({ ...stack, template });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ami-lifecycle-package-'));
  // The default package from the repository and, at the same time, the traced one from a copy.
  [pkg, traced] = await Promise.all([
    packageService(join(dir, 'package'), STAGE),
    // The traced package also names an organization: the stack's other optional part.
    serviceCopy().then((copy) =>
      packageService(join(dir, 'traced'), STAGE, { tracing: 'true', organizationId: ORGANIZATION }, copy),
    ),
  ]);
  stack = {
    template: pkg.template,
    service: pkg.service,
    stage: pkg.stage,
    region: pkg.region,
    accountId: ACCOUNT,
    functionNames: Object.fromEntries(pkg.functions.map((f) => [f.deployedName, f.name])),
  };
}, 300_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const stopMarginMs = (environment: Record<string, string>) => loadConfig(environment).stopMarginMs;

/** What the IAM statements are built from: the rules file and params.kmsKeyArns (scripts/rules-iam.ts). */
const expected = () =>
  expectedFromRules(
    stack,
    join(ROOT, String(paramFor(pkg.config, STAGE, 'rulesFile'))),
    String(paramFor(pkg.config, STAGE, 'kmsKeyArns') ?? ''),
  );

const iamRules = () => ({
  ruleTagKey: LINEAGE.rule,
  eventSource: EVENT_SOURCE,
  busName: String(resolveString(pkg.template.Resources[TOOL_BUS]?.Properties?.Name, stack)),
  kmsKeyArns: expected().kmsKeyArns,
});

describe('the CloudFormation template (stage ci)', () => {
  it('packages the functions of serverless.yml', () => {
    expect(pkg.stage).toBe(STAGE);
    expect(
      lambdaFunctions(stack)
        .map((f) => f.name)
        .sort(),
    ).toEqual(pkg.functions.map((f) => f.name).sort());
    expect(pkg.functions.map((f) => f.name)).toEqual(
      expect.arrayContaining(['amiStateChange', 'reconcile', 'notify']),
    );
  });

  it('every function: nodejs24.x on arm64, sane memory and timeout; event handlers short, reconcile beyond its stop margin', () => {
    expect(checkFunctionSettings(stack, stopMarginMs)).toEqual([]);
    // The timeout rules above applied where they matter.
    const kinds = (kind: string) =>
      lambdaFunctions(stack)
        .filter((fn) => rulesTargeting(stack, fn).some((r) => r.props[kind] !== undefined))
        .map((fn) => fn.name);
    expect(kinds('ScheduleExpression')).toContain('reconcile');
    expect(kinds('EventPattern')).toEqual(expect.arrayContaining(['amiStateChange', 'notify']));
  });

  it('every function: an EventInvokeConfig with MaximumRetryAttempts and an SQS on-failure destination', () => {
    expect(checkAsyncInvokeConfigs(stack)).toEqual([]);
  });

  it('every rule target: a RetryPolicy and a dead-letter queue whose policy lets EventBridge send', () => {
    expect(eventRules(stack).length).toBeGreaterThan(0);
    expect(checkRuleTargets(stack)).toEqual([]);
  });

  it('every EventPattern is one the local matcher accepts', () => {
    expect(eventRules(stack).filter((r) => r.props.EventPattern !== undefined).length).toBeGreaterThan(0);
    expect(checkEventPatterns(stack, compilePattern)).toEqual([]);
  });

  it("the AMI state-change rule: EC2's available and failed image events, on the default bus", async () => {
    expect(checkDefaultBusRule(stack, 'amiStateChange', AMI_STATE_CHANGE_PATTERN)).toEqual([]);
    const pattern = compilePattern(AMI_STATE_CHANGE_PATTERN);
    const fixture = async (name: string): Promise<unknown> =>
      JSON.parse(await readFile(join(ROOT, 'packages/event-pattern/examples', name), 'utf8'));
    expect(pattern.matches(await fixture('ec2-ami-state-change-available.json'))).toBe(true);
    expect(pattern.matches(await fixture('ec2-ami-state-change-failed.json'))).toBe(true);
    expect(pattern.matches(await fixture('ec2-ami-state-change-deregistered.json'))).toBe(false);
    expect(pattern.matches(await fixture('ec2-ami-state-change-disabled.json'))).toBe(false);
  });

  it("the notify rules: on the tool's bus, only the tool's own events, of detail types it publishes", () => {
    expect(checkOwnBusRules(stack, 'notify', TOOL_BUS, EVENT_SOURCE)).toEqual([]);
    const notify = lambdaFunctions(stack).find((fn) => fn.name === 'notify');
    expect(notify).toBeDefined();
    const published = new Set<string>(Object.values(DetailType));
    for (const rule of notify ? rulesTargeting(stack, notify) : []) {
      const pattern = rule.props.EventPattern as Props;
      const detailTypes = list(pattern['detail-type']);
      expect(detailTypes.length, rule.logicalId).toBeGreaterThan(0);
      expect(
        detailTypes.filter((t) => typeof t !== 'string' || !published.has(t)),
        rule.logicalId,
      ).toEqual([]);
      // An event the rule matches stops matching under any other source.
      const event = {
        source: EVENT_SOURCE,
        'detail-type': detailTypes[0],
        detail: { failed: 1, schemaVersion: 1 },
      };
      const compiled = compilePattern(pattern);
      expect(compiled.matches(event), rule.logicalId).toBe(true);
      expect(compiled.matches({ ...event, source: 'aws.ec2' }), rule.logicalId).toBe(false);
    }
  });

  it('the reconcile schedule is a rate(...) expression', () => {
    expect(checkScheduleRules(stack, 'reconcile')).toEqual([]);
  });

  it("member accounts' events: the default bus accepts them only with params.organizationId, and only from that organization", () => {
    expect(resourcesOfType(stack, 'AWS::Events::EventBusPolicy')).toEqual([]);
    expect(resourcesOfType(stackOf(traced.template), 'AWS::Events::EventBusPolicy')).toEqual([
      [
        'MemberEventsPolicy',
        {
          EventBusName: 'default',
          StatementId: `ami-lifecycle-${STAGE}-members`,
          Statement: {
            Effect: 'Allow',
            Principal: '*',
            Action: 'events:PutEvents',
            Resource: {
              'Fn::Sub': expect.stringMatching(
                /^arn:\$\{AWS::Partition\}:events:\$\{AWS::Region\}:\$\{AWS::AccountId\}:event-bus\/default$/,
              ),
            },
            Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION } },
          },
        },
      ],
    ]);
  });

  describe('least-privilege IAM', () => {
    it("each function's role allows exactly the actions its code calls", () => {
      expect(functionActions(stack)).toEqual(
        Object.fromEntries(
          Object.entries(EXPECTED_ACTIONS).map(([fn, actions]) => [fn, [...new Set(actions)].sort()]),
        ),
      );
    });

    it('no wildcard actions; retirement only on tagged images and snapshots; every resource scoped', () => {
      expect(checkIamStatements(stack, iamRules())).toEqual([]);
    });

    it('every role lets Lambda write its logs and send its failed invocations', () => {
      expect(checkRolesCoverTheFunctions(stack)).toEqual([]);
    });
  });

  it('every queue keeps 14 days and alarms on a message; every function alarms on errors; alarms notify the topic', () => {
    expect(checkQueuesAndAlarms(stack, NOTIFICATIONS_TOPIC)).toEqual([]);
  });

  securityTests({ stack: () => stack, expected, deleter: 'reconcile' });

  memberWorkTests({ stack: () => stack });

  describe('dashboard and alarms', () => {
    observabilityTests({
      stack: () => stack,
      regions: () => expected().regions,
      notificationsTopic: NOTIFICATIONS_TOPIC,
    });
  });

  it("every function has a log group with the stage's retention", () => {
    const retention = Number(paramFor(pkg.config, STAGE, 'logRetentionDays'));
    expect(retention).toBe(30);
    expect(checkLogGroups(stack, retention)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------

const text = (entry: ZipEntry | undefined) => entry?.read().toString('utf8') ?? '';

/** The handler's file in the zip: `functions/x.handler` is `functions/x.js`, export `handler`. */
function handlerFile(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  return { file: `${handler.slice(0, dot)}.js`, exportName: handler.slice(dot + 1) };
}

describe('the function packages', () => {
  it('each zip: its handler .js, no source map (params.sourceMaps is off), no node_modules, below 400 KB', () => {
    expect(paramFor(pkg.config, STAGE, 'sourceMaps')).toBe(false);
    const problems: string[] = [];
    for (const fn of pkg.functions) {
      const names = fn.entries.map((e) => e.name);
      const { file } = handlerFile(fn.handler);
      if (!names.includes(file)) problems.push(`${fn.name}: no ${file} in ${JSON.stringify(names)}`);
      if (names.some((n) => n.endsWith('.map'))) problems.push(`${fn.name}: ships a source map`);
      if (text(fn.entries.find((e) => e.name === file)).includes('//# sourceMappingURL='))
        problems.push(`${fn.name}: ${file} links a source map`);
      if (names.some((n) => n.split('/').includes('node_modules')))
        problems.push(`${fn.name}: has node_modules`);
      if (fn.zipBytes >= MAX_ZIP_BYTES)
        problems.push(`${fn.name}: ${fn.zipBytes} bytes zipped (≥ ${MAX_ZIP_BYTES}); ${sizes(fn.entries)}`);
    }
    expect(problems).toEqual([]);
  });

  it('the functions that read rules ship them as the JSON compiled from params.rulesFile, and no YAML', () => {
    const compiled = '.rules/rules.json';
    const expected = compileRules(join(ROOT, String(paramFor(pkg.config, STAGE, 'rulesFile'))));
    for (const fn of lambdaFunctions(stack)) {
      const env = (fn.props.Environment as Props | undefined)?.Variables as Props | undefined;
      expect(env?.RULES_FILE, fn.name).toBe(compiled);
    }
    for (const fn of pkg.functions) {
      const names = fn.entries.map((e) => e.name);
      expect(
        names.filter((n) => /\.ya?ml$/.test(n)),
        fn.name,
      ).toEqual([]);
      const rules = fn.entries.find((e) => e.name === compiled);
      if (fn.name === 'notify') expect(rules, 'notify reads no rules').toBeUndefined();
      else expect(text(rules), fn.name).toBe(expected);
    }
  });

  it('bundles are lean: no zod locale but English, no YAML parser, only the EC2 shapes the code uses', async () => {
    // Each marker is first shown to be in the module it marks.
    const source = (path: string) => readFile(join(ROOT, 'node_modules', path), 'utf8');
    const markers = {
      'a zod locale other than English': ['zod/v4/locales/de.js', 'Eingabe: erwartet'],
      'the YAML parser the rules loader uses': ['js-yaml/dist/js-yaml.mjs', 'deficient indentation'],
      'the YAML parser of the emulator and tests': [
        'yaml/dist/compose/resolve-block-map.js',
        'Implicit keys need to be on a single line',
      ],
      'the shapes of EC2 operations the code never calls': [
        '@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js',
        'WithdrawByoipCidrResult',
      ],
    } as const;
    for (const [what, [module, marker]] of Object.entries(markers))
      expect(await source(module), `${marker} marks ${what}`).toContain(marker);
    const problems: string[] = [];
    for (const fn of pkg.functions) {
      const js = text(fn.entries.find((e) => e.name === handlerFile(fn.handler).file));
      for (const [what, [, marker]] of Object.entries(markers))
        if (js.includes(marker)) problems.push(`${fn.name} bundles ${what} ("${marker}")`);
    }
    expect(problems).toEqual([]);
  });

  describe('tracing (params.tracing)', () => {
    tracingTests({ pkg: () => pkg, stack: () => stack, traced: () => traced });
  });

  it('source maps are used at run time when shipped (NODE_OPTIONS=--enable-source-maps)', () => {
    for (const fn of lambdaFunctions(stack)) {
      const env = (fn.props.Environment as Props | undefined)?.Variables as Props | undefined;
      expect(String(env?.NODE_OPTIONS), fn.name).toContain('--enable-source-maps');
    }
  });

  it('each handler loads as Lambda loads it (CommonJS, from the unzipped package) and exports a function', async () => {
    const problems: string[] = [];
    for (const fn of pkg.functions) {
      const root = join(dir, 'unzipped', fn.name);
      for (const entry of fn.entries) {
        if (entry.name.endsWith('/')) continue;
        await mkdir(dirname(join(root, entry.name)), { recursive: true });
        await writeFile(join(root, entry.name), entry.read());
      }
      const resource = lambdaFunctions(stack).find((f) => f.name === fn.name);
      const variables = (resource?.props.Environment as Props | undefined)?.Variables;
      const environment = Object.fromEntries(
        Object.entries(isObject(variables) ? variables : {}).map(([k, v]) => [
          k,
          // Refs to the stack's resources (topic ARNs, say) get a stand-in value.
          typeof v === 'string' ? v : `arn:aws:sns:${pkg.region}:${ACCOUNT}:${k.toLowerCase()}`,
        ]),
      );
      const { file, exportName } = handlerFile(fn.handler);
      const script =
        'const m = require(process.argv[1]); const h = m[process.argv[2]];' +
        "if (typeof h !== 'function') { console.error('export ' + process.argv[2] + ' is ' + typeof h); process.exit(3); }";
      try {
        await runFile(process.execPath, ['-e', script, join(root, file), exportName], {
          cwd: root,
          env: {
            PATH: process.env.PATH,
            ...environment,
            AWS_REGION: pkg.region,
            AWS_ACCESS_KEY_ID: 'ci',
            AWS_SECRET_ACCESS_KEY: 'ci',
            LAMBDA_TASK_ROOT: root,
          },
        });
      } catch (error) {
        const { stderr } = error as { stderr?: string };
        problems.push(`${fn.name}: ${stderr?.trim().split('\n').slice(0, 5).join(' | ') ?? String(error)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('esbuild prefers the ESM entry points of dependencies (mainFields: module first)', () => {
    const mainFields = pkg.config.custom?.esbuild?.mainFields;
    expect(Array.isArray(mainFields) ? mainFields[0] : mainFields).toBe('module');
  });

  it('bundles are tree-shaken: no SNS client in the EC2 functions, no EC2 client in notify', async () => {
    // Each marker is first shown to be in a bundle that does use its client, built as serverless-esbuild builds.
    const esbuildOptions = pkg.config.custom?.esbuild ?? {};
    const pick = (keys: string[]) =>
      Object.fromEntries(
        keys.filter((k) => esbuildOptions[k] !== undefined).map((k) => [k, esbuildOptions[k]]),
      );
    const controls = Object.entries(CLIENT_MARKERS).map(async ([client, { module, imports, markers }]) => {
      const result = await build({
        ...(pick(['minify', 'format', 'target', 'platform', 'mainFields', 'keepNames']) as BuildOptions),
        bundle: true,
        write: false,
        logLevel: 'silent',
        stdin: {
          contents: `import { ${imports.join(', ')} } from '${module}'; export const used = [${imports.join(', ')}];`,
          resolveDir: ROOT,
          loader: 'js',
        },
      });
      const bundle = result.outputFiles[0]?.text ?? '';
      for (const marker of markers) expect(bundle, `${marker} marks ${client}`).toContain(marker);
    });
    await Promise.all(controls);
    // And in the real pipeline: the handler that copies images carries the EC2 marker.
    const amiStateChange = pkg.functions.find((f) => f.name === 'amiStateChange');
    const asc = amiStateChange ? text(amiStateChange.entries.find((e) => e.name.endsWith('.js'))) : '';
    expect(asc).toContain('CopyImage');

    const problems: string[] = [];
    for (const fn of pkg.functions) {
      const js = text(fn.entries.find((e) => e.name === handlerFile(fn.handler).file));
      for (const client of MUST_NOT_BUNDLE[fn.name] ?? [])
        for (const marker of CLIENT_MARKERS[client].markers)
          if (js.includes(marker)) problems.push(`${fn.name} bundles the ${client} client ("${marker}")`);
    }
    expect(problems).toEqual([]);
  });
});

function sizes(entries: readonly ZipEntry[]): string {
  return entries.map((e) => `${e.name} ${e.compressedSize}`).join(', ');
}

// ---------------------------------------------------------------------------------------------------
// The checks above fail when the rule is broken: each case breaks a copy of the packaged template.

const propsOf = (t: Template, id: string | undefined): Props => {
  const props = id === undefined ? undefined : t.Resources[id]?.Properties;
  if (props === undefined) throw new Error(`no resource ${id}`);
  return props;
};

const idOf = (t: Template, type: string, test: (p: Props) => boolean): string => {
  const found = Object.entries(t.Resources).find(([, r]) => r.Type === type && test(r.Properties ?? {}));
  if (found === undefined) throw new Error(`no ${type} that passes ${test}`);
  return found[0];
};

const fnId = (t: Template, name: string) =>
  idOf(t, 'AWS::Lambda::Function', (p) => String(p.FunctionName).endsWith(`-${name}`));

const ruleId = (t: Template, name: string, kind: 'EventPattern' | 'ScheduleExpression') => {
  const fn = fnId(t, name);
  return idOf(
    t,
    'AWS::Events::Rule',
    (p) => p[kind] !== undefined && JSON.stringify(p.Targets).includes(`"${fn}"`),
  );
};

const firstTarget = (t: Template, id: string) => (propsOf(t, id).Targets as Props[])[0] as Props;

/** The first Allow statement, in any policy or role of the stack, that grants `action`. */
const statementGranting = (t: Template, action: string): Props => {
  for (const resource of Object.values(t.Resources)) {
    const props = resource.Properties ?? {};
    const documents = [props.PolicyDocument, ...list(props.Policies).map((p) => (p as Props).PolicyDocument)];
    for (const document of documents)
      for (const s of list((document as Props | undefined)?.Statement) as Props[])
        if (s.Effect === 'Allow' && list(s.Action).includes(action)) return s;
  }
  throw new Error(`no statement grants ${action}`);
};

const alarmId = (t: Template, metric: string, dimension: string) =>
  idOf(
    t,
    'AWS::CloudWatch::Alarm',
    (p) => p.MetricName === metric && JSON.stringify(p.Dimensions).includes(dimension),
  );

interface Breakage {
  readonly name: string;
  readonly check: () => (s: Stack) => string[];
  readonly breakIt: (t: Template) => void;
  readonly caught: RegExp;
}

const settings = () => (s: Stack) => checkFunctionSettings(s, stopMarginMs);
const iam = () => (s: Stack) => checkIamStatements(s, iamRules());
const actionTable = () => (s: Stack) => {
  const actual = functionActions(s);
  return Object.entries(EXPECTED_ACTIONS).flatMap(([fn, expected]) => {
    const want = new Set(expected);
    const have = new Set(actual[fn] ?? []);
    return [
      ...[...have].filter((a) => !want.has(a)).map((a) => `${fn}: unexpected ${a}`),
      ...[...want].filter((a) => !have.has(a)).map((a) => `${fn}: missing ${a}`),
    ];
  });
};
const alarmsCheck = () => (s: Stack) => checkQueuesAndAlarms(s, NOTIFICATIONS_TOPIC);

const BREAKAGES: Breakage[] = [
  {
    name: 'a function on nodejs22.x',
    check: settings,
    breakIt: (t) => {
      propsOf(t, fnId(t, 'notify')).Runtime = 'nodejs22.x';
    },
    caught: /^notify: Runtime nodejs22\.x/,
  },
  {
    name: 'a function on x86_64',
    check: settings,
    breakIt: (t) => {
      propsOf(t, fnId(t, 'reconcile')).Architectures = ['x86_64'];
    },
    caught: /^reconcile: Architectures/,
  },
  {
    name: 'a function with 4 GB',
    check: settings,
    breakIt: (t) => {
      propsOf(t, fnId(t, 'amiStateChange')).MemorySize = 4096;
    },
    caught: /^amiStateChange: MemorySize 4096/,
  },
  {
    name: 'an event handler with a 15-minute timeout',
    check: settings,
    breakIt: (t) => {
      propsOf(t, fnId(t, 'amiStateChange')).Timeout = 900;
    },
    caught: /^amiStateChange: an event handler with Timeout 900s/,
  },
  {
    name: 'reconcile with a timeout under its stop margin',
    check: settings,
    breakIt: (t) => {
      propsOf(t, fnId(t, 'reconcile')).Timeout = 30;
    },
    caught: /^reconcile: Timeout 30s is not above its stop margin/,
  },
  {
    name: 'an EventInvokeConfig without MaximumRetryAttempts',
    check: () => checkAsyncInvokeConfigs,
    breakIt: (t) => {
      delete propsOf(
        t,
        idOf(t, 'AWS::Lambda::EventInvokeConfig', () => true),
      ).MaximumRetryAttempts;
    },
    caught: /MaximumRetryAttempts undefined/,
  },
  {
    name: 'an on-failure destination that is a topic',
    check: () => checkAsyncInvokeConfigs,
    breakIt: (t) => {
      const config = propsOf(
        t,
        idOf(t, 'AWS::Lambda::EventInvokeConfig', () => true),
      );
      config.DestinationConfig = { OnFailure: { Destination: { Ref: NOTIFICATIONS_TOPIC } } };
    },
    caught: /OnFailure destination is not an SQS queue/,
  },
  {
    name: 'a rule target without RetryPolicy',
    check: () => checkRuleTargets,
    breakIt: (t) => {
      delete firstTarget(t, ruleId(t, 'amiStateChange', 'EventPattern')).RetryPolicy;
    },
    caught: /no RetryPolicy/,
  },
  {
    name: 'a rule target without a dead-letter queue',
    check: () => checkRuleTargets,
    breakIt: (t) => {
      delete firstTarget(t, ruleId(t, 'notify', 'EventPattern')).DeadLetterConfig;
    },
    caught: /no DeadLetterConfig/,
  },
  {
    name: 'a dead-letter queue policy for another principal',
    check: () => checkRuleTargets,
    breakIt: (t) => {
      const policy = propsOf(
        t,
        idOf(t, 'AWS::SQS::QueuePolicy', () => true),
      );
      for (const s of list((policy.PolicyDocument as Props).Statement) as Props[])
        s.Principal = { Service: 'sns.amazonaws.com' };
    },
    caught: /no QueuePolicy .* lets events\.amazonaws\.com send/,
  },
  {
    name: 'a dead-letter queue policy whose SourceArn leaves the rules out',
    check: () => checkRuleTargets,
    breakIt: (t) => {
      const policy = propsOf(
        t,
        idOf(t, 'AWS::SQS::QueuePolicy', () => true),
      );
      for (const s of list((policy.PolicyDocument as Props).Statement) as Props[])
        s.Condition = { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:*:rule/someone-else-*' } };
    },
    caught: /no QueuePolicy .* lets events\.amazonaws\.com send/,
  },
  {
    name: 'the state-change rule also matching deregistered images',
    check: () => (s) => checkDefaultBusRule(s, 'amiStateChange', AMI_STATE_CHANGE_PATTERN),
    breakIt: (t) => {
      const pattern = propsOf(t, ruleId(t, 'amiStateChange', 'EventPattern')).EventPattern as Props;
      pattern.detail = { State: ['available', 'failed', 'deregistered'] };
    },
    caught: /pattern .*deregistered/,
  },
  {
    name: "the state-change rule on the tool's bus",
    check: () => (s) => checkDefaultBusRule(s, 'amiStateChange', AMI_STATE_CHANGE_PATTERN),
    breakIt: (t) => {
      propsOf(t, ruleId(t, 'amiStateChange', 'EventPattern')).EventBusName = {
        'Fn::GetAtt': [TOOL_BUS, 'Name'],
      };
    },
    caught: /not the default bus/,
  },
  {
    name: 'a notify rule on the default bus',
    check: () => (s) => checkOwnBusRules(s, 'notify', TOOL_BUS, EVENT_SOURCE),
    breakIt: (t) => {
      delete propsOf(t, ruleId(t, 'notify', 'EventPattern')).EventBusName;
    },
    caught: /on bus default, not AmiLifecycleBus/,
  },
  {
    name: 'a notify rule matching another source too',
    check: () => (s) => checkOwnBusRules(s, 'notify', TOOL_BUS, EVENT_SOURCE),
    breakIt: (t) => {
      (propsOf(t, ruleId(t, 'notify', 'EventPattern')).EventPattern as Props).source = [
        EVENT_SOURCE,
        'aws.ec2',
      ];
    },
    caught: /not only ami-lifecycle/,
  },
  {
    name: 'an invalid event pattern',
    check: () => (s) => checkEventPatterns(s, compilePattern),
    breakIt: (t) => {
      const pattern = propsOf(t, ruleId(t, 'notify', 'EventPattern')).EventPattern as Props;
      pattern.detail = { failed: [{ numeric: ['>>', 0] }] };
    },
    caught: /Event pattern is not valid/,
  },
  {
    name: 'a cron schedule',
    check: () => (s) => checkScheduleRules(s, 'reconcile'),
    breakIt: (t) => {
      propsOf(t, ruleId(t, 'reconcile', 'ScheduleExpression')).ScheduleExpression = 'cron(0 3 * * ? *)';
    },
    caught: /is not rate\(\.\.\.\)/,
  },
  {
    name: 'a service-wide EC2 action',
    check: iam,
    breakIt: (t) => {
      const s = statementGranting(t, 'ec2:CopyImage');
      s.Action = [...list(s.Action), 'ec2:*'];
    },
    caught: /wildcard action ec2:\*/,
  },
  {
    name: 'Action "*"',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'sns:Publish').Action = '*';
    },
    caught: /wildcard action \*/,
  },
  {
    name: 'the event handler allowed to deregister',
    check: actionTable,
    breakIt: (t) => {
      const s = statementGranting(t, 'ec2:CopyImage');
      s.Action = [...list(s.Action), 'ec2:DeregisterImage'];
    },
    caught: /^amiStateChange: unexpected ec2:DeregisterImage/,
  },
  {
    name: 'a permission nobody uses',
    check: actionTable,
    breakIt: (t) => {
      const s = statementGranting(t, 'sns:Publish');
      s.Action = [...list(s.Action), 'sns:Subscribe'];
    },
    caught: /^notify: unexpected sns:Subscribe/,
  },
  {
    name: 'deregistration without the rule-tag condition',
    check: iam,
    breakIt: (t) => {
      delete statementGranting(t, 'ec2:DeregisterImage').Condition;
    },
    caught: /ec2:DeregisterImage is not conditioned on the presence of aws:ResourceTag\/ami-lifecycle:rule/,
  },
  {
    name: 'snapshot deletion only where the rule tag is absent (Null: true)',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'ec2:DeleteSnapshot').Condition = {
        Null: { [`aws:ResourceTag/${LINEAGE.rule}`]: 'true' },
      };
    },
    caught: /ec2:DeleteSnapshot is not conditioned/,
  },
  {
    name: 'CopyImage on ARNs with an account',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'ec2:CopyImage').Resource = {
        'Fn::Sub': `arn:aws:ec2:*:\${AWS::AccountId}:image/*`,
      };
    },
    caught:
      /ec2:CopyImage on "arn:aws:ec2:\*:123456789012:image\/\*", not an image\/snapshot ARN without account/,
  },
  {
    name: 'DeleteSnapshot on images',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'ec2:DeleteSnapshot').Resource = 'arn:aws:ec2:*::image/*';
    },
    caught: /ec2:DeleteSnapshot on "arn:aws:ec2:\*::image\/\*"/,
  },
  {
    name: 'PutEvents on every bus',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'events:PutEvents').Resource = {
        'Fn::Sub': `arn:aws:events:*:\${AWS::AccountId}:event-bus/*`,
      };
    },
    caught: /events:PutEvents on .*, not the bus ami-lifecycle-ci/,
  },
  {
    name: 'PutEvents with any source',
    check: iam,
    breakIt: (t) => {
      delete statementGranting(t, 'events:PutEvents').Condition;
    },
    caught: /events:PutEvents is not conditioned on events:source = ami-lifecycle/,
  },
  {
    name: 'logs on every log group',
    check: iam,
    breakIt: (t) => {
      statementGranting(t, 'logs:PutLogEvents').Resource = {
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:*`,
      };
    },
    caught: /logs:PutLogEvents on .*log-group:\*", not the stack's log groups/,
  },
  {
    name: 'CreateGrant without GrantIsForAWSResource',
    check: iam,
    breakIt: (t) => {
      delete statementGranting(t, 'kms:CreateGrant').Condition;
    },
    caught: /kms:CreateGrant is not conditioned on kms:GrantIsForAWSResource/,
  },
  {
    name: 'an AWS managed policy on a role',
    check: iam,
    breakIt: (t) => {
      const role = propsOf(t, 'NotifyRole');
      role.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AdministratorAccess'];
    },
    caught: /managed policy .*AdministratorAccess.* is not one of the stack's/,
  },
  {
    name: 'a role without its on-failure queue',
    check: () => checkRolesCoverTheFunctions,
    breakIt: (t) => {
      for (const policy of list(propsOf(t, 'NotifyRole').Policies) as Props[]) {
        const document = policy.PolicyDocument as Props;
        document.Statement = (list(document.Statement) as Props[]).filter(
          (s) => s.Action !== 'sqs:SendMessage',
        );
      }
    },
    caught: /^notify: its role cannot sqs:SendMessage/,
  },
  {
    name: 'a queue kept 4 days',
    check: alarmsCheck,
    breakIt: (t) => {
      propsOf(
        t,
        idOf(t, 'AWS::SQS::Queue', () => true),
      ).MessageRetentionPeriod = 345600;
    },
    caught: /MessageRetentionPeriod 345600/,
  },
  {
    name: 'a queue without its alarm',
    check: alarmsCheck,
    breakIt: (t) => {
      delete t.Resources[alarmId(t, 'ApproximateNumberOfMessagesVisible', 'RuleTargetDeadLetterQueue')];
    },
    caught: /^RuleTargetDeadLetterQueue: no AWS\/SQS ApproximateNumberOfMessagesVisible alarm/,
  },
  {
    name: 'a function without its errors alarm',
    check: alarmsCheck,
    breakIt: (t) => {
      delete t.Resources[alarmId(t, 'Errors', fnId(t, 'notify'))];
    },
    caught: /^notify: no AWS\/Lambda Errors alarm/,
  },
  {
    name: 'an alarm that notifies nobody',
    check: alarmsCheck,
    breakIt: (t) => {
      propsOf(t, alarmId(t, 'Errors', fnId(t, 'reconcile'))).AlarmActions = [];
    },
    caught: /^reconcile: its Errors alarm does not fire on 1 or does not notify NotificationsTopic/,
  },
  {
    name: 'a log group kept forever',
    check: () => (s) => checkLogGroups(s, 30),
    breakIt: (t) => {
      delete propsOf(
        t,
        idOf(t, 'AWS::Logs::LogGroup', () => true),
      ).RetentionInDays;
    },
    caught: /RetentionInDays undefined, not 30/,
  },
];

describe('each check fails when its rule is broken (a broken copy of the packaged template)', () => {
  it.each(BREAKAGES)('$name', ({ check, breakIt, caught }) => {
    const broken = structuredClone(pkg.template);
    breakIt(broken);
    expect(check()(stackOf(broken))).toContainEqual(expect.stringMatching(caught));
  });
});
