/**
 * The local live channel end to end on loopback: the real local stack (dev IdP, API, dynalite,
 * the edge running the deployed viewer-request function over the deny-list) and its live origin.
 * A live grant opens one channel's live folder and nothing else; the playlist slides; start-over
 * is out of a grant without the start-over scope, by path and by query; a revoked viewer's live
 * playback is refused at the edge within seconds, with cookies and with a signed URL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIVE_REFRESH_WINDOW } from '../../lambda/core/live-grants';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { cookieHeaderOf, play } from '../support/local-grants';

const CHANNEL = 'live-1';
const LIVE = `/${'live'}/${CHANNEL}/hls/`;
const START_OVER = `/live/${CHANNEL}/startover/`;
const TTL_SECONDS = 60;

let stack: LocalStack;
const logs = new LogCapture();

beforeAll(async () => {
  stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-live-')),
    port: 0,
    signedTtlSeconds: TTL_SECONDS,
    logger: logs.logger,
  });
});

afterAll(async () => {
  await stack?.close();
  logs.stop();
});

interface Grant {
  status: number;
  body: {
    manifestUrl: string;
    refreshAfter: string;
    expiresAt: string;
    signedQuery?: string;
    live?: { startOver?: { manifestUrl: string; signedQuery?: string } };
  };
  cookie: string;
  setCookies: string[];
}

async function grant(sub: string, options: { url?: boolean; scope?: string; videos?: string[] } = {}): Promise<Grant> {
  const token = await stack.idp.issueToken({ sub, videos: options.videos ?? [CHANNEL], scope: options.scope });
  const response = await play(stack, token, CHANNEL, options.url === true ? '?delivery=url' : '');
  return {
    status: response.status,
    body: (await response.json()) as Grant['body'],
    cookie: cookieHeaderOf(response),
    setCookies: response.headers.getSetCookie(),
  };
}

const get = (path: string, cookie?: string) =>
  fetch(`${stack.url.replace(/\/$/, '')}${path}`, cookie === undefined ? {} : { headers: { cookie } });

function mediaSequence(playlist: string): number {
  return Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)?.[1]);
}
const segmentsOf = (playlist: string) => playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('local live channel', () => {
  test('a live grant: the channel manifest, cookies scoped to its live folder only, a jittered refresh', async () => {
    const { status, body, setCookies } = await grant('live-ann');
    expect(status).toBe(200);
    expect(body.manifestUrl).toBe(`${stack.url.replace(/\/$/, '')}${LIVE}index.m3u8`);
    expect(body.live).toEqual({});
    expect(setCookies.filter((value) => value.startsWith('CloudFront-Policy=')).length).toBe(1);
    for (const cookie of setCookies) expect(cookie).toContain(`Path=${LIVE};`);
    const policy = JSON.parse(
      Buffer.from(
        (/CloudFront-Policy=([^;]+)/.exec(setCookies.join(';'))?.[1] ?? '')
          .replace(/-/g, '+')
          .replace(/~/g, '/')
          .replace(/_/g, '='),
        'base64',
      ).toString('utf8'),
    ) as { Statement: { Resource: string }[] };
    expect(policy.Statement.map((statement) => new URL(statement.Resource).pathname)).toEqual([`${LIVE}*`]);
    const issued = Date.parse(body.expiresAt) / 1000 - TTL_SECONDS;
    const refresh = Date.parse(body.refreshAfter) / 1000;
    // Dated from the session's grant interval (at most a fifth of the lifetime back).
    expect(refresh - issued).toBeGreaterThanOrEqual(
      Math.floor(TTL_SECONDS * LIVE_REFRESH_WINDOW.earliest) - TTL_SECONDS / 5,
    );
    expect(refresh).toBeLessThan(Date.parse(body.expiresAt) / 1000);
  });

  test('the playlist is live and slides: no ENDLIST, the media sequence advances, segments appear and expire', async () => {
    const { cookie } = await grant('live-ben');
    const first = await get(`${LIVE}index.m3u8`, cookie);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('max-age=1');
    const before = await first.text();
    expect(before).not.toContain('#EXT-X-ENDLIST');
    expect(before).not.toContain('#EXT-X-PLAYLIST-TYPE');
    expect(before).toMatch(/#EXT-X-PROGRAM-DATE-TIME:/);
    const oldest = segmentsOf(before)[0];
    const segment = await get(`${LIVE}${oldest}`, cookie);
    expect(segment.status).toBe(200);
    expect(segment.headers.get('cache-control')).toBe('max-age=1209600');
    expect(Buffer.from(await segment.arrayBuffer())[0]).toBe(0x47); // an MPEG-TS sync byte
    // A segment not yet published is not served.
    const future = mediaSequence(before) + segmentsOf(before).length + 2;
    expect((await get(`${LIVE}segment-${future}.ts`, cookie)).status).toBe(404);
    // Two segment durations later the window has moved on by at least one segment.
    await new Promise((wake) => setTimeout(wake, 4100));
    const after = await (await get(`${LIVE}index.m3u8`, cookie)).text();
    expect(mediaSequence(after)).toBeGreaterThanOrEqual(mediaSequence(before) + 2);
    expect(segmentsOf(after)).not.toContain(oldest);
    expect(segmentsOf(after).length).toBe(segmentsOf(before).length);
    // A segment well behind the window has expired at the live endpoint.
    expect((await get(`${LIVE}segment-${mediaSequence(before) - 20}.ts`, cookie)).status).toBe(404);
  });

  test('the grant opens its channel only: not the start-over folder, not the VOD media, not another spelling', async () => {
    const { cookie } = await grant('live-cat');
    expect((await get(`${START_OVER}index.m3u8`, cookie)).status).toBe(403);
    expect((await get('/media/demo-1/index.m3u8', cookie)).status).toBe(403);
    expect((await get(`/live/${CHANNEL}/hls/../startover/index.m3u8`, cookie)).status).toBe(403);
    expect((await get(`/live/${CHANNEL}/hls/%2e%2e/startover/index.m3u8`, cookie)).status).toBe(403);
  });

  test('start-over by query on the live folder is refused, with cookies and with a signed URL', async () => {
    const start = Math.floor(Date.now() / 1000) - 60;
    const { cookie } = await grant('live-dan');
    const byCookie = await get(`${LIVE}index.m3u8?aws.manifestsettings=start:${start}`, cookie);
    expect(byCookie.status).toBe(403);
    const { body } = await grant('live-dan', { url: true });
    const byUrl = await fetch(`${body.manifestUrl}&aws.manifestsettings=start:${start}`);
    expect(byUrl.status).toBe(403);
    expect(body.live).toEqual({});
    // The same grant without the parameter plays.
    expect((await fetch(body.manifestUrl)).status).toBe(200);
  });

  test('a token with the start-over scope gets the start-over folder too, and a time-shifted manifest', async () => {
    const scope = 'stream:play stream:startover';
    const { body, cookie, setCookies } = await grant('live-eve', { scope });
    expect(body.live?.startOver?.manifestUrl).toBe(`${stack.url.replace(/\/$/, '')}${START_OVER}index.m3u8`);
    expect(setCookies.filter((value) => value.includes(`Path=${START_OVER};`)).length).toBe(setCookies.length / 2);
    expect(setCookies.filter((value) => value.includes(`Path=${LIVE};`)).length).toBe(setCookies.length / 2);
    // The browser sends each set under its own Path: the start-over set alone.
    const startOverCookie = setCookies
      .filter((value) => value.includes(`Path=${START_OVER};`))
      .map((value) => value.split(';')[0])
      .join('; ');
    const start = Math.floor(Date.now() / 1000) - 60;
    const shifted = await get(`${START_OVER}index.m3u8?aws.manifestsettings=start:${start}`, startOverCookie);
    expect(shifted.status).toBe(200);
    const text = await shifted.text();
    expect(segmentsOf(text).length).toBeGreaterThanOrEqual(29);
    expect(text).toContain(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.floor(start / 2) * 2000).toISOString()}`);
    expect((await get(`${START_OVER}${segmentsOf(text)[0]}`, startOverCookie)).status).toBe(200);
    expect(cookie).not.toBe('');
    const { body: urlBody } = await grant('live-eve', { scope, url: true });
    const signed = urlBody.live?.startOver;
    expect(signed?.signedQuery).toBeDefined();
    expect((await fetch(`${signed?.manifestUrl}&aws.manifestsettings=start:${start}`)).status).toBe(200);
    // The live URL's query does not open the start-over folder.
    expect((await get(`${START_OVER}index.m3u8?${urlBody.signedQuery}`)).status).toBe(403);
  });

  test('a token not entitled to the channel gets no grant', async () => {
    expect((await grant('live-fay', { videos: ['demo-1'] })).status).toBe(403);
  });

  test.each(['cookie', 'url'] as const)(
    'a revoked viewer (%s) is refused at the edge within seconds, on the playlist and the segments',
    async (delivery) => {
      const sub = `live-revoked-${delivery}`;
      const viewer = await grant(sub, { url: delivery === 'url' });
      const other = await grant(`live-kept-${delivery}`, { url: delivery === 'url' });
      const fetchAs = (who: Grant, file: string) =>
        delivery === 'url' ? get(`${LIVE}${file}?${who.body.signedQuery}`) : get(`${LIVE}${file}`, who.cookie);
      const playlist = await (await fetchAs(viewer, 'index.m3u8')).text();
      const segment = segmentsOf(playlist).at(-1) as string;
      expect((await fetchAs(viewer, segment)).status).toBe(200);
      const admin = await stack.idp.issueToken({ sub: 'ops', scope: 'streamgate:admin' });
      const revokedAt = Date.now();
      const revoked = await fetch(`${stack.url}api/v1/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub }),
      });
      expect(revoked.status).toBe(201);
      // A live player asks for the playlist every segment (2 s): ask as often, for up to 3 s.
      let refused: Response | undefined;
      while (Date.now() - revokedAt < 3000) {
        const answer = await fetchAs(viewer, 'index.m3u8');
        if (answer.status === 403) {
          refused = answer;
          break;
        }
        await new Promise((wake) => setTimeout(wake, 250));
      }
      expect(refused?.headers.get('x-streamgate-denied')).toBe('revoked');
      expect(Date.now() - revokedAt).toBeLessThan(3000);
      expect((await fetchAs(viewer, segment)).status).toBe(403);
      // Another viewer of the same channel plays on.
      expect((await fetchAs(other, 'index.m3u8')).status).toBe(200);
    },
  );
});
