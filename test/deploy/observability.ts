import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { STACK_REGION } from '../../scripts/observability.js';
import { METRIC_NAMESPACE, METRICS } from '../../shared/core/metrics.js';
import { getAttOf, refOf, resourcesOfType, type Stack } from './checks.js';

/**
 * The dashboard and the alarms of the packaged stack: the dashboard's body is JSON naming exactly
 * the metrics the code emits (the table in shared/core/metrics.ts, which the handlers' tests show
 * they emit), its copy widgets read every region of the rules, and each alarm of the observability
 * work watches the metric it says, with its threshold, and notifies the topic.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

interface DashboardLine {
  readonly namespace: string;
  readonly name: string;
  readonly region: string | undefined;
  readonly widget: string;
}

/** Every metric the body draws: from SEARCH expressions and from plain metric arrays. */
export function dashboardLines(body: unknown): DashboardLine[] {
  if (!isObject(body) || !Array.isArray(body.widgets)) throw new Error('the body has no widgets');
  const lines: DashboardLine[] = [];
  for (const widget of body.widgets) {
    const properties = isObject(widget) && isObject(widget.properties) ? widget.properties : {};
    const title = String(properties.title);
    for (const entry of Array.isArray(properties.metrics) ? properties.metrics : []) {
      if (!Array.isArray(entry)) continue;
      const [first, second] = entry;
      if (isObject(first) && typeof first.expression === 'string') {
        const search = /^SEARCH\('\{([^,}]+),[^}]*\} MetricName="(\w+)"/.exec(first.expression);
        if (search?.[1] !== undefined && search[2] !== undefined) {
          lines.push({ namespace: search[1], name: search[2], region: String(first.region), widget: title });
        }
      } else if (typeof first === 'string' && typeof second === 'string') {
        lines.push({ namespace: first, name: second, region: undefined, widget: title });
      }
    }
  }
  return lines;
}

/** The resources an alarm notifies, by logical id. */
const actionsOf = (props: Json | undefined): (string | undefined)[] =>
  Array.isArray(props?.AlarmActions) ? props.AlarmActions.map(refOf) : [];

export interface ObservabilityContext {
  readonly stack: () => Stack;
  /** The regions of the rules file the stack was packaged with. */
  readonly regions: () => readonly string[];
  readonly notificationsTopic: string;
}

export function observabilityTests(context: ObservabilityContext): void {
  const dashboard = () => {
    const [entry, ...others] = resourcesOfType(context.stack(), 'AWS::CloudWatch::Dashboard');
    expect(others).toEqual([]);
    const body = entry?.[1].DashboardBody;
    if (!isObject(body) || typeof body['Fn::Sub'] !== 'string')
      throw new Error('DashboardBody is not a Fn::Sub');
    return JSON.parse(body['Fn::Sub']) as unknown;
  };

  it('one dashboard, its body valid JSON naming exactly the metrics the code emits, and both queues', () => {
    const lines = dashboardLines(dashboard());
    const ours = new Set(lines.filter((l) => l.namespace === METRIC_NAMESPACE).map((l) => l.name));
    expect([...ours].sort()).toEqual(Object.keys(METRICS).sort());
    const sqs = lines.filter((l) => l.namespace === 'AWS/SQS').map((l) => l.name);
    expect(new Set(sqs)).toEqual(
      new Set(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']),
    );
  });

  it('copies are drawn in every region of the rules, each read in its own region; the rest in the stack’s', () => {
    const lines = dashboardLines(dashboard()).filter((l) => l.namespace === METRIC_NAMESPACE);
    for (const name of ['CopiesStarted', 'CopiesCompleted', 'CopiesFailed', 'CopyDuration']) {
      const regions = new Set(lines.filter((l) => l.name === name).map((l) => l.region));
      expect([...regions].sort(), name).toEqual([...context.regions()].sort());
    }
    const here = lines.filter((l) => l.name === 'ReconcileRepairs').map((l) => l.region);
    expect(new Set(here)).toEqual(new Set([STACK_REGION]));
  });

  const stage = () => context.stack().stage;
  const service = () => ({ Name: 'service', Value: `ami-lifecycle-${stage()}` });
  const alarm = (metric: string) => {
    const found = resourcesOfType(context.stack(), 'AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.MetricName === metric,
    );
    return found.map(([, a]) => a);
  };

  it.each([
    // [metric, namespace, statistic, period, evaluation periods, threshold]
    ['CopiesFailed', METRIC_NAMESPACE, 'Sum', 300, 1, 1],
    ['ReconcileDeferredCopies', METRIC_NAMESPACE, 'Minimum', 21600, 4, 1],
    ['ReconcileRepairs', METRIC_NAMESPACE, 'Minimum', 21600, 4, 1],
    ['ReconcileFailures', METRIC_NAMESPACE, 'Minimum', 21600, 4, 1],
  ] as const)(
    'an alarm on %s (%s, %s over %i s × %i, at %i) notifies the topic',
    (metric, namespace, statistic, period, periods, threshold) => {
      const [props, ...others] = alarm(metric);
      expect(others).toEqual([]);
      expect(props).toMatchObject({
        Namespace: namespace,
        Statistic: statistic,
        Period: period,
        EvaluationPeriods: periods,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(props?.Dimensions).toContainEqual(service());
      expect(actionsOf(props)).toEqual([context.notificationsTopic]);
      // Every metric an alarm watches is one the code emits, with the `service` total the alarm reads.
      expect(Object.keys(METRICS)).toContain(metric);
    },
  );

  it('the oldest dead letter of each queue alarms after a day, and notifies the topic', () => {
    const ages = alarm('ApproximateAgeOfOldestMessage');
    const queues = ages.flatMap((a) =>
      (a.Dimensions as Json[]).filter((d) => d.Name === 'QueueName').map((d) => getAttOf(d.Value)),
    );
    expect(queues).toEqual(
      expect.arrayContaining([
        ['FailedInvocationsQueue', 'QueueName'],
        ['RuleTargetDeadLetterQueue', 'QueueName'],
      ]),
    );
    for (const props of ages) {
      expect(props).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 86400 });
      expect(actionsOf(props)).toEqual([context.notificationsTopic]);
    }
  });

  it('the alarm on failed copies reads the total the functions emit (rollup), not a rule or region', () => {
    expect('rollup' in METRICS.CopiesFailed).toBe(true);
    const [props] = alarm('CopiesFailed');
    expect(isDeepStrictEqual(props?.Dimensions, [service()])).toBe(true);
  });
}
