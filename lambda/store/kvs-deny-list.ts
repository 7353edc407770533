/**
 * The deployed deny-list: a CloudFront KeyValueStore, written through its own API
 * (`cloudfront-keyvaluestore`, SDK v3) and read by the viewer-request function at every edge.
 *
 * Every write is an UpdateKeys of at most 50 keys (the service's limit per request) carrying the
 * store's current ETag in If-Match; a concurrent writer (another stream shard, the sweeper) makes
 * it fail with a conflict, and the write is retried with the fresh ETag. Throttling, 5xx and
 * network errors are retried too, with jittered exponential backoff, a bounded number of times;
 * then the write throws and the caller (the stream, which retries and alarms) takes over.
 * The sweeper's side lists every key and deletes those whose grant has expired anyway.
 */
// The KeyValueStore API signs with SigV4A only. The SDK finds the JS signer only when this module
// has been loaded (it registers itself); without it every call fails with "Neither CRT nor JS
// SigV4a implementation is available". Bundled with the client, so both use one @smithy copy.
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  type CloudFrontKeyValueStoreClientConfig,
  DescribeKeyValueStoreCommand,
  ListKeysCommand,
  UpdateKeysCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { type DenyEntry, type DenyListWriter, denyValue, expiredKeys } from '../core/edge-deny-list';

/** Keys per UpdateKeys request: the KeyValueStore's limit. */
export const KVS_BATCH_LIMIT = 50;
/** Keys per ListKeys page: the API's maximum. */
export const KVS_LIST_PAGE = 50;
/** The KeyValueStore's limits on one entry (UTF-8 bytes). */
export const KVS_MAX_KEY_BYTES = 512;
export const KVS_MAX_VALUE_BYTES = 1024;

/** The writer's bounds: attempts per batch, backoff ceiling, and per-request timeouts (ms). */
export const KVS_WRITE_LIMITS = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 2000,
  connectionTimeoutMs: 2000,
  requestTimeoutMs: 5000,
} as const;

/** The longest one batch can take before the writer gives up (ms): every attempt timing out, every backoff at its ceiling. */
export const KVS_WORST_BATCH_MS =
  KVS_WRITE_LIMITS.maxAttempts * (KVS_WRITE_LIMITS.connectionTimeoutMs + KVS_WRITE_LIMITS.requestTimeoutMs) +
  (KVS_WRITE_LIMITS.maxAttempts - 1) * KVS_WRITE_LIMITS.maxDelayMs;

export interface KvsDenyListOptions {
  /** ARN of the store (`arn:aws:cloudfront::<account>:key-value-store/<id>`). */
  readonly kvsArn: string;
  /** @default kvsClient() */
  readonly client?: CloudFrontKeyValueStoreClient;
  /**
   * Attempts per UpdateKeys batch (conflicts, throttling, 5xx, network errors) before the write throws.
   * @default 8
   */
  readonly maxAttempts?: number;
  /**
   * First backoff delay; doubled per attempt, full jitter.
   * @default 50
   */
  readonly baseDelayMs?: number;
  /**
   * Longest backoff delay.
   * @default 2000
   */
  readonly maxDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** What one write or sweep did, for the metrics. */
export interface KvsWriteReport {
  /** UpdateKeys requests that succeeded. */
  requests: number;
  /** Attempts that were retried (ETag conflicts included). */
  retries: number;
  /** Attempts refused for a stale ETag. */
  conflicts: number;
}

export interface SweepReport extends KvsWriteReport {
  scanned: number;
  deleted: number;
  /** The store's size after the sweep (keys + values), against its 5 MB limit. */
  storeBytes: number;
  storeItems: number;
}

/** Why a write gave up: the last error as cause, and how far it got. */
export class KvsWriteError extends Error {
  constructor(
    message: string,
    readonly written: number,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'KvsWriteError';
  }
}

/**
 * The client as the deny-list uses it: no SDK retries (this module retries, conflicts included,
 * so the attempts stay bounded by one number) and short timeouts.
 */
export function kvsClient(config: CloudFrontKeyValueStoreClientConfig = {}): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: KVS_WRITE_LIMITS.connectionTimeoutMs,
      requestTimeout: KVS_WRITE_LIMITS.requestTimeoutMs,
    },
    ...config,
  });
}

