/**
 * A TCP proxy on loopback that delays every chunk by a fixed time in each direction: dynalite
 * answers in microseconds of its own CPU, DynamoDB in milliseconds of network. Behind this
 * proxy, store calls made in parallel overlap as they do against the real service.
 */
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';

export async function startLatencyProxy(
  targetPort: number,
  oneWayMs: number,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), oneWayMs));
    upstream.on('data', (chunk) => setTimeout(() => client.write(chunk), oneWayMs));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
