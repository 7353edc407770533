/**
 * The traversal hole: a grant for one video (`/media/demo-1/*`) must never open another video's
 * manifest, AES key or segments, however the path is spelled. Real local stack (real API, real
 * keys, the sample content) over loopback HTTP, raw request-targets sent with node:http.
 * Two edges answer each attack: the local stack, where the distribution's viewer-request function
 * refuses first, and the same edge without the function, where its own check must refuse alone.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { KEY_GROUP_FILE } from '../../local/cloudfront-keys';
import { loadKeyGroupFile } from '../../local/edge/key-group';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';
import { createEdgeHandler, type EdgeOptions } from '../../local/edge-server';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { grantCookies, grantSignedQuery } from '../support/local-grants';
import { LogCapture } from '../support/harness';
import { rawGet, type RawResponse } from '../support/raw-http';
import { TRAVERSAL_SPELLINGS } from './traversal-spellings';

const MEDIA = resolve(__dirname, '..', '..', 'local', 'content', 'media');
const fileOf = (video: string, name: string): Buffer => readFileSync(join(MEDIA, video, name));
const DEMO_1_FILES = ['index.m3u8', 'segment_000.m2ts', 'segment_001.m2ts', 'segment_002.m2ts'];
const DEMO_2_FILES = ['index.m3u8', 'key.bin', 'segment_000.m2ts', 'segment_001.m2ts', 'segment_002.m2ts'];
const TARGETS: readonly [string, string][] = [
  ['manifest', 'index.m3u8'],
  ['AES key', 'key.bin'],
  ['segment', 'segment_000.m2ts'],
];

let stack: LocalStack;
let logs: LogCapture;
let host: string;
const grants: Record<string, { cookie?: string; query?: string }> = {};
const extraEdges: Server[] = [];

/** The edges under test, by name: the port to send to and the x-cache a refusal carries there. */
const EDGES = {
  'the local stack (viewer-request function first)': {
    port: 0,
    refusedBy: 'FunctionGeneratedResponse from cloudfront',
  },
  "the edge's own check alone (no function)": { port: 0, refusedBy: 'Error from cloudfront' },
};
type EdgeName = keyof typeof EDGES;
const EDGE_NAMES = Object.keys(EDGES) as EdgeName[];

