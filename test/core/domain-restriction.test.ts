/**
 * lambda/core/domain-restriction.ts on its own: the rules the API applies to a playback call and
 * the viewer-request function to every media request (test/edge/access-layers.test.ts holds the
 * two to the same cases).
 */
import { type DomainRestriction, foreignSite, originOf, SITE_ORIGIN } from '../../lambda/core/domain-restriction';

const HOST = 'video.example.com';
const allowMissing: DomainRestriction = { sites: ['https://partner.example'], missing: 'allow' };
const denyMissing: DomainRestriction = { ...allowMissing, missing: 'deny' };

test("the service's own host (any scheme) and a listed site are allowed by Origin and by Referer", () => {
  for (const origin of ['https://video.example.com', 'http://VIDEO.example.com', 'https://partner.example']) {
    expect(foreignSite({ origin, host: HOST }, denyMissing)).toBeUndefined();
    expect(foreignSite({ referer: `${origin}/watch?v=1`, host: HOST }, denyMissing)).toBeUndefined();
  }
});

test('another site is refused by whichever header shows it, even when another header looks right', () => {
  expect(foreignSite({ origin: 'https://evil.example', host: HOST }, allowMissing)).toBe('origin');
  expect(foreignSite({ origin: 'null', host: HOST }, allowMissing)).toBe('origin');
  expect(foreignSite({ referer: 'https://evil.example/page', host: HOST }, allowMissing)).toBe('referer');
  expect(
    foreignSite({ origin: 'https://partner.example', referer: 'https://evil.example/', host: HOST }, allowMissing),
  ).toBe('referer');
  // A listed site differs from a look-alike by scheme, port or suffix.
  for (const origin of ['http://partner.example', 'https://partner.example:8443', 'https://partner.example.evil'])
    expect(foreignSite({ origin, host: HOST }, allowMissing)).toBe('origin');
  // A referer that is no URL shows no allowed origin.
  expect(foreignSite({ referer: 'partner.example/page', host: HOST }, allowMissing)).toBe('referer');
});

test('without Origin or Referer, Sec-Fetch-Site decides; with none of the three, the configured policy', () => {
  expect(foreignSite({ secFetchSite: 'same-origin', host: HOST }, denyMissing)).toBeUndefined();
  for (const site of ['same-site', 'cross-site'])
    expect(foreignSite({ secFetchSite: site, host: HOST }, allowMissing)).toBe('fetch-site');
  expect(foreignSite({ host: HOST }, allowMissing)).toBeUndefined();
  expect(foreignSite({ host: HOST }, denyMissing)).toBe('no-site');
  expect(foreignSite({ secFetchSite: 'none', host: HOST }, denyMissing)).toBe('no-site');
});

test('originOf keeps scheme, host and port, lower-cased, and nothing after', () => {
  expect(originOf('HTTPS://Partner.Example:8443/a/b?c#d')).toBe('https://partner.example:8443');
  expect(originOf('/relative/path')).toBe('');
  expect(originOf('')).toBe('');
});

test('SITE_ORIGIN takes exact origins only', () => {
  for (const site of ['https://a.example', 'http://localhost:3000', 'https://b.example:8443'])
    expect(SITE_ORIGIN.test(site)).toBe(true);
  for (const site of [
    'https://a.example/',
    'https://a.example/path',
    'a.example',
    'https://*.example',
    'ftp://a.example',
  ])
    expect(SITE_ORIGIN.test(site)).toBe(false);
});
