/**
 * Validation of what the caller controls outside the token: the Authorization header, the
 * videoId path parameter and the query string. Cheap checks, done before any crypto.
 */
import { VIDEO_ID } from './entitlement-rules';
import { InvalidRequest, InvalidToken } from './errors';

/** RFC 6750 §2.1 b64token, which every compact JWS satisfies. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A `sub` or `jti`: 1 to 256 characters, no control characters (they end up in keys and logs). */
export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value);
}

/**
 * Extracts the bearer token. Header values longer than `maxBytes` are refused before any
 * parsing, so an oversize header costs nothing.
 */
export function bearerToken(authorization: string | undefined, maxBytes: number): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new InvalidToken('missing_token', 'a bearer token is required');
  }
  if (authorization.length > maxBytes + 'Bearer '.length) {
    throw new InvalidToken('oversize_token', `token is larger than ${maxBytes} bytes`);
  }
  const match = /^Bearer ([^ ]+)$/i.exec(authorization.trim());
  if (match === null) {
    throw new InvalidToken('malformed_token', 'the Authorization header must be "Bearer <token>"');
  }
  const token = match[1];
  if (!B64TOKEN.test(token))
    throw new InvalidToken('malformed_token', 'the bearer token has characters a JWT cannot contain');
  return token;
}

export function videoIdParam(raw: string | undefined): string {
  if (raw === undefined || !VIDEO_ID.test(raw)) {
    throw new InvalidRequest('videoId must be 1 to 128 characters of A-Z, a-z, 0-9, "_" or "-"');
  }
  return raw;
}

export type Delivery = 'cookie' | 'url';

/** The playback route takes one optional query parameter, `delivery=cookie|url`. */
export function deliveryParam(query: Readonly<Record<string, string | undefined>> | undefined): Delivery {
  const entries = Object.entries(query ?? {});
  const unknown = entries.find(([name]) => name !== 'delivery');
  if (unknown !== undefined) throw new InvalidRequest(`unknown query parameter "${unknown[0].slice(0, 32)}"`);
  const delivery = query?.delivery;
  if (delivery === undefined || delivery === 'cookie') return 'cookie';
  if (delivery === 'url') return 'url';
  throw new InvalidRequest('delivery must be "cookie" or "url"');
}
