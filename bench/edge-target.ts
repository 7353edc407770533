/**
 * Child process for bench/edge.ts: the local stack (edge with signed-cookie checks) and the same
 * edge handler without checks, serving the same files, each on its own loopback port.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createEdgeHandler } from '../local/edge-server';
import { startLocalStack } from '../local/stack';

async function main(): Promise<void> {
  const stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-bench-')),
    port: 0,
    logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }),
  });
  const unchecked = createEdgeHandler({
    api: (_req, res) => void res.writeHead(404).end(),
    idp: (_req, res) => void res.writeHead(404).end(),
    trustedKeys: () => new Map(),
    mediaDir: resolve(__dirname, '..', 'local', 'content', 'media'),
    staticFiles: {},
    requireSignedAccess: false,
  });
  const server = createServer((req, res) => void unchecked(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const token = await stack.idp.issueToken({ sub: 'bench', videos: ['demo-1'] });
  process.stdout.write(
    `${JSON.stringify({ checked: stack.port, unchecked: (server.address() as AddressInfo).port, token })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
