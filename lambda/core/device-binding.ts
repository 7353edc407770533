/**
 * Device binding (opt-in): a grant plays only in the browser that asked for it. The API adds a
 * device tag to each grant: `<kid>.<mac>`, mac = HMAC-SHA256, under the device key `kid`, of the
 * grant id (the hash of its signed policy, lambda/core/edge-deny-list.ts) and the requesting
 * browser's traits (User-Agent and Accept-Language, as sent), base64url, 22 characters (132
 * bits). The viewer-request function (edge-function/viewer-request.js, `unboundDevice`) reads
 * the key from its KeyValueStore (`device-key.<kid>`) and recomputes the mac from the media
 * request's own headers: a grant copied into a browser with other traits is refused there.
 *
 * Why these traits: both are set by the browser on every request it makes, the API call and each
 * media request alike, and stay the same for a profile between restarts; the IP is IP binding's
 * (signing.bindViewerIp) and changes on mobile networks. The mac keeps nothing identifying: no
 * trait is stored anywhere, and the tag cannot be turned back into one without the key.
 *
 * Keys rotate (lambda/handlers/rotate-device-key.ts deployed, local/device-keys.ts locally): the
 * edge holds the current and the previous key, so a tag made just before a rotation keeps playing.
 */
import { createHmac } from 'node:crypto';
import { DEVICE_KEY_PREFIX, grantId } from './edge-deny-list';

export { DEVICE_KEY_PREFIX };

/** The cookie that carries a cookie grant's tag (one per cookie set, with its Path). */
export const DEVICE_COOKIE = 'Streamgate-Device';
/** The query parameter that carries a signed URL's tag (a part of the signed query). */
export const DEVICE_QUERY_PARAM = 'streamgate-device';
/** A key id: what the function accepts before it looks anything up. */
export const DEVICE_KEY_ID = /^[A-Za-z0-9]{1,16}$/;

/** The request headers the tag binds, lower-case, in order. */
export const DEVICE_TRAIT_HEADERS = ['user-agent', 'accept-language'] as const;

export interface DeviceKey {
  readonly kid: string;
  /** The key as the KeyValueStore holds it (base64url of 32 random bytes); HMAC'd as its UTF-8 bytes. */
  readonly secret: string;
}

/** The device keys in use: the API tags with `current`; the edge accepts both. */
export interface DeviceKeyRing {
  readonly current: DeviceKey;
  readonly previous?: DeviceKey;
}

/** The traits of a request: each trait header's value as sent ('' when absent). */
export function deviceTraits(header: (name: string) => string | undefined): string {
  return DEVICE_TRAIT_HEADERS.map((name) => `\n${header(name) ?? ''}`).join('');
}

/** The tag of the grant whose policy (as sent in its cookie or query) is `policy`. */
export function deviceTag(key: DeviceKey, policy: string, traits: string): string {
  const mac = createHmac('sha256', key.secret)
    .update(grantId(policy) + traits)
    .digest('base64url')
    .slice(0, 22);
  return `${key.kid}.${mac}`;
}

/** The KeyValueStore's key for `kid`. */
export function deviceKeyName(kid: string): string {
  return `${DEVICE_KEY_PREFIX}${kid}`;
}

/** Whether a KeyValueStore key is a device key (the deny-list sweeper leaves these alone). */
export function isDeviceKeyName(key: string): boolean {
  return key.startsWith(DEVICE_KEY_PREFIX);
}

/** A key ring as stored (the secret's JSON, the local file), or a message saying what is wrong. */
export function parseDeviceKeyRing(text: string): DeviceKeyRing | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const keyOf = (value: unknown): DeviceKey | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    const { kid, secret } = value as Record<string, unknown>;
    return typeof kid === 'string' && DEVICE_KEY_ID.test(kid) && typeof secret === 'string' && secret.length >= 32
      ? { kid, secret }
      : undefined;
  };
  const ring = (parsed ?? {}) as Record<string, unknown>;
  const current = keyOf(ring.current);
  if (current === undefined)
    return 'no valid "current" key ({"kid": 1-16 letters or digits, "secret": 32+ characters})';
  if (ring.previous === undefined) return { current };
  const previous = keyOf(ring.previous);
  if (previous === undefined) return '"previous" is not a valid key';
  return { current, previous };
}

/**
 * The ring after a rotation to `next`: it becomes current, the current one previous, the
 * previous one dropped. What the edge store must hold then: `put` (written before the API tags
 * with `next`), `remove` (deleted after).
 */
export function rotateDeviceKeys(
  ring: DeviceKeyRing | undefined,
  next: DeviceKey,
): { ring: DeviceKeyRing; put: DeviceKey[]; remove: string[] } {
  const kept = ring?.current;
  const dropped = ring?.previous;
  return {
    ring: kept === undefined ? { current: next } : { current: next, previous: kept },
    put: [next, ...(kept === undefined ? [] : [kept])],
    remove: dropped === undefined || dropped.kid === next.kid ? [] : [deviceKeyName(dropped.kid)],
  };
}

/** The parts of a signed grant (lambda/core/media-signer.ts) the tag is added to. */
export interface BindableGrant {
  manifestUrl: string;
  cookies: string[];
  signedQuery?: string;
  drm?: { manifestUrl: string; signedQuery?: string };
}

/**
 * The grant with its device tags: beside each CloudFront-Policy cookie a Streamgate-Device cookie
 * with the same attributes (Path, so one per set), and in each signed query the tag first (own
 * parameters go before CloudFront's; the policy's Resource ends in `*`, so it matches them).
 */
export function bindToDevice<G extends BindableGrant>(grant: G, key: DeviceKey, traits: string): G {
  const cookies = grant.cookies.flatMap((cookie) => {
    const match = /^CloudFront-Policy=([^;]*)(;.*)?$/.exec(cookie);
    return match === null
      ? [cookie]
      : [cookie, `${DEVICE_COOKIE}=${deviceTag(key, match[1], traits)}${match[2] ?? ''}`];
  });
  const tagged = (url: string, query: string | undefined) => {
    if (query === undefined) return { manifestUrl: url, signedQuery: undefined };
    const policy = new URLSearchParams(query).get('Policy') ?? '';
    const signedQuery = `${DEVICE_QUERY_PARAM}=${deviceTag(key, policy, traits)}&${query}`;
    return { manifestUrl: `${url.slice(0, url.indexOf('?'))}?${signedQuery}`, signedQuery };
  };
  const main = tagged(grant.manifestUrl, grant.signedQuery);
  const drm = grant.drm === undefined ? undefined : tagged(grant.drm.manifestUrl, grant.drm.signedQuery);
  return {
    ...grant,
    cookies,
    manifestUrl: main.manifestUrl,
    ...(main.signedQuery === undefined ? {} : { signedQuery: main.signedQuery }),
    ...(drm === undefined
      ? {}
      : {
          drm: {
            manifestUrl: drm.manifestUrl,
            ...(drm.signedQuery === undefined ? {} : { signedQuery: drm.signedQuery }),
          },
        }),
  };
}
