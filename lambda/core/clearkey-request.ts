/**
 * The W3C EME ClearKey licence request (https://www.w3.org/TR/encrypted-media/#clear-key-request-format):
 * `{"kids": ["<base64url key id>", ...], "type": "temporary"}`. One parser, shared by the licence
 * proxy (which refuses a malformed request before any licence server sees it) and the local
 * ClearKey server (local/drm/clearkey-server.ts), so the two can never disagree on what is malformed.
 */

/** A ClearKey request is a few key ids: 4 KiB is generous and keeps parsing cheap. */
export const CLEARKEY_MAX_REQUEST_BYTES = 4096;
/** More key ids than any one video has; a cap on the work one request can ask for. */
export const CLEARKEY_MAX_KEY_IDS = 16;
/** Only temporary sessions are licensed: a persistent licence would outlive its grant's revocation. */
export const CLEARKEY_SESSION_TYPE = 'temporary';
/** The one shape this parser accepts, for error messages. */
export const CLEARKEY_REQUEST_SHAPE = '{"kids": ["<base64url key id>"], "type": "temporary"}';

// 16 bytes in unpadded base64url are 22 characters, the last one carrying 2 bits (A, Q, g or w):
// any other last character is a second spelling of the same key id.
const KEY_ID_B64URL = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/**
 * The request's key ids (base64url, deduplicated, in order), or why it is not a ClearKey request:
 * not UTF-8 JSON, not an object, a member other than `kids` and `type`, a `type` other than
 * `temporary`, 0 or more than 16 key ids, or a key id that is not 16 bytes in canonical
 * unpadded base64url.
 */
export function parseClearKeyRequest(bytes: Uint8Array): string[] | string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'the body is not UTF-8';
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body is not a JSON object';
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).find((name) => name !== 'kids' && name !== 'type');
  if (extra !== undefined) return `unexpected member "${extra.slice(0, 32)}" in the request`;
  if (record.type !== undefined && record.type !== CLEARKEY_SESSION_TYPE)
    return `only "${CLEARKEY_SESSION_TYPE}" licences are issued`;
  const { kids } = record;
  if (!Array.isArray(kids) || kids.length === 0) return '"kids" must be a non-empty array';
  if (kids.length > CLEARKEY_MAX_KEY_IDS) return `at most ${CLEARKEY_MAX_KEY_IDS} key ids per request`;
  for (const kid of kids)
    if (typeof kid !== 'string' || !KEY_ID_B64URL.test(kid))
      return 'each key id must be 16 bytes in canonical unpadded base64url';
  return [...new Set(kids as string[])];
}
