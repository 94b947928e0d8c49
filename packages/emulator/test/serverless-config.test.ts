import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CfnIntrinsic,
  loadServerlessConfig,
  parseServerlessConfig,
  ServerlessConfigError,
} from '../src/eventbridge/serverless-config.js';

const yml = `
service: ami-lifecycle
params:
  default: { source: com.example.ami-tool }
  prod: { source: com.example.ami-tool.prod }
provider:
  name: aws
  runtime: nodejs24.x
  stage: \${opt:stage, 'dev'}
  region: \${opt:region, 'eu-west-1'}
  environment:
    EVENT_BUS_NAME: !Ref AmiEventBus
    STAGE: \${sls:stage}
functions:
  amiStateChange:
    handler: functions/ami-state-change.handler
    timeout: 60
    maximumRetryAttempts: 1
    environment:
      EXTRA: \${self:service}-extra
    events:
      - eventBridge:
          pattern:
            source: [aws.ec2]
            detail-type: [EC2 AMI State Change]
            detail:
              State: [available, failed]
  notifier:
    handler: functions/notify.main
    name: custom-notifier
    events:
      - eventBridge:
          eventBus: !Ref AmiEventBus
          pattern:
            source: ['\${param:source}']
            detail-type: [{ prefix: Ami }]
          retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 10 }
          deadLetterQueueArn: !GetAtt RuleTargetDlq.Arn
      - eventBridge:
          eventBus: default
          enabled: false
          name: notifier-disabled
          pattern: { source: [aws.ec2] }
  reconciler:
    handler: functions/reconcile.handler
    events:
      - schedule: rate(1 hour)
      - schedule:
          rate: [cron(0 3 * * ? *), rate(1 day)]
          input: { mode: retire, dryRun: false }
          enabled: false
      - eventBridge:
          schedule: rate(5 minutes)
          input: { mode: report }
      - http: { path: /ignored, method: get }
resources:
  Resources:
    AmiEventBus:
      Type: AWS::Events::EventBus
      Properties:
        Name: \${self:service}-\${sls:stage}
    RuleTargetDlq:
      Type: AWS::SQS::Queue
`;

describe('parseServerlessConfig', () => {
  const config = parseServerlessConfig(yml);

  it('resolves service, stage and region, with --stage/--region defaults from the file', () => {
    expect(config).toMatchObject({ service: 'ami-lifecycle', stage: 'dev', region: 'eu-west-1' });
    expect(parseServerlessConfig(yml, { stage: 'prod', region: 'us-west-2' })).toMatchObject({
      stage: 'prod',
      region: 'us-west-2',
    });
  });

  it('maps handlers to module paths and exports, and names functions as osls does', () => {
    const byName = Object.fromEntries(config.functions.map((fn) => [fn.name, fn]));
    expect(byName.amiStateChange).toMatchObject({
      handler: 'functions/ami-state-change.handler',
      modulePath: 'functions/ami-state-change.ts',
      moduleBase: 'functions/ami-state-change',
      exportName: 'handler',
      deployedName: 'ami-lifecycle-dev-amiStateChange',
      timeoutSeconds: 60,
      maximumRetryAttempts: 1,
    });
    expect(byName.notifier).toMatchObject({
      exportName: 'main',
      deployedName: 'custom-notifier',
      timeoutSeconds: 6,
    });
    expect(byName.reconciler?.maximumRetryAttempts).toBe(2);
  });

  it('keeps CloudFormation tags opaque and resolves simple variables in the environment', () => {
    const env = config.functions[0]?.environment;
    expect(env?.EVENT_BUS_NAME).toBeInstanceOf(CfnIntrinsic);
    expect(JSON.stringify(env?.EVENT_BUS_NAME)).toBe('{"Ref":"AmiEventBus"}');
    expect(env?.STAGE).toBe('dev');
    expect(env?.EXTRA).toBe('ami-lifecycle-extra');
  });

  it('extracts eventBridge rules with compiled patterns and their bus', () => {
    expect(
      config.eventRules.map((rule) => [
        rule.ruleName,
        rule.functionName,
        rule.bus,
        rule.eventBusName,
        rule.enabled,
      ]),
    ).toEqual([
      ['amiStateChange-rule-1', 'amiStateChange', 'default', 'default', true],
      ['notifier-rule-1', 'notifier', 'custom', 'ami-lifecycle-dev', true],
      ['notifier-disabled', 'notifier', 'default', 'default', false],
    ]);
    const [ami, notifier] = config.eventRules;
    expect(
      ami?.pattern.matches({
        source: 'aws.ec2',
        'detail-type': 'EC2 AMI State Change',
        detail: { State: 'failed' },
      }),
    ).toBe(true);
    expect(
      ami?.pattern.matches({
        source: 'aws.ec2',
        'detail-type': 'EC2 AMI State Change',
        detail: { State: 'disabled' },
      }),
    ).toBe(false);
    expect(notifier?.pattern.matches({ source: 'com.example.ami-tool', 'detail-type': 'AmiCopied' })).toBe(
      true,
    );
    expect(config.customBusName).toBe('ami-lifecycle-dev');
  });

  it('resolves param variables for the stage', () => {
    const prod = parseServerlessConfig(yml, { stage: 'prod' });
    const notifier = prod.eventRules.find((rule) => rule.functionName === 'notifier');
    expect(
      notifier?.pattern.matches({ source: 'com.example.ami-tool.prod', 'detail-type': 'AmiCopied' }),
    ).toBe(true);
    expect(prod.customBusName).toBe('ami-lifecycle-prod');
  });

  it('extracts schedule events in short, long and eventBridge forms', () => {
    expect(
      config.schedules.map((s) => ({
        rule: s.ruleName,
        fn: s.functionName,
        expressions: s.expressions,
        input: s.input,
        enabled: s.enabled,
      })),
    ).toEqual([
      {
        rule: 'reconciler-schedule-1',
        fn: 'reconciler',
        expressions: ['rate(1 hour)'],
        input: undefined,
        enabled: true,
      },
      {
        rule: 'reconciler-schedule-2',
        fn: 'reconciler',
        expressions: ['cron(0 3 * * ? *)', 'rate(1 day)'],
        input: { mode: 'retire', dryRun: false },
        enabled: false,
      },
      {
        rule: 'reconciler-schedule-3',
        fn: 'reconciler',
        expressions: ['rate(5 minutes)'],
        input: { mode: 'report' },
        enabled: true,
      },
    ]);
  });

  it('reads a bus given as an ARN or a plain name', () => {
    const config = parseServerlessConfig(`
service: s
functions:
  a:
    handler: a.handler
    events:
      - eventBridge: { eventBus: 'arn:aws:events:us-east-1:123456789012:event-bus/tools', pattern: { source: [x] } }
      - eventBridge: { eventBus: tools, pattern: { source: [y] } }
`);
    expect(config.eventRules.map((rule) => [rule.bus, rule.eventBusName])).toEqual([
      ['custom', 'tools'],
      ['custom', 'tools'],
    ]);
    expect(config.customBusName).toBe('tools');
  });

  it('without custom-bus rules, takes the tool bus name from the one EventBus resource', () => {
    const config = parseServerlessConfig(`
service: s
provider:
  stage: \${opt:stage, 'dev'}
functions:
  a:
    handler: a.handler
    events: [{ eventBridge: { pattern: { source: [aws.ec2] } } }]
resources:
  Resources:
    Bus:
      Type: AWS::Events::EventBus
      Properties:
        Name: s-\${sls:stage}
    Queue: { Type: AWS::SQS::Queue }
`);
    expect(config.customBusName).toBe('s-dev');
  });
});

