/**
 * Edge revocation, end to end on loopback: the real local stack (dev IdP, API, dynalite, the
 * local stand-in for the table's stream, the KeyValueStore, and the edge running the deployed
 * viewer-request function in node:vm). After each kind of revocation, media requests carrying
 * the revoked grant (its cookies, or its signed query) are refused within a second, while
 * another user's grant for the same video keeps playing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { grantId } from '../../lambda/core/edge-deny-list';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { cookieHeaderOf, play } from '../support/local-grants';
import { rawGet } from '../support/raw-http';

const VIDEO = 'demo-1';
const MANIFEST = `/media/${VIDEO}/index.m3u8`;

interface Viewer {
  sub: string;
  token: string;
  jti: string;
  cookie: string;
  query: string;
  manifestUrl: string;
}

async function viewer(stack: LocalStack, sub: string): Promise<Viewer> {
  const token = await stack.idp.issueToken({ sub, videos: [VIDEO] });
  const cookieGrant = await play(stack, token, VIDEO);
  if (cookieGrant.status !== 200) throw new Error(`cookie grant: HTTP ${cookieGrant.status}`);
  const urlGrant = await play(stack, token, VIDEO, '?delivery=url');
  if (urlGrant.status !== 200) throw new Error(`url grant: HTTP ${urlGrant.status}`);
  const { signedQuery } = (await urlGrant.json()) as { signedQuery: string };
  const { manifestUrl } = (await cookieGrant.json()) as { manifestUrl: string };
  return {
    sub,
    token,
    jti: String(decodeJwt(token).jti),
    cookie: cookieHeaderOf(cookieGrant),
    query: signedQuery,
    manifestUrl,
  };
}

/** The status of the manifest fetched with the viewer's cookies, and with its signed query. */
async function media(stack: LocalStack, who: Viewer): Promise<{ cookie: number; url: number; denied: unknown[] }> {
  const host = `localhost:${stack.port}`;
  const byCookie = await rawGet(stack.port, MANIFEST, { host, cookie: who.cookie });
  const byUrl = await rawGet(stack.port, `${MANIFEST}?${who.query}`, { host });
  return {
    cookie: byCookie.status,
    url: byUrl.status,
    denied: [byCookie.headers['x-streamgate-denied'], byUrl.headers['x-streamgate-denied']],
  };
}

/** Polls until both of the viewer's grants are refused, or a second has passed. */
async function refusedWithinOneSecond(stack: LocalStack, who: Viewer): Promise<{ cookie: number; url: number }> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const now = await media(stack, who);
    if ((now.cookie === 403 && now.url === 403) || Date.now() > deadline) return now;
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

function startStack(apiEnv: Record<string, string> = {}): Promise<{ stack: LocalStack; logs: LogCapture }> {
  const logs = new LogCapture();
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-edge-revocation-'));
  return startLocalStack({ dir, port: 0, logger: logs.logger, apiEnv }).then((stack) => ({ stack, logs }));
}

