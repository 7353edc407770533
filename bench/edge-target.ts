/**
 * Child process for bench/edge.ts: the local stack (edge with signed-cookie checks and the
 * viewer-request function, its deny-list holding 10,000 revoked grants), the same edge checks
 * without the function, and the same edge handler without checks, serving the same files, each
 * on its own loopback port.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createEdgeHandler } from '../local/edge-server';
import { loadKeyGroupFile } from '../local/edge/key-group';
import { startLocalStack } from '../local/stack';
import { fillDenyList } from './busy-deny-list';

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-bench-'));
  const stack = await startLocalStack({
    dir,
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
  // The same edge twice, differing only in the viewer-request function (and its deny-list).
  const keys = loadKeyGroupFile(join(dir, 'key-group.json'));
  const edgeWith = (viewerRequestFunction: null | undefined) =>
    createEdgeHandler({
      api: (_req, res) => void res.writeHead(404).end(),
      idp: (_req, res) => void res.writeHead(404).end(),
      trustedKeys: () => keys,
      mediaDir: resolve(__dirname, '..', 'local', 'content', 'media'),
      staticFiles: {},
      viewerRequestFunction,
      keyValueStore: stack.denyList,
    });
  const withoutFunction = edgeWith(null);
  const withFunction = edgeWith(undefined);
  const noFunction = createServer((req, res) => void withoutFunction(req, res));
  await new Promise<void>((done) => noFunction.listen(0, '127.0.0.1', done));
  const functionServer = createServer((req, res) => void withFunction(req, res));
  await new Promise<void>((done) => functionServer.listen(0, '127.0.0.1', done));
  // A deny-list as a busy day leaves it: 10,000 revoked grants, none of them this viewer's.
  await fillDenyList(stack);
  const token = await stack.idp.issueToken({ sub: 'bench', videos: ['demo-1'] });
  process.stdout.write(
    `${JSON.stringify({
      checked: stack.port,
      unchecked: (server.address() as AddressInfo).port,
      noFunction: (noFunction.address() as AddressInfo).port,
      withFunction: (functionServer.address() as AddressInfo).port,
      token,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
