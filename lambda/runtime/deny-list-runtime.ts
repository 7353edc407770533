/**
 * The deployed deny-list's two functions, built once per container from the environment:
 * - the stream consumer: each DynamoDB stream record of the state table (NEW_AND_OLD_IMAGES)
 *   goes to the DenyListReplicator (which reads nothing but the record's images), which writes the grants to refuse into the KeyValueStore;
 *   a record that fails stops the batch and is reported (ReportBatchItemFailures), so Lambda
 *   retries from it, then sends it to the on-failure queue: no revocation is dropped silently;
 * - the sweeper: deletes entries whose grant has expired anyway, so the store stays small.
 *
 * Environment (set by lib/edge-revocation.ts):
 * - `EDGE_DENY_LIST_KVS_ARN`: the KeyValueStore's ARN;
 * - `JWT_CLOCK_TOLERANCE_SECONDS` (default 30, 0-300): added to every entry's expiry, as
 *   CloudFront's clock may run behind ours;
 * - `DENY_LIST_SWEEP_MIN_BYTES` (default 1000000, 0-5242880): the sweeper lists and deletes only
 *   once the store holds this much (expired entries are harmless; listing is billed per call);
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, AttributeValue as StreamAttributeValue } from 'aws-lambda';
import { type Env, EnvReader } from '../core/env-reader';
import { TOKEN } from '../core/settings-contract';
import { DENY_LIST_METRIC } from '../core/metric-names';
import { DenyListReplicator } from '../store/deny-list-replicator';
import type { Item } from '../store/dynamo-call';
import { KvsDenyList, type SweepReport } from '../store/kvs-deny-list';
import { STATE_TABLE } from '../store/table-schema';
import { DENY_LIST_KVS_ARN_VARIABLE } from './deny-list-env';
import { functionObservability } from './observability';

export { DENY_LIST_KVS_ARN_VARIABLE };

export interface DenyListFunctionConfig {
  kvsArn: string;
  toleranceSeconds: number;
  sweepMinBytes: number;
}

/** Reads and checks the environment; a bad value throws ConfigError naming the variable. */
export function loadDenyListConfig(env: Env): DenyListFunctionConfig {
  const read = new EnvReader(env);
  return {
    kvsArn: read.text({
      variable: DENY_LIST_KVS_ARN_VARIABLE,
      pattern: /^arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[A-Za-z0-9-]+$/,
      what: 'a CloudFront KeyValueStore ARN',
    }),
    // The API's own tolerance (lib/edge-revocation.ts sets the same value on both).
    toleranceSeconds: read.integer(TOKEN.clockToleranceSeconds),
    sweepMinBytes: read.integer({ variable: 'DENY_LIST_SWEEP_MIN_BYTES', fallback: 1_000_000, min: 0, max: 5_242_880 }),
  };
}

export interface DenyListRuntimeOptions {
  env?: Env;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** @default kvsClient() (the AWS endpoint) */
  kvsClient?: CloudFrontKeyValueStoreClient;
  /** Backoff between KeyValueStore attempts. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export class DenyListRuntime {
  readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly now: () => number;
  readonly kvs: KvsDenyList;
  readonly replicator: DenyListReplicator;
  private readonly sweepMinBytes: number;

  constructor(options: DenyListRuntimeOptions = {}) {
    this.logger = options.logger ?? functionObservability().logger;
    this.metrics = options.metrics ?? functionObservability().metrics;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
    const config = loadDenyListConfig(options.env ?? process.env);
    this.sweepMinBytes = config.sweepMinBytes;
    this.kvs = new KvsDenyList({ kvsArn: config.kvsArn, client: options.kvsClient, sleep: options.sleep });
    this.replicator = new DenyListReplicator(this.kvs, {
      toleranceSeconds: config.toleranceSeconds,
      now: this.now,
    });
  }

  /**
   * One stream batch, in order. The first record that fails stops the batch and is reported:
   * Lambda retries from it (its successors too; puts are idempotent), bisecting, until the
   * mapping's retry limit sends it to the on-failure queue. Records without a key are skipped.
   */
  async onStreamBatch(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    let written = 0;
    try {
      for (const record of event.Records) {
        const key = record.dynamodb?.Keys?.[STATE_TABLE.partitionKey]?.S;
        if (key === undefined) {
          this.logger.warn('stream record without a state-table key: skipped', { eventID: record.eventID });
          continue;
        }
        try {
          const entries = await this.replicator.onChange(
            key,
            itemOf(record.dynamodb?.OldImage),
            itemOf(record.dynamodb?.NewImage),
          );
          written += entries.length;
          if (entries.length > 0)
            this.logger.info('deny-list entries written', { kind: key.slice(0, 3), entries: entries.length });
        } catch (error) {
          this.metrics.addMetric(DENY_LIST_METRIC.writesFailed, MetricUnit.Count, 1);
          // The key is a hash (never a user or token id); the error names the AWS failure.
          this.logger.error('deny-list write failed: the batch is retried from this record', {
            kind: key.slice(0, 3),
            sequenceNumber: record.dynamodb?.SequenceNumber,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
          const sequenceNumber = record.dynamodb?.SequenceNumber;
          // Without a sequence number Lambda cannot resume at the record: fail the whole batch.
          if (sequenceNumber === undefined) throw error;
          return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
        }
      }
      return { batchItemFailures: [] };
    } finally {
      this.metrics.addMetric(DENY_LIST_METRIC.entriesWritten, MetricUnit.Count, written);
      this.metrics.addMetric(DENY_LIST_METRIC.writeConflicts, MetricUnit.Count, this.kvs.takeReport().conflicts);
      this.metrics.publishStoredMetrics();
    }
  }

  /** Deletes the expired entries once the store is big enough; a failure throws (the function's errors alarm). */
  async sweep(): Promise<SweepReport> {
    try {
      const report = await this.kvs.sweep(this.now(), this.sweepMinBytes);
      this.metrics.addMetric(DENY_LIST_METRIC.entriesSwept, MetricUnit.Count, report.deleted);
      this.metrics.addMetric(DENY_LIST_METRIC.storeBytes, MetricUnit.Bytes, report.storeBytes);
      this.logger.info('deny-list swept', { ...report });
      return report;
    } finally {
      this.metrics.publishStoredMetrics();
    }
  }
}

/** The stream's images are DynamoDB JSON, the shape the SDK's items have. */
function itemOf(image: Record<string, StreamAttributeValue> | undefined): Item | undefined {
  return image === undefined ? undefined : (image as unknown as Record<string, AttributeValue>);
}

/** One runtime per container, made on first use; a failed start is reported by each invocation. */
let shared: DenyListRuntime | undefined;
export function sharedDenyListRuntime(): DenyListRuntime {
  shared ??= new DenyListRuntime();
  return shared;
}