describe('revocation reaches the edge', () => {
  let stack: LocalStack;
  let logs: LogCapture;
  beforeAll(async () => {
    ({ stack, logs } = await startStack());
  });
  afterAll(async () => {
    await stack.close();
    logs.stop();
  });

  test('logout: the session’s cookies and signed query are refused within 1 s; another user keeps playing', async () => {
    const [alice, bob] = [await viewer(stack, 'logout-alice'), await viewer(stack, 'logout-bob')];
    expect(await media(stack, alice)).toMatchObject({ cookie: 200, url: 200 });
    const logout = await fetch(`${stack.url}api/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(logout.status).toBe(204);
    expect(await refusedWithinOneSecond(stack, alice)).toMatchObject({
      cookie: 403,
      url: 403,
      denied: ['revoked', 'revoked'],
    });
    expect(await media(stack, bob)).toMatchObject({ cookie: 200, url: 200 });
  });

  test('admin revocation by jti: refused within 1 s; the same user’s other session keeps playing', async () => {
    const [first, second] = [await viewer(stack, 'jti-carol'), await viewer(stack, 'jti-carol')];
    expect(await admin(stack, { sub: first.sub, jti: first.jti })).toBe(201);
    expect(await refusedWithinOneSecond(stack, first)).toMatchObject({ cookie: 403, url: 403 });
    expect(await media(stack, second)).toMatchObject({ cookie: 200, url: 200 });
  });

  test('admin revocation by user: every session of that user refused within 1 s; another user keeps playing', async () => {
    const sessions = [await viewer(stack, 'user-dave'), await viewer(stack, 'user-dave')];
    const erin = await viewer(stack, 'user-erin');
    expect(await admin(stack, { sub: 'user-dave' })).toBe(201);
    for (const session of sessions)
      expect(await refusedWithinOneSecond(stack, session)).toMatchObject({ cookie: 403, url: 403 });
    expect(await media(stack, erin)).toMatchObject({ cookie: 200, url: 200 });
  });

  test('a refreshed grant keeps the manifest URL; the revocation also denies the grants issued before it', async () => {
    const frank = await viewer(stack, 'refresh-frank');
    const refreshed = await play(stack, frank.token, VIDEO);
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as { manifestUrl: string };
    expect(body.manifestUrl).toBe(frank.manifestUrl);
    // Inside the session's grant interval the refresh re-issues the same grant (same policy; the
    // same cookie with RSA): whichever the viewer keeps, the revocation denies it.
    const newer = { ...frank, cookie: cookieHeaderOf(refreshed) };
    expect(await admin(stack, { sub: frank.sub, jti: frank.jti })).toBe(201);
    expect(await refusedWithinOneSecond(stack, frank)).toMatchObject({ cookie: 403, url: 403 });
    expect((await refusedWithinOneSecond(stack, newer)).cookie).toBe(403);
  });

  test('grants of many users for the same video in the same second are all distinct: one revocation hits no other', async () => {
    const viewers = await Promise.all(Array.from({ length: 12 }, (_, index) => viewer(stack, `crowd-${index}`)));
    // A viewer's cookie and signed query may be one grant (same session, same grant interval):
    // distinct between viewers is what keeps one revocation from hitting another.
    const idsOf = (who: Viewer) =>
      new Set([
        grantId(decodeURIComponent(/CloudFront-Signature=([^;]+)/.exec(who.cookie)?.[1] ?? '')),
        grantId(new URLSearchParams(who.query).get('Signature') ?? ''),
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
    ({ stack, logs } = await startStack());
    revoked = await viewer(stack, 'tamper-gina');
    other = await viewer(stack, 'tamper-hank');
    expect(await admin(stack, { sub: revoked.sub, jti: revoked.jti })).toBe(201);
    expect(await refusedWithinOneSecond(stack, revoked)).toMatchObject({ cookie: 403, url: 403 });
    // The deployed function over the same deny-list, asked directly: its own verdict, not the signature check's.
    fn = ViewerRequestFunction.fromFile(undefined, { keyValueStore: stack.denyList });
  });
  afterAll(async () => {
    await stack.close();
    logs.stop();
  });

  const signatureOf = (cookie: string): string => /CloudFront-Signature=([^;]+)/.exec(cookie)?.[1] ?? '';
  /** CloudFront's alphabet turned into standard base64, with its padding. */
  const standard = (signature: string): string => signature.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');

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

  test.each([
    ['as issued', (sig: string) => ({ cookies: { 'CloudFront-Signature': [sig] } })],
    ['the cookie name in lower case', (sig: string) => ({ cookies: { 'cloudfront-signature': [sig] } })],
    [
      'percent-encoded',
      (sig: string) => ({ cookies: { 'CloudFront-Signature': [encodeURIComponent(standard(sig))] } }),
    ],
    ['in the standard base64 alphabet', (sig: string) => ({ cookies: { 'CloudFront-Signature': [standard(sig)] } })],
    ['without its padding', (sig: string) => ({ cookies: { 'CloudFront-Signature': [sig.replace(/_+$/, '')] } })],
    [
      'after another user’s valid signature',
      (sig: string) => ({ cookies: { 'CloudFront-Signature': [signatureOf(other.cookie), sig] } }),
    ],
    ['as a Signature query parameter', (sig: string) => ({ cookies: {}, query: { Signature: [sig] } })],
    [
      'as a lower-case, percent-encoded query name',
      (sig: string) => ({ cookies: {}, query: { '%73ignature': [sig] } }),
    ],
    [
      'in the query while the cookie carries another user’s',
      (sig: string) => ({
        cookies: { 'CloudFront-Signature': [signatureOf(other.cookie)] },
        query: { Signature: [sig] },
      }),
    ],
  ])('the revoked signature %s is refused', async (_name, shape) => {
    const { cookies, query } = shape(signatureOf(revoked.cookie)) as {
      cookies: Record<string, string[]>;
      query?: Record<string, string[]>;
    };
    expect(await verdict(cookies, query)).toBe(403);
  });

  test('the other user’s grant alone passes the function', async () => {
    expect(await verdict({ 'CloudFront-Signature': [signatureOf(other.cookie)] })).toBe(200);
    expect(await media(stack, other)).toMatchObject({ cookie: 200, url: 200 });
  });
});

describe('stream limit evict-oldest', () => {
  let stack: LocalStack;
  let logs: LogCapture;
  beforeAll(async () => {
    ({ stack, logs } = await startStack({ MAX_CONCURRENT_STREAMS: '1', STREAM_LIMIT_POLICY: 'evict-oldest' }));
  });
  afterAll(async () => {
    await stack.close();
    logs.stop();
  });

  test('the newest session plays; the oldest is ended at the edge within 1 s and told why by the API', async () => {
    const tv = await viewer(stack, 'evict-ivy');
    expect(await media(stack, tv)).toMatchObject({ cookie: 200, url: 200 });
    const phone = await viewer(stack, 'evict-ivy');
    expect(await refusedWithinOneSecond(stack, tv)).toMatchObject({
      cookie: 403,
      url: 403,
      denied: ['ended', 'ended'],
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

describe('a sharing action reaches the edge', () => {
  let stack: LocalStack;
  let logs: LogCapture;
  beforeAll(async () => {
    ({ stack, logs } = await startStack({ SHARING_MAX_NETWORKS: '1', SHARING_ACTION: 'revoke-token' }));
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
    const [shared, bystander] = [await viewer(stack, 'sharing-jack'), await viewer(stack, 'sharing-kim')];
    expect(await media(stack, shared)).toMatchObject({ cookie: 200, url: 200 });
    expect(await playFromElsewhere(shared.token)).toBe(403);
    expect(await refusedWithinOneSecond(stack, shared)).toMatchObject({ cookie: 403, url: 403 });
    expect(await media(stack, bystander)).toMatchObject({ cookie: 200, url: 200 });
  });
});
