/**
 * Edge revocation, end to end on loopback: the real local stack (dev IdP, API, dynalite, the
 * local stand-in for the table's stream, the KeyValueStore, and the edge running the deployed
 * viewer-request function in node:vm). After each kind of revocation, media requests carrying
 * the revoked grant (its cookies, or its signed query) are refused within a second, while
 * another user's grant for the same video keeps playing. Every suite runs once per key type
 * CloudFront accepts (RSA-2048, ECDSA P-256): a grant is known by its signed policy, which
 * neither a re-spelling nor an ECDSA signature's twin (r, n - s) changes.
 */
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { CLOUDFRONT_KEY_ALGORITHMS, type CloudFrontKeyAlgorithm } from '../../lambda/core/cloudfront-key-types';
import { grantId } from '../../lambda/core/edge-deny-list';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { ecdsaTwinOf } from '../support/ecdsa-twin';
import { cookieHeaderOf, play } from '../support/local-grants';
import { rawGet } from '../support/raw-http';

const VIDEO = 'demo-1';
const MANIFEST = `/media/${VIDEO}/index.m3u8`;
const SEGMENT = `/media/${VIDEO}/segment_001.m2ts`;

interface Viewer {
  sub: string;
  token: string;
  jti: string;
  cookie: string;
  query: string;
  manifestUrl: string;
  /** With an ECDSA key: the same grant with each signature replaced by its twin (r, n - s). */
  twin?: { cookie: string; query: string };
}

async function viewer(stack: LocalStack, sub: string, keyAlgorithm: CloudFrontKeyAlgorithm): Promise<Viewer> {
  const token = await stack.idp.issueToken({ sub, videos: [VIDEO] });
  const cookieGrant = await play(stack, token, VIDEO);
  if (cookieGrant.status !== 200) throw new Error(`cookie grant: HTTP ${cookieGrant.status}`);
  const urlGrant = await play(stack, token, VIDEO, '?delivery=url');
  if (urlGrant.status !== 200) throw new Error(`url grant: HTTP ${urlGrant.status}`);
  const { signedQuery } = (await urlGrant.json()) as { signedQuery: string };
  const { manifestUrl } = (await cookieGrant.json()) as { manifestUrl: string };
  const cookie = cookieHeaderOf(cookieGrant);
  return {
    sub,
    token,
    jti: String(decodeJwt(token).jti),
    cookie,
    query: signedQuery,
    manifestUrl,
    twin: keyAlgorithm === 'ECDSA_P256' ? twinOf(cookie, signedQuery) : undefined,
  };
}

/** The grant with each signature replaced by its twin, cookies and query, everything else as issued. */
function twinOf(cookie: string, query: string): { cookie: string; query: string } {
  const twinCookie = cookie.replace(/(CloudFront-Signature=)([^;]*)/g, (_all, name: string, value: string) => {
    return name + ecdsaTwinOf(value);
  });
  const params = new URLSearchParams(query);
  const signature = params.get('Signature') ?? '';
  const twinQuery = query.replace(`Signature=${encodeURIComponent(signature)}`, `Signature=${ecdsaTwinOf(signature)}`);
  if (twinCookie === cookie || twinQuery === query) throw new Error('no signature to twin');
  return { cookie: twinCookie, query: twinQuery };
}

interface MediaStatus {
  /** The manifest's and a segment's status with the cookies, or both when they differ. */
  cookie: number | string;
  /** The same with the signed query. */
  url: number | string;
  /** x-streamgate-denied of the four answers: manifest then segment, cookies then query. */
  denied: unknown[];
}

/** The manifest and a segment fetched with the grant's cookies, and with its signed query. */
async function mediaOf(stack: LocalStack, grant: { cookie: string; query: string }): Promise<MediaStatus> {
  const host = `localhost:${stack.port}`;
  const answers = await Promise.all(
    [MANIFEST, SEGMENT].flatMap((path) => [
      rawGet(stack.port, path, { host, cookie: grant.cookie }),
      rawGet(stack.port, `${path}?${grant.query}`, { host }),
    ]),
  );
  const both = (a: number, b: number) => (a === b ? a : `manifest ${a}, segment ${b}`);
  return {
    cookie: both(answers[0].status, answers[2].status),
    url: both(answers[1].status, answers[3].status),
    denied: [0, 2, 1, 3].map((i) => answers[i].headers['x-streamgate-denied']),
  };
}

