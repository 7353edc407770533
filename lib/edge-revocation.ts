/**
 * Edge revocation, deployed: the CloudFront KeyValueStore the viewer-request function reads
 * (associated by Delivery, on the one function every signed behaviour runs), and the pipeline
 * that fills it from the source of truth:
 *
 *   API → state table → DynamoDB stream (NEW_AND_OLD_IMAGES) → stream function → KeyValueStore
 *
 * The stream function (lambda/handlers/edge-deny-list-stream.ts) sees only the writes that revoke
 * or end something (one event filter: the new image carries `denied`, which those writes set and
 * every other write removes) and works from the record's images alone (a user's item holds the
 * revocation and every grant it must deny), reading nothing from the table. It reports the
 * record that failed so Lambda retries from it, bisecting, up to a bounded number of attempts and
 * record age, then sends its description to an encrypted on-failure queue, which alarms. A sweeper on a schedule
 * (lambda/handlers/edge-deny-list-sweeper.ts) deletes entries whose grant has expired anyway.
 * Each function may touch exactly what it uses: the store's three API actions on its ARN, and
 * (the stream function) the table's stream; neither may read or write the table itself.
 */
import { TOKEN } from '../lambda/core/settings-contract';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DENY_LIST_KVS_ARN_VARIABLE } from '../lambda/runtime/deny-list-env';
import { USER_ATTRIBUTES } from '../lambda/store/table-schema';
import { NodeFunction } from './node-function';
import type { StateTable } from './state-table';

export const DEFAULT_DENY_LIST_HANDLERS_DIR = path.join(__dirname, '..', 'lambda', 'handlers');

/** The KeyValueStore API actions the functions call, and nothing else (no DeleteKey/PutKey/GetKey). */
export const KVS_WRITER_ACTIONS = [
  'cloudfront-keyvaluestore:DescribeKeyValueStore',
  'cloudfront-keyvaluestore:UpdateKeys',
  'cloudfront-keyvaluestore:ListKeys',
];

/**
 * The attribute whose presence (a Number) in the new image marks a write that revokes or ends
 * something: the stream's one event filter. A filter cannot name the per-session `x_*`/`z_*` marks.
 */
export const DENYING_ATTRIBUTE = USER_ATTRIBUTES.denied;

export interface EdgeRevocationProps {
  /** The state table; must have its stream on (StateTable `stream: true`). */
  readonly table: StateTable;
  /** Seconds added to every entry's expiry (the JWT clock tolerance: CloudFront's clock may lag ours). */
  readonly clockToleranceSeconds: number;
  /**
   * Minutes between sweeps of expired entries. Each sweep is one DescribeKeyValueStore call; it
   * lists and deletes only once the store holds 1 MB. Entries wait up to this long after their
   * grant expires, so a shorter interval leaves more room for live ones.
   * @default 5
   */
  readonly sweepIntervalMinutes?: number;
  /**
   * Attempts Lambda makes on a failing stream batch before it goes to the on-failure queue.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the on-failure queue unprocessed (grants live at most an hour,
   * the signed-URL lifetime's maximum: past that a deny entry is moot).
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Days to keep the functions' logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * Folder holding `edge-deny-list-stream.ts` and `edge-deny-list-sweeper.ts`.
   * @default lambda/handlers
   */
  readonly handlersDir?: string;
}

export class EdgeRevocation extends Construct {
  /** The deny-list the viewer-request function reads (associate it with that function). */
  readonly store: cloudfront.KeyValueStore;
  readonly streamConsumer: NodeFunction;
  readonly sweeper: NodeFunction;
  /** Where stream batches that kept failing are described (SQS on-failure destination). */
  readonly failedRecords: sqs.Queue;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: EdgeRevocationProps) {
    super(scope, id);
    const sweepMinutes = props.sweepIntervalMinutes ?? 5;
    if (!Number.isInteger(sweepMinutes) || sweepMinutes < 1 || sweepMinutes > 1440)
      throw new Error(
        `EdgeRevocation: sweepIntervalMinutes must be a whole number from 1 to 1440, got ${sweepMinutes}`,
      );
    const retryAttempts = props.retryAttempts ?? 10;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 10000)
      throw new Error(`EdgeRevocation: retryAttempts must be a whole number from 0 to 10000, got ${retryAttempts}`);
    const tolerance = props.clockToleranceSeconds;
    const { min, max, variable } = TOKEN.clockToleranceSeconds;
    if (!Number.isInteger(tolerance) || tolerance < min || tolerance > max)
      throw new Error(
        `EdgeRevocation: clockToleranceSeconds must be a whole number from ${min} to ${max}, got ${tolerance}`,
      );
    const table = props.table.table;
    if (table.tableStreamArn === undefined)
      throw new Error('EdgeRevocation: the state table needs its stream (StateTable stream: true)');

    this.store = new cloudfront.KeyValueStore(this, 'DenyList', {
      comment: 'streamgate: grant ids the viewer-request function refuses (revoked or ended sessions)',
    });

    const handlersDir = props.handlersDir ?? DEFAULT_DENY_LIST_HANDLERS_DIR;
    // No table name: neither function reads the table (lambda/runtime/deny-list-runtime.ts).
    const environment = {
      [DENY_LIST_KVS_ARN_VARIABLE]: this.store.keyValueStoreArn,
      [variable]: String(tolerance),
    };
    this.streamConsumer = new NodeFunction(this, 'StreamConsumer', {
      entry: path.join(handlersDir, 'edge-deny-list-stream.ts'),
      description: 'streamgate: state table stream to the edge deny-list (CloudFront KeyValueStore)',
      environment,
      // The writer's bounded retries (8 attempts, up to 7 s each with backoff) must end before
      // the invocation does, so a failure is reported per record rather than as a timeout.
      timeout: Duration.minutes(2),
      logRetentionDays: props.logRetentionDays,
    });
    this.sweeper = new NodeFunction(this, 'Sweeper', {
      entry: path.join(handlersDir, 'edge-deny-list-sweeper.ts'),
      description: 'streamgate: deletes expired entries from the edge deny-list',
      environment,
      // A full 5 MB store is about 2,500 ListKeys pages.
      timeout: Duration.minutes(10),
      logRetentionDays: props.logRetentionDays,
    });

    // Only the store's API, only these actions, only this store.
    for (const fn of [this.streamConsumer, this.sweeper]) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: KVS_WRITER_ACTIONS, resources: [this.store.keyValueStoreArn] }),
      );
    }

    this.failedRecords = new sqs.Queue(this, 'FailedRecords', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // DynamoEventSource grants the stream reads (DescribeStream, GetRecords, GetShardIterator, ListStreams).
    this.streamConsumer.function.addEventSource(
      new DynamoEventSource(table, {
        // From the oldest record kept: nothing written between the stream's creation and the mapping's is skipped.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts,
        maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
        onFailure: new SqsDlq(this.failedRecords),
        // Every API call writes the user's item (rate counters): only the writes that revoke or end
        // something reach the function (TTL deletes have no new image, so they never match).
        filters: [
          lambda.FilterCriteria.filter({
            dynamodb: { NewImage: { [DENYING_ATTRIBUTE]: { N: lambda.FilterRule.exists() } } },
          }),
        ],
      }),
    );

    this.schedule = new events.Rule(this, 'SweepSchedule', {
      description: 'streamgate: sweep expired edge deny-list entries',
      schedule: events.Schedule.rate(Duration.minutes(sweepMinutes)),
      targets: [new targets.LambdaFunction(this.sweeper.function, { retryAttempts: 2 })],
    });
  }
}
