/**
 * One logger and one metrics instance per function, one service name, behind one port: where
 * their lines go. In Lambda that is stdout (CloudWatch Logs, EMF); in tests an in-memory sink, so
 * a test reads the very lines Powertools formats without replacing `process.stdout.write`.
 * Handlers hand each invocation's Lambda context to the logger (`withInvocation`), so every line
 * carries the request id, cold start and X-Ray trace id, as Powertools' injectLambdaContext does
 * for middy or decorator handlers (ours are plain functions).
 */
import { type LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../core/metric-names';

/** The one spelling of the service name, in log lines and in the metrics' `service` dimension. */
export const SERVICE_NAME = METRICS_SERVICE;

/** Where a function's log lines and EMF documents go, one JSON document a line. */
export interface LineSink {
  write(line: string): void;
}

/** What a function logs and counts through. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface ObservabilityOptions {
  /** Where the lines go. @default stdout (Powertools' own output) */
  sink?: LineSink;
  /** @default the `POWERTOOLS_LOG_LEVEL` / `AWS_LAMBDA_LOG_LEVEL` environment, else INFO */
  logLevel?: ConstructorOptions['logLevel'];
}

/** A logger and a metrics instance over `sink` (or stdout), with the service's one name. */
export function createObservability(options: ObservabilityOptions = {}): Observability {
  const loggerOptions: ConstructorOptions = { serviceName: SERVICE_NAME, logLevel: options.logLevel };
  const metricsOptions: MetricsOptions = { namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME };
  const { sink } = options;
  return sink === undefined
    ? { logger: new Logger(loggerOptions), metrics: new Metrics(metricsOptions) }
    : { logger: new SinkLogger(sink, loggerOptions), metrics: new SinkMetrics(sink, metricsOptions) };
}

let shared: Observability | undefined;

/** This function's one logger and metrics instance (a Lambda process runs one function). */
export function functionObservability(): Observability {
  shared ??= createObservability();
  return shared;
}

/**
 * Adds the invocation's Lambda context to every following log line: `function_request_id`,
 * `cold_start` (true on the process's first invocation only), the function's name, ARN and
 * memory; Powertools adds `xray_trace_id` from `_X_AMZN_TRACE_ID` on each line.
 */
export function withInvocation(logger: Logger, context: Context | undefined): void {
  if (context !== undefined) logger.addContext(context);
}

/** Lines kept in memory, in order: what tests read instead of stdout. */
export class MemorySink implements LineSink {
  readonly lines: string[] = [];
  constructor(private readonly keep = true) {}

  write(line: string): void {
    if (this.keep) this.lines.push(line);
  }

  /** The lines as stdout would have held them. */
  text(): string {
    return this.lines.map((line) => `${line}\n`).join('');
  }

  /** Every line parsed. */
  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/** Powertools' Logger, its formatted line written to the sink (printLog is its extension point). */
class SinkLogger extends Logger {
  constructor(
    private readonly sink: LineSink,
    options: ConstructorOptions,
  ) {
    super(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    // Set after super(): a line Powertools prints while constructing has no sink yet (it prints none today).
    (this.sink as LineSink | undefined)?.write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new SinkLogger(this.sink, { serviceName: SERVICE_NAME, ...options });
  }
}

/** Powertools' Metrics, each EMF document written to the sink instead of stdout. */
class SinkMetrics extends Metrics {
  constructor(
    private readonly sink: LineSink,
    private readonly options: MetricsOptions,
  ) {
    super(options);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) this.sink.write(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  /** A metric published at once, with its own dimensions, to the same sink. */
  override singleMetric(): Metrics {
    return new SinkMetrics(this.sink, { ...this.options, singleMetric: true });
  }
}
