/**
 * What a playback call grants for a DRM video, checked independently of the signer: each cookie
 * set is decoded and its signature verified with node:crypto and the public key; then the local
 * edge's CloudFront rules (local/edge/cloudfront-access.ts) decide requests carrying the cookies
 * a browser would send for each path (longest Path first, as RFC 6265 orders them).
 */
import { createVerify } from 'node:crypto';
import type { HttpResponse } from '../../lambda/core/http';
import { checkSignedAccess } from '../../local/edge/cloudfront-access';
import { bearer, KEY_PAIR_ID, MEDIA_BASE_URL, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
const now = Math.floor(Date.now() / 1000);

interface Policy {
  Statement: { Resource: string; Condition: { DateLessThan: { 'AWS:EpochTime': number } } }[];
}

const cloudFrontBase64 = (value: string): Buffer =>
  Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');

interface CookieSet {
  path: string;
  attributes: string[];
  values: Map<string, string>;
}

/** The Set-Cookie lines grouped by Path: one set per path prefix. */
function cookieSets(response: HttpResponse): CookieSet[] {
  const sets = new Map<string, CookieSet>();
  for (const line of response.cookies ?? []) {
    const [pair, ...attributes] = line.split('; ');
    const path = attributes.find((attribute) => attribute.startsWith('Path='))?.slice(5) ?? '(none)';
    const set = sets.get(path) ?? { path, attributes, values: new Map() };
    expect(set.attributes).toEqual(attributes);
    set.values.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    sets.set(path, set);
  }
  return [...sets.values()];
}

/** The Cookie header a browser sends for `path`: the sets whose Path prefixes it, the longest first. */
function cookieHeaderFor(sets: CookieSet[], path: string): string {
  return sets
    .filter((set) => path.startsWith(set.path))
    .sort((a, b) => b.path.length - a.path.length)
    .flatMap((set) => [...set.values].map(([name, value]) => `${name}=${value}`))
    .join('; ');
}

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({
    idpKeys: [idp],
    now: () => now,
    extraEnv: {
      DRM_CATALOG: JSON.stringify({
        'demo-3': { paths: ['/drm/demo-3/'], manifest: '/drm/demo-3/index.m3u8' },
        // MediaPackage packages one asset per configuration: HLS and DASH in folders of their own.
        'demo-5': { paths: ['/drm/asset-5/hls/', '/drm/asset-5/dash/'], manifest: '/drm/asset-5/hls/index.m3u8' },
      }),
      LICENCE_UPSTREAMS: JSON.stringify({ clearkey: { url: 'https://licences.example/clearkey/{videoId}' } }),
    },
  });
});
afterAll(() => harness.close());

const play = async (videoId: string, query?: Record<string, string>) =>
  harness.api.playback(playbackEvent(videoId, { authorization: bearer(await mint(idp, { now })), query }));

