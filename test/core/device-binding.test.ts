/**
 * lambda/core/device-binding.ts on its own: the tag the API adds and the edge checks, the key
 * ring's shape and rotation, and where the tag travels in a grant.
 */
import { createHmac } from 'node:crypto';
import {
  bindToDevice,
  DEVICE_COOKIE,
  DEVICE_QUERY_PARAM,
  type DeviceKey,
  deviceKeyName,
  deviceTag,
  deviceTraits,
  isDeviceKeyName,
  parseDeviceKeyRing,
  rotateDeviceKeys,
} from '../../lambda/core/device-binding';
import { grantId } from '../../lambda/core/edge-deny-list';

const KEY: DeviceKey = { kid: 'k1', secret: 'a'.repeat(32) };
const OTHER: DeviceKey = { kid: 'k2', secret: 'b'.repeat(32) };
const traitsOf = (headers: Record<string, string>) => deviceTraits((name) => headers[name]);
const CHROME = traitsOf({ 'user-agent': 'Mozilla/5.0 Chrome/140', 'accept-language': 'en-GB' });

test('the tag is an HMAC-SHA256 of the grant id and the traits, under the named key', () => {
  const policy = 'eyJTdGF0ZW1lbnQiOltdfQ__';
  const mac = createHmac('sha256', KEY.secret)
    .update(grantId(policy) + CHROME)
    .digest('base64url')
    .slice(0, 22);
  expect(deviceTag(KEY, policy, CHROME)).toBe(`k1.${mac}`);
});

test('another browser, another grant or another key gives another tag', () => {
  const policy = 'eyJTdGF0ZW1lbnQiOltdfQ__';
  const tag = deviceTag(KEY, policy, CHROME);
  expect(
    deviceTag(KEY, policy, traitsOf({ 'user-agent': 'Mozilla/5.0 Firefox/140', 'accept-language': 'en-GB' })),
  ).not.toBe(tag);
  expect(
    deviceTag(KEY, policy, traitsOf({ 'user-agent': 'Mozilla/5.0 Chrome/140', 'accept-language': 'fr' })),
  ).not.toBe(tag);
  expect(deviceTag(KEY, 'eyJTdGF0ZW1lbnQiOlsxXX0_', CHROME)).not.toBe(tag);
  expect(deviceTag(OTHER, policy, CHROME).split('.')[1]).not.toBe(tag.split('.')[1]);
});

test('traits are positional: a value cannot move from one header to the other unnoticed', () => {
  expect(traitsOf({ 'user-agent': 'x', 'accept-language': '' })).not.toBe(
    traitsOf({ 'user-agent': '', 'accept-language': 'x' }),
  );
});

test('key ring: parsed when well formed, else a message saying what is wrong', () => {
  expect(parseDeviceKeyRing(JSON.stringify({ current: KEY }))).toEqual({ current: KEY });
  expect(parseDeviceKeyRing(JSON.stringify({ current: KEY, previous: OTHER }))).toEqual({
    current: KEY,
    previous: OTHER,
  });
  expect(parseDeviceKeyRing('{')).toBe('not JSON');
  expect(parseDeviceKeyRing(JSON.stringify({ current: { kid: 'k1', secret: 'short' } }))).toMatch(/"current"/);
  expect(parseDeviceKeyRing(JSON.stringify({ current: { kid: 'bad kid!', secret: 'a'.repeat(32) } }))).toMatch(
    /"current"/,
  );
  expect(parseDeviceKeyRing(JSON.stringify({ current: KEY, previous: 7 }))).toBe('"previous" is not a valid key');
});

test('rotation: the new key is put (with the kept one) before use, the dropped one removed after', () => {
  const first = rotateDeviceKeys(undefined, KEY);
  expect(first).toEqual({ ring: { current: KEY }, put: [KEY], remove: [] });
  const second = rotateDeviceKeys(first.ring, OTHER);
  expect(second).toEqual({ ring: { current: OTHER, previous: KEY }, put: [OTHER, KEY], remove: [] });
  const third = rotateDeviceKeys(second.ring, { kid: 'k3', secret: 'c'.repeat(32) });
  expect(third.ring.previous).toEqual(OTHER);
  expect(third.remove).toEqual([deviceKeyName('k1')]);
  expect(isDeviceKeyName(deviceKeyName('k1'))).toBe(true);
  expect(isDeviceKeyName('k1')).toBe(false);
});

test('a cookie grant gets a device cookie beside each policy cookie, with the same attributes', () => {
  const grant = {
    manifestUrl: 'https://v.example/media/demo-1/index.m3u8',
    cookies: [
      'CloudFront-Policy=P1; Path=/media/demo-1/; Secure; HttpOnly',
      'CloudFront-Signature=S1; Path=/media/demo-1/; Secure; HttpOnly',
      'CloudFront-Policy=P2; Path=/drm/demo-1/; Secure; HttpOnly',
    ],
  };
  const bound = bindToDevice(grant, KEY, CHROME);
  expect(bound.cookies).toEqual([
    grant.cookies[0],
    `${DEVICE_COOKIE}=${deviceTag(KEY, 'P1', CHROME)}; Path=/media/demo-1/; Secure; HttpOnly`,
    grant.cookies[1],
    grant.cookies[2],
    `${DEVICE_COOKIE}=${deviceTag(KEY, 'P2', CHROME)}; Path=/drm/demo-1/; Secure; HttpOnly`,
  ]);
  expect(bound.manifestUrl).toBe(grant.manifestUrl);
});

test('a signed-URL grant gets the tag first in its query and in its manifest URL, DRM set included', () => {
  const query = 'Policy=P1&Signature=S1&Key-Pair-Id=K';
  const drmQuery = 'Policy=P2&Signature=S2&Key-Pair-Id=K';
  const bound = bindToDevice(
    {
      manifestUrl: `https://v.example/media/demo-1/index.m3u8?${query}`,
      cookies: [],
      signedQuery: query,
      drm: { manifestUrl: `https://v.example/drm/demo-1/index.mpd?${drmQuery}`, signedQuery: drmQuery },
    },
    KEY,
    CHROME,
  );
  expect(bound.signedQuery).toBe(`${DEVICE_QUERY_PARAM}=${deviceTag(KEY, 'P1', CHROME)}&${query}`);
  expect(bound.manifestUrl).toBe(`https://v.example/media/demo-1/index.m3u8?${bound.signedQuery}`);
  expect(bound.drm?.signedQuery).toBe(`${DEVICE_QUERY_PARAM}=${deviceTag(KEY, 'P2', CHROME)}&${drmQuery}`);
});
