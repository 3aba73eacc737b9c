/**
 * Custom metrics as CloudWatch embedded metric format (EMF) lines: CloudWatch Logs turns each
 * line into a metric data point, with no client, no call and nothing to set up at init.
 * Written to stdout directly: Lambda's JSON log format wraps console.log output in a JSON
 * envelope, which CloudWatch would not read as EMF.
 */

/** The namespace of the service's own metrics (the monitoring construct reads the same). */
export const METRICS_NAMESPACE = 'PlatformRollback';

/** Counts one `name` (unit Count) under the Service dimension; `properties` ride along as log fields. */
export function countMetric(
  name: string,
  properties: Record<string, string> = {},
  write: (line: string) => void = (line) => process.stdout.write(line),
): void {
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: [['Service']], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    Service: 'platform-rollback',
    ...properties,
    [name]: 1,
  };
  write(`${JSON.stringify(line)}\n`);
}