/** Another edge on the stack's key group and content, with the given function (or none). */
async function startEdge(viewerRequestFunction: ViewerRequestFunction | null, dir: string): Promise<number> {
  const notHere: EdgeOptions['api'] = (_req, res) => void res.writeHead(404).end();
  const handler = createEdgeHandler({
    api: notHere,
    idp: notHere,
    trustedKeys: () => loadKeyGroupFile(join(dir, KEY_GROUP_FILE)),
    mediaDir: MEDIA,
    staticFiles: {},
    viewerRequestFunction,
  });
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  extraEdges.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

let failingFunctionPort: number;

beforeAll(async () => {
  logs = new LogCapture();
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-traversal-'));
  stack = await startLocalStack({ dir, port: 0, logger: logs.logger });
  host = `localhost:${stack.port}`;
  EDGES['the local stack (viewer-request function first)'].port = stack.port;
  EDGES["the edge's own check alone (no function)"].port = await startEdge(null, dir);
  failingFunctionPort = await startEdge(
    new ViewerRequestFunction('function handler(event) { throw new Error("bug"); }'),
    dir,
  );
  for (const video of ['demo-1', 'demo-2']) {
    grants[`${video} cookies`] = { cookie: await grantCookies(stack, video) };
    grants[`${video} signed URL`] = { query: await grantSignedQuery(stack, video) };
  }
}, 60_000);
afterAll(async () => {
  for (const server of extraEdges) server.close();
  await stack.close();
  logs.stop();
});

/** GET `path` on an edge carrying `grant`: its cookies, or its signed query appended to the raw path. */
function get(path: string, grant: { cookie?: string; query?: string }, port = stack.port): Promise<RawResponse> {
  const target = grant.query === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}${grant.query}`;
  return rawGet(port, target, { host, cookie: grant.cookie });
}

const isDemo2Bytes = (body: Buffer): boolean => DEMO_2_FILES.some((name) => body.equals(fileOf('demo-2', name)));

function expectRefused(response: RawResponse, refusedBy: string): void {
  expect(isDemo2Bytes(response.body)).toBe(false);
  expect(response.body.includes(fileOf('demo-2', 'key.bin'))).toBe(false);
  expect(response.status).toBe(403);
  expect(response.headers['content-type']).toBe('text/xml');
  expect(response.headers['x-cache']).toBe(refusedBy);
  expect(response.body.toString()).toBe(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
  );
}

describe.each(EDGE_NAMES)('%s', (edgeName) => {
  const edge = EDGES[edgeName];

  describe.each(['cookies', 'signed URL'])('a demo-1 grant in %s', (delivery) => {
    const grant = () => grants[`demo-1 ${delivery}`];

    describe.each(TARGETS)("never reaches demo-2's %s (%s)", (_kind, file) => {
      it.each(TRAVERSAL_SPELLINGS)('via %s: 403', async (_name, pathTo) => {
        expectRefused(await get(pathTo('demo-2', file), grant(), edge.port), edge.refusedBy);
      });
    });

    it("still opens demo-1's manifest and segments, byte for byte (positive control)", async () => {
      for (const name of DEMO_1_FILES) {
        const response = await get(`/media/demo-1/${name}`, grant(), edge.port);
        expect(response.status).toBe(200);
        expect(response.body.equals(fileOf('demo-1', name))).toBe(true);
      }
    });

    it("is refused on demo-2's manifest, key and segment addressed plainly (positive control)", async () => {
      for (const [, file] of TARGETS) {
        const response = await get(`/media/demo-2/${file}`, grant(), edge.port);
        expect(response.status).toBe(403);
        expect(isDemo2Bytes(response.body)).toBe(false);
      }
    });
  });

  describe.each(['cookies', 'signed URL'])(
    'non-canonical paths are refused before the signature matters (%s)',
    (delivery) => {
      it("a demo-2 grant still opens demo-2's key plainly (positive control)", async () => {
        const response = await get('/media/demo-2/key.bin', grants[`demo-2 ${delivery}`], edge.port);
        expect(response.status).toBe(200);
        expect(response.body.equals(fileOf('demo-2', 'key.bin'))).toBe(true);
      });

      it.each([
        ['/./', '/media/demo-2/./key.bin'],
        ['/%2e/', '/media/demo-2/%2e/key.bin'],
        ['//', '/media/demo-2//key.bin'],
        ['/x/../', '/media/demo-2/x/../key.bin'],
        ['/x/%2e%2e/', '/media/demo-2/x/%2e%2e/key.bin'],
        ['/%2f', '/media/demo-2/%2fkey.bin'],
        ['trailing /', '/media/demo-2/key.bin/'],
      ])("a demo-2 grant on demo-2's own key spelled with %s: 403", async (_name, path) => {
        expectRefused(await get(path, grants[`demo-2 ${delivery}`], edge.port), edge.refusedBy);
      });
    },
  );
});

describe('a viewer-request function that fails', () => {
  it('answers 503, never the file, even with a valid grant for a canonical path', async () => {
    for (const delivery of ['cookies', 'signed URL']) {
      const response = await get('/media/demo-2/key.bin', grants[`demo-2 ${delivery}`], failingFunctionPort);
      expect(response.status).toBe(503);
      expect(response.headers['x-cache']).toBe('FunctionExecutionError from cloudfront');
      expect(isDemo2Bytes(response.body)).toBe(false);
    }
  });
});

describe('property: whatever the spelling, a demo-1 grant yields 403 or exactly a demo-1 file', () => {
  /** Segments that are each non-canonical on their own: dot segments in any spelling, encoded separators, empty. */
  const noise = fc.constantFrom(
    '.',
    '..',
    '%2e',
    '%2E',
    '.%2e',
    '%2e.',
    '%2E%2e',
    '..%2f',
    '%2f',
    '%2F',
    '%5c',
    '%5C',
    '\\',
    '..\\',
    '',
    '%2e%2e%5c',
    '%00',
    '%',
  );
  const insertAll = (base: string[], inserts: [number, string][]): string[] => {
    const out = [...base];
    for (const [at, segment] of inserts) out.splice(at % (out.length + 1), 0, segment);
    return out;
  };
  // The target is a demo-1 file (reached plainly when nothing is inserted) or a demo-2 file behind the demo-1 prefix (then at least one noise segment).
  const spelling = fc.oneof(
    fc
      .tuple(fc.constantFrom(...DEMO_1_FILES), fc.array(fc.tuple(fc.nat(), noise), { maxLength: 4 }))
      .map(([file, inserts]) => insertAll(['demo-1', file], inserts)),
    fc
      .tuple(fc.constantFrom(...DEMO_2_FILES), fc.array(fc.tuple(fc.nat(), noise), { minLength: 1, maxLength: 4 }))
      .map(([file, inserts]) => insertAll(['demo-1', 'demo-2', file], inserts)),
  );

  it.each(EDGE_NAMES.flatMap((edgeName) => ['cookies', 'signed URL'].map((delivery) => [edgeName, delivery])))(
    'on %s, with %s',
    async (edgeName, delivery) => {
      await fc.assert(
        fc.asyncProperty(spelling, async (segments) => {
          const response = await get(
            `/media/${segments.join('/')}`,
            grants[`demo-1 ${delivery}`],
            EDGES[edgeName as EdgeName].port,
          );
          expect(isDemo2Bytes(response.body)).toBe(false);
          if (segments.length === 2) {
            expect(response.status).toBe(200);
            expect(response.body.equals(fileOf('demo-1', segments[1]))).toBe(true);
          } else {
            expect(response.status).toBe(403);
          }
        }),
        { numRuns: 300 },
      );
    },
  );
});

describe('property: free-form spellings never yield anything but the demo-1 file the path names literally', () => {
  const token = fc.constantFrom(
    '.',
    '..',
    '%2e',
    '%2E',
    '%2f',
    '%2F',
    '%5c',
    '%5C',
    '\\',
    '%25',
    '%',
    ';',
    'a',
    'demo-1',
    'demo-2',
    'index.m3u8',
    'key.bin',
    'segment_000.m2ts',
  );
  const segment = fc.array(token, { maxLength: 3 }).map((tokens) => tokens.join(''));
  const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => `/media/${segments.join('/')}`);

  it.each(EDGE_NAMES.flatMap((edgeName) => ['cookies', 'signed URL'].map((delivery) => [edgeName, delivery])))(
    'on %s, with %s: 200 only for /media/demo-1/<file>, else 403 or 404',
    async (edgeName, delivery) => {
      await fc.assert(
        fc.asyncProperty(path, async (rawPath) => {
          const response = await get(rawPath, grants[`demo-1 ${delivery}`], EDGES[edgeName as EdgeName].port);
          expect(isDemo2Bytes(response.body)).toBe(false);
          expect([200, 403, 404]).toContain(response.status);
          if (response.status === 200) {
            const name = rawPath.slice('/media/demo-1/'.length);
            expect(DEMO_1_FILES.map((file) => `/media/demo-1/${file}`)).toContain(rawPath);
            expect(response.body.equals(fileOf('demo-1', name))).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    },
  );
});
