import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';
import { takeSdkRetries } from '../aws/sdk-retries.js';
import { METRIC_NAMESPACE, METRICS, type MetricName } from '../core/metrics.js';
import type { LoggerPort, MetricsPort } from '../core/ports.js';

/**
 * The core's `MetricsPort` over Powertools Metrics: CloudWatch EMF lines on stdout, which Lambda's
 * log group turns into metrics with no API call. What an invocation reports is kept until it ends
 * (counts summed, durations as the EMF list of values) and written as one EMF line per set of
 * dimensions, however many times the core called `add`: a reconcile of thousands of images writes
 * a handful of lines.
 */
export interface LambdaMetrics {
  readonly port: MetricsPort;
  /** The middy middlewares, outermost first: Powertools' `logMetrics` (which flushes), then ours (which fills it). */
  readonly middlewares: readonly MiddlewareObj<unknown, unknown>[];
}

interface Entry {
  readonly name: MetricName;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: number[];
}

export function createLambdaMetrics(log: LoggerPort): LambdaMetrics {
  const powertools = new Metrics({
    namespace: METRIC_NAMESPACE,
    // Powertools' own: the stack sets POWERTOOLS_SERVICE_NAME to ami-lifecycle-<stage>, so two
    // stages in one account and region keep their metrics (and alarms) apart.
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'ami-lifecycle',
    logger: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.info(message),
      error: (message: string) => log.error(message),
      // An invocation that changed nothing reports no metric, and that is no warning.
      warn: (message: string) =>
        message.startsWith('No application metrics') ? log.debug(message) : log.warn(message),
    },
  });
  const entries = new Map<string, Entry>();

  const port: MetricsPort = {
    add(name, value, dimensions) {
      const key = JSON.stringify([name, dimensions]);
      const entry = entries.get(key);
      if (entry === undefined) entries.set(key, { name, dimensions: { ...dimensions }, values: [value] });
      else if (METRICS[name].unit === 'Count' && entry.values[0] !== undefined) entry.values[0] += value;
      else entry.values.push(value);
    },
  };

  /** Moves the invocation's entries into Powertools, one EMF line per dimension set but the last, which `logMetrics` flushes. */
  const fill = () => {
    for (const t of takeSdkRetries()) {
      const dimensions = { api: t.api, region: t.region };
      if (t.retried > 0) port.add('RetriedCalls', t.retried, dimensions);
      if (t.throttled > 0) port.add('ThrottledCalls', t.throttled, dimensions);
      if (t.retryDelayMs > 0) port.add('RetryDelay', t.retryDelayMs, dimensions);
    }
    const groups = new Map<string, Entry[]>();
    for (const entry of entries.values()) {
      const rollup = 'rollup' in METRICS[entry.name];
      const key = JSON.stringify([entry.dimensions, rollup]);
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    entries.clear();
    let pending = false;
    for (const group of groups.values()) {
      if (pending) powertools.publishStoredMetrics();
      const [first] = group;
      if (first === undefined) continue;
      for (const [name, value] of Object.entries(first.dimensions)) powertools.addDimension(name, value);
      // The total over rules and regions, for the alarms: the `service` dimension alone.
      if ('rollup' in METRICS[first.name]) powertools.addDimensions({});
      for (const entry of group) {
        for (const value of entry.values) powertools.addMetric(entry.name, METRICS[entry.name].unit, value);
      }
      pending = true;
    }
  };
  const filler: MiddlewareObj<unknown, unknown> = { after: fill, onError: fill };
  return { port, middlewares: [logMetrics(powertools), filler] };
}
