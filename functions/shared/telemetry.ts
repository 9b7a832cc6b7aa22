/**
 * Structured JSON logs and CloudWatch embedded-metric-format (EMF) lines on stdout: Lambda ships both to
 * CloudWatch Logs, and EMF turns into metrics without an API call on the hot path.
 */
export interface Telemetry {
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
  /** Counts, optionally per rule (dimension `ruleId`). */
  count(metrics: Readonly<Record<string, number>>, dimensions?: Readonly<Record<string, string>>): void;
}

export const NAMESPACE = 'Trailwarden';
/** The `service` dimension of the evaluate function's metrics (the dashboard reads them by it). */
export const EVALUATE_SERVICE = 'trailwarden-evaluate';

export const createTelemetry = (
  service: string,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): Telemetry => ({
  log: (level, message, fields = {}) =>
    write(JSON.stringify({ level, message, service, timestamp: new Date(now()).toISOString(), ...fields })),
  count: (metrics, dimensions = {}) => {
    const names = Object.keys(metrics).filter((name) => (metrics[name] ?? 0) > 0);
    if (names.length === 0) return;
    write(
      JSON.stringify({
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: NAMESPACE,
              Dimensions: [['service', ...Object.keys(dimensions)]],
              Metrics: names.map((Name) => ({ Name, Unit: 'Count' })),
            },
          ],
        },
        service,
        ...dimensions,
        ...Object.fromEntries(names.map((n) => [n, metrics[n]])),
      }),
    );
  },
});