describe('a DRM video', () => {
  test('gets one cookie set per path prefix, each scoped by Path and by its policy Resource, each verifying', async () => {
    const response = await play('demo-5');
    expect(response.statusCode).toBe(200);
    const sets = cookieSets(response);
    expect(sets.map((set) => set.path)).toEqual(['/media/demo-5/', '/drm/asset-5/hls/', '/drm/asset-5/dash/']);
    for (const set of sets) {
      expect(set.attributes).toEqual([`Path=${set.path}`, 'Secure', 'HttpOnly', 'SameSite=Strict']);
      expect(set.values.get('CloudFront-Key-Pair-Id')).toBe(KEY_PAIR_ID);
      const policyBytes = cloudFrontBase64(set.values.get('CloudFront-Policy') ?? '');
      const policy = JSON.parse(policyBytes.toString('utf8')) as Policy;
      expect(policy.Statement).toHaveLength(1);
      expect(policy.Statement[0].Resource).toBe(`${MEDIA_BASE_URL}${set.path}*`);
      expect(policy.Statement[0].Condition.DateLessThan).toEqual({ 'AWS:EpochTime': now + 300 });
      const signature = cloudFrontBase64(set.values.get('CloudFront-Signature') ?? '');
      expect(createVerify('sha256').update(policyBytes).verify(harness.signingKey.publicKey, signature)).toBe(true);
      // Not a policy for the whole /drm/ tree: the signature covers exactly this prefix.
      const wider = Buffer.from(policyBytes.toString('utf8').replace(set.path, '/drm/'));
      expect(createVerify('sha256').update(wider).verify(harness.signingKey.publicKey, signature)).toBe(false);
    }
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({
      manifestUrl: `${MEDIA_BASE_URL}/media/demo-5/index.m3u8`,
      drm: {
        manifestUrl: `${MEDIA_BASE_URL}/drm/asset-5/hls/index.m3u8`,
        licenceUrls: { clearkey: `${MEDIA_BASE_URL}/api/v1/licence/demo-5/clearkey` },
      },
    });
  });

  test('the local edge, applying CloudFront rules, opens its /drm/ prefixes and nothing else with them', async () => {
    const sets = cookieSets(await play('demo-3'));
    const trusted = new Map([[KEY_PAIR_ID, { id: KEY_PAIR_ID, publicKey: harness.signingKey.publicKey }]]);
    const decide = (path: string) =>
      checkSignedAccess(
        {
          scheme: 'https',
          host: new URL(MEDIA_BASE_URL).host,
          rawPath: path,
          cookieHeader: cookieHeaderFor(sets, path),
          clientIp: '198.51.100.7',
          nowSeconds: now + 10,
        },
        trusted,
      );
    expect(decide('/drm/demo-3/index.m3u8')).toMatchObject({ allowed: true, via: 'cookie' });
    expect(decide('/drm/demo-3/segment_000.m4s')).toMatchObject({ allowed: true });
    expect(decide('/media/demo-3/index.m3u8')).toMatchObject({ allowed: true });
    // Another video's DRM folder: the browser sends no cookie there at all.
    expect(decide('/drm/demo-4/index.m3u8')).toMatchObject({ allowed: false, code: 'MissingKey' });
    // Even sent there by hand, the /drm/demo-3/ set does not open it (Resource mismatch).
    const forced = checkSignedAccess(
      {
        scheme: 'https',
        host: new URL(MEDIA_BASE_URL).host,
        rawPath: '/drm/demo-4/index.m3u8',
        cookieHeader: cookieHeaderFor(sets, '/drm/demo-3/x'),
        clientIp: '198.51.100.7',
        nowSeconds: now + 10,
      },
      trusted,
    );
    expect(forced).toMatchObject({ allowed: false, code: 'AccessDenied' });
    // And not after the grant's expiry.
    const late = checkSignedAccess(
      {
        scheme: 'https',
        host: new URL(MEDIA_BASE_URL).host,
        rawPath: '/drm/demo-3/index.m3u8',
        cookieHeader: cookieHeaderFor(sets, '/drm/demo-3/index.m3u8'),
        clientIp: '198.51.100.7',
        nowSeconds: now + 301,
      },
      trusted,
    );
    expect(late).toMatchObject({ allowed: false });
  });

  test('with delivery=url, the DRM manifest URL is signed for its own prefix', async () => {
    const response = await play('demo-3', { delivery: 'url' });
    expect(response.cookies ?? []).toEqual([]);
    const body = JSON.parse(response.body ?? '{}') as { drm: { manifestUrl: string; signedQuery: string } };
    const url = new URL(body.drm.manifestUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${MEDIA_BASE_URL}/drm/demo-3/index.m3u8`);
    expect(url.search.slice(1)).toBe(body.drm.signedQuery);
    const raw = Object.fromEntries(body.drm.signedQuery.split('&').map((pair) => pair.split('=') as [string, string]));
    const policyBytes = cloudFrontBase64(raw.Policy);
    expect((JSON.parse(policyBytes.toString('utf8')) as Policy).Statement[0].Resource).toBe(
      `${MEDIA_BASE_URL}/drm/demo-3/*`,
    );
    expect(
      createVerify('sha256').update(policyBytes).verify(harness.signingKey.publicKey, cloudFrontBase64(raw.Signature)),
    ).toBe(true);
  });
});

describe('a video not in the DRM catalog', () => {
  test('gets its /media/ cookie set only, and no drm part', async () => {
    const response = await play('demo-1');
    expect(cookieSets(response).map((set) => set.path)).toEqual(['/media/demo-1/']);
    expect(JSON.parse(response.body ?? '{}')).not.toHaveProperty('drm');
  });
});