type Change = { puts: { Key: string; Value: string }[]; deletes: { Key: string }[] };

export class KvsDenyList implements DenyListWriter {
  private readonly client: CloudFrontKeyValueStoreClient;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** The store's ETag as of our last write (a warm container skips the Describe while no one else writes). */
  private etag: string | undefined;
  /** Totals since the last takeReport(). */
  private report: KvsWriteReport = { requests: 0, retries: 0, conflicts: 0 };

  constructor(private readonly options: KvsDenyListOptions) {
    if (!/^arn:aws[a-z-]*:cloudfront::\d{12}:key-value-store\/[A-Za-z0-9-]+$/.test(options.kvsArn))
      throw new Error(`KvsDenyList: kvsArn must be a KeyValueStore ARN, got "${options.kvsArn}"`);
    this.client = options.client ?? kvsClient();
    this.maxAttempts = options.maxAttempts ?? KVS_WRITE_LIMITS.maxAttempts;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1)
      throw new Error(`KvsDenyList: maxAttempts must be a whole number >= 1, got ${this.maxAttempts}`);
    this.baseDelayMs = options.baseDelayMs ?? KVS_WRITE_LIMITS.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? KVS_WRITE_LIMITS.maxDelayMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** Puts every entry (one per key; a key given twice keeps its latest expiry), 50 per request. */
  async put(entries: readonly DenyEntry[]): Promise<void> {
    const byKey = new Map<string, DenyEntry>();
    for (const entry of entries) {
      const known = byKey.get(entry.key);
      if (known === undefined || known.expiresAt < entry.expiresAt) byKey.set(entry.key, entry);
    }
    await this.putValues([...byKey.values()].map((entry) => ({ key: entry.key, value: denyValue(entry) })));
  }

  /** Puts keys with their values as given (the device keys: lambda/handlers/rotate-device-key.ts), 50 per request. */
  async putValues(entries: readonly { key: string; value: string }[]): Promise<void> {
    const puts = entries.map((entry) => ({ Key: entry.key, Value: entry.value }));
    for (const { Key, Value } of puts) {
      if (Key === '' || Buffer.byteLength(Key) > KVS_MAX_KEY_BYTES)
        throw new Error(`KvsDenyList: a key must be 1 to ${KVS_MAX_KEY_BYTES} bytes, got ${Buffer.byteLength(Key)}`);
      if (Buffer.byteLength(Value) > KVS_MAX_VALUE_BYTES)
        throw new Error(`KvsDenyList: a value must be at most ${KVS_MAX_VALUE_BYTES} bytes`);
    }
    await this.inBatches(puts.length, (from, to) => ({ puts: puts.slice(from, to), deletes: [] }));
  }

  /** Deletes the keys, 50 per request (a key already gone is no error for UpdateKeys). */
  async delete(keys: readonly string[]): Promise<void> {
    const unique = [...new Set(keys)];
    await this.inBatches(unique.length, (from, to) => ({
      puts: [],
      deletes: unique.slice(from, to).map((Key) => ({ Key })),
    }));
  }

  /** Every entry in the store, page by page. */
  async list(): Promise<{ key: string; value: string }[]> {
    const entries: { key: string; value: string }[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.withRetries(() =>
        this.client.send(
          new ListKeysCommand({ KvsARN: this.options.kvsArn, NextToken: nextToken, MaxResults: KVS_LIST_PAGE }),
        ),
      );
      for (const item of page.Items ?? []) entries.push({ key: item.Key ?? '', value: item.Value ?? '' });
      nextToken = page.NextToken;
    } while (nextToken !== undefined && nextToken !== '');
    return entries;
  }

