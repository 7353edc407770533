/**
 * Child process for bench/live.ts: the local stack (its edge checks signed cookies and runs the
 * viewer-request function over a deny-list of 10,000 revoked grants, then asks the live origin),
 * and the same edge handler serving the same live origin without any check, each on its own port.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { createEdgeHandler } from '../local/edge-server';
import { LiveOrigin, localChannels } from '../local/live/live-origin';
import { startLocalStack } from '../local/stack';
import { fillDenyList } from './busy-deny-list';

async function main(): Promise<void> {
  const stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-bench-live-')),
    port: 0,
    logger: new Logger({ serviceName: 'bench', logLevel: 'ERROR' }),
  });
  const unchecked = createEdgeHandler({
    api: (_req, res) => void res.writeHead(404).end(),
    idp: (_req, res) => void res.writeHead(404).end(),
    trustedKeys: () => new Map(),
    mediaDir: resolve(__dirname, '..', 'local', 'content', 'media'),
    liveOrigin: new LiveOrigin(localChannels(resolve(__dirname, '..', 'local', 'content'))),
    staticFiles: {},
    requireSignedAccess: false,
    viewerRequestFunction: null,
  });
  const server = createServer((req, res) => void unchecked(req, res));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  await fillDenyList(stack);
  const token = await stack.idp.issueToken({ sub: 'bench-live', videos: ['live-1'] });
  process.stdout.write(
    `${JSON.stringify({ checked: stack.port, unchecked: (server.address() as AddressInfo).port, token })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
