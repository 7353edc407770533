/**
 * An HTTP proxy in front of a DynamoDB-compatible server that records every operation it
 * forwards (the `X-Amz-Target` of each request). Counting at the wire, outside the code under
 * test, proves how many store operations a call really makes.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OperationCounter {
  endpoint: string;
  /** Operation names since the last reset, e.g. `UpdateItem`, in the order they arrived. */
  readonly operations: string[];
  reset(): void;
  /**
   * From now on, answer the operations `when` picks (given the operation and those seen so far,
   * itself included) with DynamoDB's throttling error instead of forwarding them; undefined: none.
   */
  failWhen(when: ((operation: string, seen: readonly string[]) => boolean) | undefined): void;
  close(): Promise<void>;
}

/** What DynamoDB answers a throttled request (HTTP 400, awsJson1_0 error body). */
const THROTTLED = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
});

export async function countOperations(targetEndpoint: string): Promise<OperationCounter> {
  const target = new URL(targetEndpoint);
  const operations: string[] = [];
  let failing: ((operation: string, seen: readonly string[]) => boolean) | undefined;
  const server: Server = createServer((incoming: IncomingMessage, outgoing) => {
    const operation =
      String(incoming.headers['x-amz-target'] ?? 'unknown')
        .split('.')
        .pop() ?? 'unknown';
    operations.push(operation);
    if (failing?.(operation, operations)) {
      incoming.resume();
      outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(THROTTLED);
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  // Never what keeps a test process alive: some tests stop only the server behind the proxy.
  server.on('connection', (socket) => socket.unref());
  server.unref();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    operations,
    reset: () => {
      operations.length = 0;
    },
    failWhen: (when) => {
      failing = when;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