/** The viewer's grant as issued; with an ECDSA key its twin must be answered the same. */
async function media(stack: LocalStack, who: Viewer): Promise<MediaStatus> {
  const issued = await mediaOf(stack, who);
  if (who.twin !== undefined) expect(await mediaOf(stack, who.twin)).toEqual(issued);
  return issued;
}

/** Polls until the viewer's grants (as issued and twins) are refused, or a second has passed. */
async function refusedWithinOneSecond(stack: LocalStack, who: Viewer): Promise<MediaStatus> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const issued = await mediaOf(stack, who);
    const twin = who.twin === undefined ? issued : await mediaOf(stack, who.twin);
    const refused = (m: MediaStatus) => m.cookie === 403 && m.url === 403;
    if ((refused(issued) && refused(twin)) || Date.now() > deadline) {
      expect(twin).toEqual(issued);
      return issued;
    }
    await new Promise((done) => setTimeout(done, 20));
  }
}

async function admin(stack: LocalStack, body: Record<string, unknown>): Promise<number> {
  const token = await stack.idp.issueToken({ sub: 'ops', scope: 'streamgate:admin' });
  const response = await fetch(`${stack.url}api/v1/revocations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

function startStack(
  keyAlgorithm: CloudFrontKeyAlgorithm,
  apiEnv: Record<string, string> = {},
): Promise<{ stack: LocalStack; logs: LogCapture; dir: string }> {
  const logs = new LogCapture();
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-edge-revocation-'));
  return startLocalStack({ dir, port: 0, logger: logs.logger, apiEnv, keyAlgorithm }).then((stack) => ({
    stack,
    logs,
    dir,
  }));
}

/** A cookie's value in a Cookie header. */
const cookieValue = (header: string, name: string): string =>
  new RegExp(`(?:^|; )${name}=([^;]*)`).exec(header)?.[1] ?? '';

describe.each(CLOUDFRONT_KEY_ALGORITHMS)('signing with %s', (keyAlgorithm) => {
  const viewerOf = (stack: LocalStack, sub: string) => viewer(stack, sub, keyAlgorithm);

  describe('revocation reaches the edge', () => {
    let stack: LocalStack;
    let logs: LogCapture;
    beforeAll(async () => {
      ({ stack, logs } = await startStack(keyAlgorithm));
    });
    afterAll(async () => {
      await stack.close();
      logs.stop();
    });

    test('logout: the session’s cookies and signed query are refused within 1 s; another user keeps playing', async () => {
      const [alice, bob] = [await viewerOf(stack, 'logout-alice'), await viewerOf(stack, 'logout-bob')];
      expect(await media(stack, alice)).toMatchObject({ cookie: 200, url: 200 });
      const logout = await fetch(`${stack.url}api/v1/session`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${alice.token}` },
      });
      expect(logout.status).toBe(204);
      expect(await refusedWithinOneSecond(stack, alice)).toMatchObject({
        cookie: 403,
        url: 403,
        denied: ['revoked', 'revoked', 'revoked', 'revoked'],
      });
      expect(await media(stack, bob)).toMatchObject({ cookie: 200, url: 200 });
    });

    test('admin revocation by jti: refused within 1 s; the same user’s other session keeps playing', async () => {
      const [first, second] = [await viewerOf(stack, 'jti-carol'), await viewerOf(stack, 'jti-carol')];
      expect(await admin(stack, { sub: first.sub, jti: first.jti })).toBe(201);
      expect(await refusedWithinOneSecond(stack, first)).toMatchObject({ cookie: 403, url: 403 });
      expect(await media(stack, second)).toMatchObject({ cookie: 200, url: 200 });
    });

    test('admin revocation by user: every session of that user refused within 1 s; another user keeps playing', async () => {
      const sessions = [await viewerOf(stack, 'user-dave'), await viewerOf(stack, 'user-dave')];
      const erin = await viewerOf(stack, 'user-erin');
      expect(await admin(stack, { sub: 'user-dave' })).toBe(201);
      for (const session of sessions)
        expect(await refusedWithinOneSecond(stack, session)).toMatchObject({ cookie: 403, url: 403 });
      expect(await media(stack, erin)).toMatchObject({ cookie: 200, url: 200 });
    });

    test('a refreshed grant keeps the manifest URL; the revocation also denies the grants issued before it', async () => {
      const frank = await viewerOf(stack, 'refresh-frank');
      const refreshed = await play(stack, frank.token, VIDEO);
      expect(refreshed.status).toBe(200);
      const body = (await refreshed.json()) as { manifestUrl: string };
      expect(body.manifestUrl).toBe(frank.manifestUrl);
      // Inside the session's grant interval the refresh re-issues the same grant (the same policy;
      // with RSA the same cookie too): whichever the viewer keeps, the revocation denies it.
      const cookie = cookieHeaderOf(refreshed);
      const newer = { ...frank, cookie, twin: frank.twin && twinOf(cookie, frank.query) };
      expect(cookieValue(newer.cookie, 'CloudFront-Policy')).toBe(cookieValue(frank.cookie, 'CloudFront-Policy'));
      expect(await admin(stack, { sub: frank.sub, jti: frank.jti })).toBe(201);
      expect(await refusedWithinOneSecond(stack, frank)).toMatchObject({ cookie: 403, url: 403 });
      expect((await refusedWithinOneSecond(stack, newer)).cookie).toBe(403);
    });

    test('grants of many users for the same video in the same second are all distinct: one revocation hits no other', async () => {
      const viewers = await Promise.all(Array.from({ length: 12 }, (_, index) => viewerOf(stack, `crowd-${index}`)));
      // A viewer's cookie and signed query may be one grant (same session, same grant interval):
      // distinct between viewers is what keeps one revocation from hitting another.
      const idsOf = (who: Viewer) =>
        new Set([
          grantId(decodeURIComponent(cookieValue(who.cookie, 'CloudFront-Policy'))),
          grantId(new URLSearchParams(who.query).get('Policy') ?? ''),
        ]);
      const ids = viewers.flatMap((who) => [...idsOf(who)]);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThanOrEqual(viewers.length);
      expect(await admin(stack, { sub: viewers[0].sub, jti: viewers[0].jti })).toBe(201);
      expect(await refusedWithinOneSecond(stack, viewers[0])).toMatchObject({ cookie: 403, url: 403 });
      for (const other of viewers.slice(1)) expect(await media(stack, other)).toMatchObject({ cookie: 200, url: 200 });
    });
  });

  describe('nothing the viewer changes lets a revoked grant through the function', () => {
    let stack: LocalStack;
    let logs: LogCapture;
    let revoked: Viewer;
    let other: Viewer;
    let fn: ViewerRequestFunction;
    beforeAll(async () => {
      ({ stack, logs } = await startStack(keyAlgorithm));
      revoked = await viewerOf(stack, 'tamper-gina');
      other = await viewerOf(stack, 'tamper-hank');
      expect(await admin(stack, { sub: revoked.sub, jti: revoked.jti })).toBe(201);
      expect(await refusedWithinOneSecond(stack, revoked)).toMatchObject({ cookie: 403, url: 403 });
      // The deployed function over the same deny-list, asked directly: its own verdict, not the signature check's.
      fn = ViewerRequestFunction.fromFile(undefined, { keyValueStore: stack.denyList });
    });
    afterAll(async () => {
      await stack.close();
      logs.stop();
    });

    /** CloudFront's alphabet turned into standard base64, with its padding. */
    const standard = (value: string): string => value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');

    async function verdict(cookies: Record<string, string[]>, query: Record<string, string[]> = {}): Promise<number> {
      const fields = (record: Record<string, string[]>) =>
        Object.fromEntries(
          Object.entries(record).map(([name, values]) => [
            name,
            values.length === 1
              ? { value: values[0] }
              : { value: values[0], multiValue: values.map((value) => ({ value })) },
          ]),
        );
      const outcome = await fn.run({
        version: '1.0',
        context: { eventType: 'viewer-request' },
        viewer: { ip: '127.0.0.1' },
        request: { method: 'GET', uri: MANIFEST, querystring: fields(query), headers: {}, cookies: fields(cookies) },
      });
      return outcome.kind === 'response' ? outcome.statusCode : outcome.kind === 'request' ? 200 : 503;
    }

    type Shape = { cookies: Record<string, string[]>; query?: Record<string, string[]> };
    const others = () => ({
      policy: cookieValue(other.cookie, 'CloudFront-Policy'),
      signature: cookieValue(other.cookie, 'CloudFront-Signature'),
    });
    test.each<[string, (policy: string, signature: string) => Shape]>([
      ['as issued', (policy, sig) => ({ cookies: { 'CloudFront-Policy': [policy], 'CloudFront-Signature': [sig] } })],
      ['the cookie name in lower case', (policy) => ({ cookies: { 'cloudfront-policy': [policy] } })],
      ['percent-encoded', (policy) => ({ cookies: { 'CloudFront-Policy': [encodeURIComponent(standard(policy))] } })],
      ['in the standard base64 alphabet', (policy) => ({ cookies: { 'CloudFront-Policy': [standard(policy)] } })],
      ['without its padding', (policy) => ({ cookies: { 'CloudFront-Policy': [policy.replace(/_+$/, '')] } })],
      [
        'after another user’s valid policy and signature',
        (policy, sig) => ({
          cookies: {
            'CloudFront-Policy': [others().policy, policy],
            'CloudFront-Signature': [others().signature, sig],
          },
        }),
      ],
      [
        'with another user’s signature',
        (policy) => ({ cookies: { 'CloudFront-Policy': [policy], 'CloudFront-Signature': [others().signature] } }),
      ],
      [
        'with its signature’s twin or another spelling of it',
        (policy, sig) => ({
          cookies: {
            'CloudFront-Policy': [policy],
            'CloudFront-Signature': [keyAlgorithm === 'ECDSA_P256' ? ecdsaTwinOf(sig) : standard(sig)],
          },
        }),
      ],
      [
        'as a Policy query parameter',
        (policy, sig) => ({ cookies: {}, query: { Policy: [policy], Signature: [sig] } }),
      ],
      ['as a lower-case, percent-encoded query name', (policy) => ({ cookies: {}, query: { '%70olicy': [policy] } })],
      [
        'in the query while the cookie carries another user’s',
        (policy) => ({
          cookies: { 'CloudFront-Policy': [others().policy], 'CloudFront-Signature': [others().signature] },
          query: { Policy: [policy] },
        }),
      ],
    ])('the revoked policy %s is refused', async (_name, shape) => {
      const { cookies, query } = shape(
        cookieValue(revoked.cookie, 'CloudFront-Policy'),
        cookieValue(revoked.cookie, 'CloudFront-Signature'),
      );
      expect(await verdict(cookies, query)).toBe(403);
    });

    test('the other user’s grant alone passes the function', async () => {
      expect(
        await verdict({ 'CloudFront-Policy': [others().policy], 'CloudFront-Signature': [others().signature] }),
      ).toBe(200);
      expect(await media(stack, other)).toMatchObject({ cookie: 200, url: 200 });
    });
  });

  describe('stream limit evict-oldest', () => {
    let stack: LocalStack;
    let logs: LogCapture;
    beforeAll(async () => {
      ({ stack, logs } = await startStack(keyAlgorithm, {
        MAX_CONCURRENT_STREAMS: '1',
        STREAM_LIMIT_POLICY: 'evict-oldest',
      }));
    });
    afterAll(async () => {
      await stack.close();
      logs.stop();
    });

    test('the newest session plays; the oldest is ended at the edge within 1 s and told why by the API', async () => {
      const tv = await viewerOf(stack, 'evict-ivy');
      expect(await media(stack, tv)).toMatchObject({ cookie: 200, url: 200 });
      const phone = await viewerOf(stack, 'evict-ivy');
      expect(await refusedWithinOneSecond(stack, tv)).toMatchObject({
        cookie: 403,
        url: 403,
        denied: ['ended', 'ended', 'ended', 'ended'],
      });
      expect(await media(stack, phone)).toMatchObject({ cookie: 200, url: 200 });
      const again = await play(stack, tv.token, VIDEO);
      expect(again.status).toBe(403);
      expect(((await again.json()) as { error: string }).error).toBe('session_ended');
      // The phone keeps its slot: the ended TV cannot take it back.
      expect(await media(stack, phone)).toMatchObject({ cookie: 200, url: 200 });
      expect((await play(stack, phone.token, VIDEO)).status).toBe(200);
    });
  });

  describe('DRM paths', () => {
    let stack: LocalStack;
    let logs: LogCapture;
    beforeAll(async () => {
      ({ stack, logs } = await startStack(keyAlgorithm));
    });
    afterAll(async () => {
      await stack.close();
      logs.stop();
    });

    /** The Cookie header a browser sends for `path`: the sets whose Path prefixes it, longest first. */
    const cookiesFor = (setCookies: string[], path: string): string =>
      setCookies
        .map((line) => ({ pair: line.split('; ')[0], path: /Path=([^;]+)/.exec(line)?.[1] ?? '/' }))
        .filter((cookie) => path.startsWith(cookie.path))
        .sort((a, b) => b.path.length - a.path.length)
        .map((cookie) => cookie.pair)
        .join('; ');

    test('logout: the /drm/ manifest and segment grants (cookies, signed query, and twins) are refused within 1 s', async () => {
      const token = await stack.idp.issueToken({ sub: 'drm-mia', videos: ['demo-3'] });
      const cookieGrant = await play(stack, token, 'demo-3');
      const urlGrant = await play(stack, token, 'demo-3', '?delivery=url');
      expect([cookieGrant.status, urlGrant.status]).toEqual([200, 200]);
      const { drm } = (await urlGrant.json()) as { drm: { manifestUrl: string; signedQuery: string } };
      const manifest = new URL(drm.manifestUrl).pathname;
      const cookie = cookiesFor(cookieGrant.headers.getSetCookie(), manifest);
      const host = `localhost:${stack.port}`;
      const playlist = (await rawGet(stack.port, manifest, { host, cookie })).body.toString();
      const segment = manifest.replace(/[^/]*$/, playlist.split('\n').find((line) => /^[^#].*\.m4s$/.test(line)) ?? '');
      expect(segment).toMatch(/\.m4s$/);
      const grants = [{ cookie, query: drm.signedQuery }];
      if (keyAlgorithm === 'ECDSA_P256') grants.push(twinOf(cookie, drm.signedQuery));
      const statuses = async () => {
        const answers = await Promise.all(
          grants.flatMap((grant) =>
            [manifest, segment].flatMap((path) => [
              rawGet(stack.port, path, { host, cookie: grant.cookie }),
              rawGet(stack.port, `${path}?${grant.query}`, { host }),
            ]),
          ),
        );
        return answers.map((answer) => `${answer.status} ${answer.headers['x-streamgate-denied'] ?? ''}`.trim());
      };
      expect(await statuses()).toEqual(grants.flatMap(() => ['200', '200', '200', '200']));

      const logout = await fetch(`${stack.url}api/v1/session`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(logout.status).toBe(204);
      const deadline = Date.now() + 1000;
      let now = await statuses();
      while (now.some((status) => status !== '403 revoked') && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 20));
        now = await statuses();
      }
      expect(now).toEqual(grants.flatMap(() => ['403 revoked', '403 revoked', '403 revoked', '403 revoked']));
    });
  });

  describe('a sharing action reaches the edge', () => {
    let stack: LocalStack;
    let logs: LogCapture;
    beforeAll(async () => {
      ({ stack, logs } = await startStack(keyAlgorithm, { SHARING_MAX_NETWORKS: '1', SHARING_ACTION: 'revoke-token' }));
    });
    afterAll(async () => {
      await stack.close();
      logs.stop();
    });

    /** A playback call from another network: loopback's 127.0.1.1 is another /24 than 127.0.0.1. */
    function playFromElsewhere(token: string): Promise<number> {
      return new Promise((done, fail) => {
        const req = request(
          {
            host: '127.0.0.1',
            localAddress: '127.0.1.1',
            port: stack.port,
            method: 'POST',
            path: `/api/v1/playback/${VIDEO}`,
            headers: { host: `localhost:${stack.port}`, authorization: `Bearer ${token}`, 'content-length': '0' },
          },
          (res) => {
            res.resume();
            res.on('end', () => done(res.statusCode ?? 0));
          },
        );
        req.on('error', fail);
        req.end();
      });
    }

    test('revoke-token: the token presented from a second network is revoked, and its grants are refused within 1 s', async () => {
      const [shared, bystander] = [await viewerOf(stack, 'sharing-jack'), await viewerOf(stack, 'sharing-kim')];
      expect(await media(stack, shared)).toMatchObject({ cookie: 200, url: 200 });
      expect(await playFromElsewhere(shared.token)).toBe(403);
      expect(await refusedWithinOneSecond(stack, shared)).toMatchObject({ cookie: 403, url: 403 });
      expect(await media(stack, bystander)).toMatchObject({ cookie: 200, url: 200 });
    });
  });
});

