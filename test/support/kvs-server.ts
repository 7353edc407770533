/**
 * A CloudFront KeyValueStore API on loopback, as much of its REST-JSON wire protocol as the
 * deny-list uses (DescribeKeyValueStore, UpdateKeys with If-Match, ListKeys with paging), so
 * tests run the real SDK (serialization, SigV4A signing, error parsing) over real HTTP and
 * assert the requests it sent. Failures can be queued (throttling, 5xx, a concurrent writer).
 */
import * as http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import type {
  CloudFrontKeyValueStoreClient,
  CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { kvsClient } from '../../lambda/store/kvs-deny-list';

export const TEST_KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/9b1c2d3e-0000-4000-8000-000000000001';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** What the server answered. */
  status: number;
}

export interface QueuedFailure {
  status: number;
  errorType: string;
  /** Which requests it applies to (default: the next UpdateKeys). */
  operation?: 'UpdateKeys' | 'Describe' | 'ListKeys';
  /** Applied when the failure is served, e.g. another writer changing the store (a conflict). */
  sideEffect?: () => void;
}

export class FakeKvsServer {
  readonly entries = new Map<string, string>();
  readonly requests: RecordedRequest[] = [];
  readonly failures: QueuedFailure[] = [];
  private version = 1;
  private server?: http.Server;
  port = 0;

  get etag(): string {
    return `ETAG${this.version}`;
  }

  /** Another writer's change: the ETag moves on, so the next If-Match with the old one conflicts. */
  concurrentWrite(key = `other-${this.version}`, value = 'revoked 1'): void {
    this.entries.set(key, value);
    this.version += 1;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handle(request, Buffer.concat(chunks).toString('utf8'), response));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server?.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** UpdateKeys requests as sent (If-Match, puts, deletes). */
  updates(): { ifMatch: string | undefined; puts: { Key: string; Value: string }[]; deletes: { Key: string }[] }[] {
    return this.requests
      .filter((r) => r.method === 'POST')
      .map((r) => {
        const body = r.body as { Puts?: { Key: string; Value: string }[]; Deletes?: { Key: string }[] };
        return {
          ifMatch: r.headers['if-match'] as string | undefined,
          puts: body.Puts ?? [],
          deletes: body.Deletes ?? [],
        };
      });
  }

  /**
   * A client for this server: the SDK builds the host from the ARN's account
   * (`<account>.<endpoint host>`), which this agent resolves to loopback.
   */
  clientConfig(): CloudFrontKeyValueStoreClientConfig {
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) callback(null, [{ address: '127.0.0.1', family: 4 }] as never, 4);
      else callback(null, '127.0.0.1', 4);
    };
    return {
      region: 'us-east-1',
      endpoint: `http://kvs.test:${this.port}`,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
      requestHandler: { httpAgent: new http.Agent({ lookup }), requestTimeout: 5000 },
    };
  }

  client(): CloudFrontKeyValueStoreClient {
    return kvsClient(this.clientConfig());
  }

  private handle(request: http.IncomingMessage, raw: string, response: http.ServerResponse): boolean {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').map(decodeURIComponent);
    // /key-value-stores/<arn>[/keys]
    const operation =
      request.method === 'POST' && parts[3] === 'keys'
        ? 'UpdateKeys'
        : request.method === 'GET' && parts[3] === 'keys'
          ? 'ListKeys'
          : request.method === 'GET' && parts.length === 3
            ? 'Describe'
            : 'Unknown';
    const record: RecordedRequest = {
      method: request.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: raw === '' ? undefined : JSON.parse(raw),
      status: 0,
    };
    this.requests.push(record);
    /** Answers (true: the request is done). */
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): boolean => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
      return true;
    };
    const fail = (status: number, errorType: string, message: string): boolean =>
      send(status, { Message: message }, { 'x-amzn-errortype': errorType });

    if (parts[2] !== TEST_KVS_ARN) return fail(404, 'ResourceNotFoundException', `no store ${parts[2]}`);
    const failureAt = this.failures.findIndex((f) => (f.operation ?? 'UpdateKeys') === operation);
    if (failureAt >= 0) {
      const [failure] = this.failures.splice(failureAt, 1);
      failure.sideEffect?.();
      return fail(failure.status, failure.errorType, 'queued failure');
    }
    const stats = { ItemCount: this.entries.size, TotalSizeInBytes: this.size() };
    switch (operation) {
      case 'Describe':
        return send(
          200,
          { ...stats, KvsARN: TEST_KVS_ARN, Created: 1_700_000_000, Status: 'READY' },
          { etag: this.etag },
        );
      case 'UpdateKeys': {
        if (request.headers['if-match'] !== this.etag)
          return fail(409, 'ConflictException', 'The ETag does not match the current version');
        const body = record.body as { Puts?: { Key: string; Value: string }[]; Deletes?: { Key: string }[] };
        const keys = [...(body.Puts ?? []), ...(body.Deletes ?? [])].map((item) => item.Key);
        if (keys.length === 0 || keys.length > 50 || new Set(keys).size !== keys.length)
          return fail(400, 'ValidationException', 'between 1 and 50 distinct keys per request');
        for (const { Key, Value } of body.Puts ?? []) this.entries.set(Key, Value);
        for (const { Key } of body.Deletes ?? []) this.entries.delete(Key);
        this.version += 1;
        return send(200, { ItemCount: this.entries.size, TotalSizeInBytes: this.size() }, { etag: this.etag });
      }
      case 'ListKeys': {
        const keys = [...this.entries.keys()].sort();
        const max = Number(url.searchParams.get('MaxResults') ?? 50);
        const start = Number(url.searchParams.get('NextToken') ?? 0);
        const page = keys.slice(start, start + max);
        const next = start + max < keys.length ? String(start + max) : undefined;
        return send(200, {
          Items: page.map((Key) => ({ Key, Value: this.entries.get(Key) })),
          ...(next === undefined ? {} : { NextToken: next }),
        });
      }
      default:
        return fail(400, 'ValidationException', `unknown operation ${request.method} ${url.pathname}`);
    }
  }

  private size(): number {
    let bytes = 0;
    for (const [key, value] of this.entries) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    return bytes;
  }
}