describe('invalid serverless.yml fails loudly, naming the function and field', () => {
  const fn = (events: string) => `
service: s
functions:
  copier:
    handler: functions/copier.handler
    events:
${events}
`;
  it.each([
    {
      why: 'an invalid pattern',
      text: fn('      - eventBridge: { pattern: { detail: { State: available } } }'),
      message:
        'functions.copier.events[0].eventBridge.pattern.detail.State: Event pattern is not valid. Reason: "State" must be an object or an array',
    },
    {
      why: 'an invalid operator deep in a pattern',
      text: fn('      - eventBridge: { pattern: { detail: { Size: [{ numeric: [">", "5"] }] } } }'),
      message:
        'functions.copier.events[0].eventBridge.pattern.detail.Size[0].numeric[1]: Event pattern is not valid. Reason: Value of > must be a number',
    },
    {
      why: 'a misspelt eventBridge key',
      text: fn('      - eventBridge: { patern: { source: [x] } }'),
      message: 'functions.copier.events[0].eventBridge',
    },
    {
      why: 'an eventBridge event with neither pattern nor schedule',
      text: fn('      - eventBridge: { eventBus: default }'),
      message: 'functions.copier.events[0].eventBridge: needs a pattern or a schedule',
    },
    {
      why: 'a pattern key osls does not allow at the top level',
      text: fn('      - eventBridge: { pattern: { State: [available] } }'),
      message: 'functions.copier.events[0].eventBridge.pattern: pattern keys must be among',
    },
    {
      why: 'a CloudFormation function inside a pattern',
      text: fn('      - eventBridge: { pattern: { source: !Ref Source } }'),
      message: 'functions.copier.events[0].eventBridge.pattern.source: Event pattern is not valid.',
    },
    {
      why: 'a bad schedule expression',
      text: fn('      - schedule: every hour'),
      message: 'functions.copier.events[0].schedule: ',
    },
    {
      why: 'maximumRetryAttempts above 2',
      text: `
service: s
functions:
  copier:
    handler: functions/copier.handler
    maximumRetryAttempts: 3
`,
      message: 'functions.copier.maximumRetryAttempts',
    },
    {
      why: 'a handler without an export name',
      text: `
service: s
functions:
  copier:
    handler: functions/copier
`,
      message: 'functions.copier.handler: must be <module path>.<export name>',
    },
    {
      why: 'an inputTransformer, which the local bus cannot apply',
      text: fn(
        '      - eventBridge: { pattern: { source: [x] }, inputTransformer: { inputTemplate: "<id>", inputPathsMap: { id: $.id } } }',
      ),
      message:
        'functions.copier.events[0].eventBridge.inputTransformer: not supported by the local event bus',
    },
    { why: 'invalid YAML', text: 'service: [unclosed', message: 'invalid YAML' },
    { why: 'no service', text: 'functions: {}', message: '.service' },
  ])('$why', ({ text, message }) => {
    expect(() => parseServerlessConfig(text)).toThrow(ServerlessConfigError);
    expect(() => parseServerlessConfig(text)).toThrow(message);
  });
});

describe('loadServerlessConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sls-config-'));
    await writeFile(join(dir, 'serverless.yml'), yml);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the file', async () => {
    const config = await loadServerlessConfig(join(dir, 'serverless.yml'), { stage: 'qa' });
    expect(config.path).toBe(join(dir, 'serverless.yml'));
    expect(config.customBusName).toBe('ami-lifecycle-qa');
  });

  it('names a file it cannot read', async () => {
    await expect(loadServerlessConfig(join(dir, 'missing.yml'))).rejects.toThrow(
      `${join(dir, 'missing.yml')}: cannot read`,
    );
  });
});
