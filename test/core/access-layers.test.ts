/**
 * Domain restriction and device binding in the playback API, through the real API (real crypto,
 * dynalite): a call from a site not allowed gets 403 `site_not_allowed` and no grant; with device
 * binding every grant (cookies, signed URL) carries the tag the edge recomputes for the calling
 * browser and no other; the settings refuse bad values naming the variable.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceTag, deviceTraits } from '../../lambda/core/device-binding';
import type { HttpResponse } from '../../lambda/core/http';
import { bearer, playbackEvent, startHarness, type Harness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const rsa = idpKey('RS256');
const OWN = 'https://media.test.example';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0';
const KEY = { kid: 'k7', secret: 'k'.repeat(43) };

function body(response: HttpResponse): Record<string, unknown> {
  return JSON.parse(response.body ?? '{}') as Record<string, unknown>;
}

describe('domain restriction (partner site listed, missing headers denied)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      idpKeys: [rsa],
      extraEnv: {
        DOMAIN_RESTRICTION: 'on',
        DOMAIN_RESTRICTION_SITES: 'https://www.partner.example',
        DOMAIN_RESTRICTION_MISSING: 'deny',
      },
    });
  });
  afterAll(() => harness.close());

  const play = async (headers: Record<string, string>) =>
    harness.api.playback(playbackEvent('demo-1', { authorization: bearer(await mint(rsa)), headers }));

  test.each([
    ['a foreign Origin', { origin: 'https://pirate.example.org' }],
    ['a foreign Referer', { referer: 'https://pirate.example.org/watch' }],
    ['cross-site with neither', { 'sec-fetch-site': 'cross-site' }],
    ['none of the headers (missing: deny)', {}],
  ])('refuses %s: 403 site_not_allowed, nothing signed', async (_name, headers) => {
    const response = await play(headers);
    expect(response.statusCode).toBe(403);
    expect(body(response)).toMatchObject({ error: 'forbidden', reason: 'site_not_allowed' });
    expect(response.cookies ?? []).toEqual([]);
  });

  test.each([
    ["the service's own origin", { origin: OWN }],
    ['the listed partner', { origin: 'https://www.partner.example', 'sec-fetch-site': 'cross-site' }],
  ])('plays from %s', async (_name, headers) => {
    const response = await play(headers);
    expect(response.statusCode).toBe(200);
    expect((response.cookies ?? []).length).toBeGreaterThan(0);
  });
});

describe('device binding', () => {
  let harness: Harness;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'streamgate-device-')), 'device-keys.json');
    writeFileSync(file, JSON.stringify({ current: KEY }));
    harness = await startHarness({ idpKeys: [rsa], extraEnv: { DEVICE_BINDING: 'on', DEVICE_KEY_FILE: file } });
  });
  afterAll(() => harness.close());

  const headers = { 'user-agent': UA, 'accept-language': 'en-GB' };
  const traits = deviceTraits((name) => headers[name as keyof typeof headers]);

  test('each cookie set carries its tag, made for this browser, with the same Path', async () => {
    const response = await harness.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(rsa)), headers }),
    );
    expect(response.statusCode).toBe(200);
    const cookies = response.cookies ?? [];
    const policy = /^CloudFront-Policy=([^;]*)(;.*)$/.exec(
      cookies.find((c) => c.startsWith('CloudFront-Policy=')) ?? '',
    );
    const device = cookies.find((c) => c.startsWith('Streamgate-Device='));
    expect(policy).not.toBeNull();
    expect(device).toBe(`Streamgate-Device=${deviceTag(KEY, policy?.[1] ?? '', traits)}${policy?.[2]}`);
    const other = deviceTraits((name) => (name === 'user-agent' ? 'Firefox' : headers[name as keyof typeof headers]));
    expect(device).not.toContain(deviceTag(KEY, policy?.[1] ?? '', other).split('.')[1]);
  });

  test('a signed URL carries the tag first in its query and its manifest URL', async () => {
    const response = await harness.api.playback(
      playbackEvent('demo-1', { authorization: bearer(await mint(rsa)), headers, query: { delivery: 'url' } }),
    );
    expect(response.statusCode).toBe(200);
    const { signedQuery, manifestUrl } = body(response) as { signedQuery: string; manifestUrl: string };
    const query = new URLSearchParams(signedQuery);
    expect(signedQuery.startsWith('streamgate-device=')).toBe(true);
    expect(query.get('streamgate-device')).toBe(deviceTag(KEY, query.get('Policy') ?? '', traits));
    expect(new URL(manifestUrl).search.slice(1)).toBe(signedQuery);
  });
});