describe('an ECDSA signature’s twin (r, n − s)', () => {
  let stack: LocalStack;
  let logs: LogCapture;
  let dir: string;
  beforeAll(async () => {
    ({ stack, logs, dir } = await startStack('ECDSA_P256'));
  });
  afterAll(async () => {
    await stack.close();
    logs.stop();
  });

  test('is another signature the edge accepts; after logout both it and the original are refused, manifest and segments, cookies and query', async () => {
    const lena = await viewer(stack, 'twin-lena', 'ECDSA_P256');
    const twin = lena.twin ?? { cookie: '', query: '' };
    // A real twin: other bytes, and node:crypto verifies it for the same policy and public key.
    const signature = cookieValue(lena.cookie, 'CloudFront-Signature');
    const twinSignature = cookieValue(twin.cookie, 'CloudFront-Signature');
    expect(twinSignature).not.toBe(signature);
    const fromCloudFront = (value: string) =>
      Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
    const policy = fromCloudFront(cookieValue(lena.cookie, 'CloudFront-Policy'));
    const keyPairId = cookieValue(lena.cookie, 'CloudFront-Key-Pair-Id');
    const group = JSON.parse(readFileSync(join(dir, 'key-group.json'), 'utf8')) as {
      keys: { id: string; publicKeyPem: string }[];
    };
    const publicKey = createPublicKey(group.keys.find((key) => key.id === keyPairId)?.publicKeyPem ?? '');
    expect(verify('sha256', policy, publicKey, fromCloudFront(signature))).toBe(true);
    expect(verify('sha256', policy, publicKey, fromCloudFront(twinSignature))).toBe(true);
    // The local edge, applying CloudFront's signature check, serves the twin as it serves the original.
    expect(await mediaOf(stack, twin)).toMatchObject({ cookie: 200, url: 200 });
    expect(await mediaOf(stack, lena)).toMatchObject({ cookie: 200, url: 200 });

    const logout = await fetch(`${stack.url}api/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${lena.token}` },
    });
    expect(logout.status).toBe(204);
    const denied = { cookie: 403, url: 403, denied: ['revoked', 'revoked', 'revoked', 'revoked'] };
    expect(await refusedWithinOneSecond(stack, { ...lena, twin: undefined })).toMatchObject(denied);
    expect(await mediaOf(stack, twin)).toMatchObject(denied);
  });
});
