import { pathToFileURL } from 'node:url';
import { METRIC_NAMESPACE, METRICS, type MetricName } from '../shared/core/metrics.js';

/**
 * The stack's CloudWatch dashboard, generated from the metrics table of the code (`METRICS`), so
 * that it shows exactly what the functions emit: a widget per concern, and where a metric is
 * emitted in the region of the image (copies), one line per region of the rules, each read in its
 * own region (a metric's `region` in a dashboard; a stack is regional, a dashboard is not).
 *
 *   node --import tsx scripts/observability.ts STAGE REGION,REGION,...
 *
 * prints `{ "dashboardBody": { "Fn::Sub": "<JSON>" } }`; `scripts/observability.cjs` runs it for
 * `${file(...)}` in serverless.yml. `${AWS::Region}` in the body is the stack's region.
 */

interface Widget {
  readonly title: string;
  readonly metrics: readonly MetricName[];
  /** Sum for counts; durations show their median and maximum. */
  readonly stats: readonly string[];
  /** One line per region of the rules, read there: metrics emitted in the image's region. */
  readonly acrossRegions?: boolean;
}

const COUNT = ['Sum'];
const DURATION = ['p50', 'Maximum'];

/** The widgets, one per concern; every metric of `METRICS` is in one (checked below and by the deploy tests). */
export const WIDGETS: readonly Widget[] = [
  {
    title: 'Releases started and completed (sources of this region)',
    metrics: ['ReleasesStarted', 'ReleasesCompleted'],
    stats: COUNT,
  },
  { title: 'Release completion time', metrics: ['ReleaseCompletionTime'], stats: DURATION },
  { title: 'Copies started, by region', metrics: ['CopiesStarted'], stats: COUNT, acrossRegions: true },
  { title: 'Copies completed, by region', metrics: ['CopiesCompleted'], stats: COUNT, acrossRegions: true },
  { title: 'Copies failed, by region', metrics: ['CopiesFailed'], stats: COUNT, acrossRegions: true },
  {
    title: 'Copy duration (creation to available), by region',
    metrics: ['CopyDuration'],
    stats: DURATION,
    acrossRegions: true,
  },
  { title: 'Failed actions, by kind', metrics: ['ActionsFailed'], stats: COUNT },
  {
    title: 'Reconcile: drift repaired, copies deferred, failures (every run)',
    metrics: ['ReconcileRepairs', 'ReconcileDeferredCopies', 'ReconcileFailures'],
    stats: ['Maximum'],
  },
  { title: 'Retirement, by stage', metrics: ['RetirementActions'], stats: COUNT },
  { title: 'AWS calls retried and throttled', metrics: ['RetriedCalls', 'ThrottledCalls'], stats: COUNT },
  { title: 'Time waiting between retries', metrics: ['RetryDelay'], stats: COUNT },
  { title: 'Notifications sent', metrics: ['NotificationsSent'], stats: COUNT },
];

/** The stack's region, as Fn::Sub writes it (joined: it is CloudFormation's placeholder, not a template string's). */
export const STACK_REGION = ['$', '{AWS::Region}'].join('');
const REGION = STACK_REGION;
const PERIOD = 300;

/** Every time series of the metric in the stack's service, whatever its rule, region, action or API. */
function search(name: MetricName, stat: string, service: string): string {
  const dimensions = ['service', ...METRICS[name].dimensions].join(',');
  return `SEARCH('{${METRIC_NAMESPACE},${dimensions}} MetricName="${name}" service="${service}"', '${stat}', ${PERIOD})`;
}

function metricWidget(widget: Widget, service: string, regions: readonly string[], index: number) {
  const lines: object[] = [];
  for (const name of widget.metrics) {
    for (const stat of widget.stats) {
      for (const region of widget.acrossRegions ? regions : [REGION]) {
        lines.push([{ expression: search(name, stat, service), id: `e${lines.length + 1}`, region }]);
      }
    }
  }
  return placed(index, widget.title, lines);
}

/** A time-series widget in the stack's region, half the dashboard's width, two to a row in order. */
function placed(index: number, title: string, metrics: readonly unknown[]) {
  return {
    type: 'metric',
    width: 12,
    height: 6,
    x: (index % 2) * 12,
    y: Math.floor(index / 2) * 6,
    properties: { title, view: 'timeSeries', region: REGION, period: PERIOD, metrics },
  };
}

/** Dead letters are CloudWatch's own metrics of the two queues: no code runs when Lambda or EventBridge gives up. */
function deadLetterWidget(stage: string, index: number) {
  const queues = [`ami-lifecycle-failed-${stage}`, `ami-lifecycle-rule-dlq-${stage}`];
  return placed(
    index,
    'Dead letters: messages waiting, and the oldest one’s age (s)',
    queues.flatMap((queue) => [
      ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queue, { stat: 'Maximum' }],
      ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queue, { stat: 'Maximum', yAxis: 'right' }],
    ]),
  );
}

export function dashboardBody(stage: string, regions: readonly string[]): object {
  const covered = new Set(WIDGETS.flatMap((w) => w.metrics));
  const missing = Object.keys(METRICS).filter((name) => !covered.has(name as MetricName));
  if (missing.length > 0) throw new Error(`metrics without a dashboard widget: ${missing.join(', ')}`);
  const service = `ami-lifecycle-${stage}`;
  return {
    widgets: [
      ...WIDGETS.map((widget, i) => metricWidget(widget, service, regions, i)),
      deadLetterWidget(stage, WIDGETS.length),
    ],
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [stage, regions] = process.argv.slice(2);
  if (stage === undefined || regions === undefined) {
    process.stderr.write('usage: scripts/observability.ts STAGE REGION,REGION,...\n');
    process.exit(2);
  }
  const body = dashboardBody(stage, regions.split(',').filter(Boolean));
  process.stdout.write(JSON.stringify({ dashboardBody: { 'Fn::Sub': JSON.stringify(body) } }));
}