  /**
   * Deletes every entry whose grant has expired (or whose value is unreadable) at `nowSeconds`,
   * once the store holds at least `minBytes`: an expired entry is harmless (CloudFront refuses
   * the expired grant anyway), and listing costs one API call per 50 keys, so a small store is
   * left alone. The whole listing comes first: deleting while paging could make pages skip keys.
   */
  async sweep(nowSeconds: number, minBytes = 0): Promise<SweepReport> {
    const before = await this.describe();
    if (before.totalSizeInBytes < minBytes) {
      return {
        ...this.takeReport(),
        scanned: 0,
        deleted: 0,
        storeBytes: before.totalSizeInBytes,
        storeItems: before.itemCount,
      };
    }
    const entries = await this.list();
    const expired = expiredKeys(entries, nowSeconds);
    await this.delete(expired);
    const { totalSizeInBytes, itemCount } = expired.length > 0 ? await this.describe() : before;
    return {
      ...this.takeReport(),
      scanned: entries.length,
      deleted: expired.length,
      storeBytes: totalSizeInBytes,
      storeItems: itemCount,
    };
  }

  /** The store's size and item count (and its ETag, kept for the next write). */
  async describe(): Promise<{ totalSizeInBytes: number; itemCount: number }> {
    const described = await this.withRetries(() =>
      this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.options.kvsArn })),
    );
    this.etag = described.ETag;
    return { totalSizeInBytes: described.TotalSizeInBytes ?? 0, itemCount: described.ItemCount ?? 0 };
  }

  /** Counts since the last call (requests, retries, conflicts), then starts again from zero. */
  takeReport(): KvsWriteReport {
    const report = this.report;
    this.report = { requests: 0, retries: 0, conflicts: 0 };
    return report;
  }

  private async inBatches(count: number, batch: (from: number, to: number) => Change): Promise<void> {
    for (let from = 0; from < count; from += KVS_BATCH_LIMIT) {
      try {
        await this.update(batch(from, Math.min(count, from + KVS_BATCH_LIMIT)));
      } catch (error) {
        throw new KvsWriteError(
          `KeyValueStore write failed after ${from} of ${count} keys: ${describeError(error)}`,
          from,
          { cause: error },
        );
      }
    }
  }

  /** One UpdateKeys with the current ETag: a conflict fetches the new ETag and tries again. */
  private async update(change: Change): Promise<void> {
    let refreshEtag = this.etag === undefined;
    await this.withRetries(async () => {
      if (refreshEtag || this.etag === undefined) {
        const described = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.options.kvsArn }));
        this.etag = described.ETag;
        refreshEtag = false;
      }
      try {
        const output = await this.client.send(
          new UpdateKeysCommand({
            KvsARN: this.options.kvsArn,
            IfMatch: this.etag,
            ...(change.puts.length > 0 ? { Puts: change.puts } : {}),
            ...(change.deletes.length > 0 ? { Deletes: change.deletes } : {}),
          }),
        );
        this.etag = output.ETag;
        this.report.requests += 1;
      } catch (error) {
        if (isConflict(error)) {
          this.report.conflicts += 1;
          refreshEtag = true;
        }
        throw error;
      }
    });
  }

  /** Runs `call` until it succeeds, a non-retryable error, or maxAttempts; backoff with full jitter. */
  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryable(error)) throw error;
        this.report.retries += 1;
        const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await this.sleep(Math.floor(this.random() * ceiling));
      }
    }
  }
}

interface ServiceError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** A stale ETag: someone else wrote since we read it (409; 412 as HTTP spells it). */
export function isConflict(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as ServiceError;
  return name === 'ConflictException' || $metadata?.httpStatusCode === 409 || $metadata?.httpStatusCode === 412;
}

/**
 * Worth another attempt: conflicts, throttling, server errors, and failures with no HTTP answer
 * (network, timeout). Refusals that would repeat (validation, access denied, store full) are not.
 */
export function isRetryable(error: unknown): boolean {
  if (isConflict(error)) return true;
  const { name, $metadata } = (error ?? {}) as ServiceError;
  const status = $metadata?.httpStatusCode;
  if (status === undefined) return !(error instanceof TypeError) && !(error instanceof RangeError);
  return (
    status === 429 ||
    status >= 500 ||
    name === 'ThrottlingException' ||
    name === 'TooManyRequestsException' ||
    name === 'InternalServerException'
  );
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as ServiceError).$metadata?.httpStatusCode;
  return `${error.name}${status === undefined ? '' : ` (HTTP ${status})`}: ${error.message}`;
}
