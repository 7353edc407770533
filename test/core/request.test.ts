/**
 * lambda/core/request.ts: what the caller controls outside the token (Authorization header,
 * videoId, query string, a sub or jti) is checked before any crypto, each refusal its own.
 */
import { InvalidRequest, InvalidToken } from '../../lambda/core/errors';
import { bearerToken, deliveryParam, isIdentifier, videoIdParam } from '../../lambda/core/request';

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

function reasonOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    if (error instanceof InvalidToken || error instanceof InvalidRequest) return `${error.status} ${error.reason}`;
    throw error;
  }
  throw new Error('not refused');
}

describe('bearerToken', () => {
  test('takes the token of a "Bearer <token>" header, the scheme in any case, surrounding space trimmed', () => {
    expect(bearerToken(`Bearer ${JWT}`, 8192)).toBe(JWT);
    expect(bearerToken(`bearer ${JWT}  `, 8192)).toBe(JWT);
  });

  test('no header, or a blank one, is missing_token (the RFC 6750 case with no error code)', () => {
    expect(reasonOf(() => bearerToken(undefined, 8192))).toBe('401 missing_token');
    expect(reasonOf(() => bearerToken('   ', 8192))).toBe('401 missing_token');
  });

  test('a header over the size bound is refused as oversize before it is parsed; one at the bound is read', () => {
    const token = 'a'.repeat(100);
    expect(bearerToken(`Bearer ${token}`, 100)).toBe(token);
    expect(reasonOf(() => bearerToken(`Bearer ${token}a`, 100))).toBe('401 oversize_token');
    // Not even a well-formed header: size is the first thing looked at.
    expect(reasonOf(() => bearerToken(`Basic ${'x'.repeat(200)}`, 100))).toBe('401 oversize_token');
  });

  test('another scheme, two tokens, or characters no JWT contains are malformed_token', () => {
    for (const header of [`Basic ${JWT}`, `Bearer ${JWT} ${JWT}`, 'Bearer', `Bearer ${JWT}"`, `Bearer ${JWT},x`]) {
      expect(reasonOf(() => bearerToken(header, 8192))).toBe('401 malformed_token');
    }
  });
});

describe('videoIdParam', () => {
  test('takes 1 to 128 letters, digits, "_" and "-"', () => {
    expect(videoIdParam('demo-1_A')).toBe('demo-1_A');
    expect(videoIdParam('v'.repeat(128))).toBe('v'.repeat(128));
  });

  test('anything else, or none, is 400: no path traversal, no encoding tricks, no length abuse', () => {
    for (const raw of [undefined, '', '../etc', 'a/b', 'a%2Fb', 'a.b', 'v'.repeat(129), 'démo']) {
      expect(reasonOf(() => videoIdParam(raw))).toBe('400 bad_request');
    }
  });
});

describe('deliveryParam', () => {
  test('cookie by default, or as asked; url as asked', () => {
    expect(deliveryParam(undefined)).toBe('cookie');
    expect(deliveryParam({})).toBe('cookie');
    expect(deliveryParam({ delivery: 'cookie' })).toBe('cookie');
    expect(deliveryParam({ delivery: 'url' })).toBe('url');
  });

  test('another value, or any other parameter, is 400 naming it', () => {
    expect(() => deliveryParam({ delivery: 'URL' })).toThrow('delivery must be "cookie" or "url"');
    expect(() => deliveryParam({ delivery: 'url', expires: '1' })).toThrow('unknown query parameter "expires"');
  });
});

test('an identifier (sub, jti) is a string of 1 to 256 characters without control characters', () => {
  expect([isIdentifier('a'), isIdentifier('x'.repeat(256)), isIdentifier('ünïcode ok')]).toEqual([true, true, true]);
  for (const bad of ['', 'x'.repeat(257), 'a\nb', 'a\u0000', 'tab\there', 'del\u007f', 7, null, undefined, ['a']]) {
    expect(isIdentifier(bad)).toBe(false);
  }
});
