/**
 * The ClearKey licence request parser (lambda/core/clearkey-request.ts) that the licence proxy and
 * the local ClearKey server share: the W3C shape is read into key ids, and everything else is
 * refused with the reason, including a second spelling of a key id that lenient base64url
 * decoders read as the same 16 bytes.
 */
import {
  CLEARKEY_MAX_KEY_IDS,
  CLEARKEY_MAX_REQUEST_BYTES,
  parseClearKeyRequest,
} from '../../lambda/core/clearkey-request';

const bytes = (text: string) => new TextEncoder().encode(text);
const request = (value: unknown) => bytes(JSON.stringify(value));
/** A key id of 16 bytes, each `fill`, in canonical unpadded base64url. */
const kid = (fill: number) => Buffer.alloc(16, fill).toString('base64url');

test('reads the key ids of a W3C ClearKey request, in order and once each', () => {
  expect(parseClearKeyRequest(request({ kids: [kid(1), kid(2), kid(1)], type: 'temporary' }))).toEqual([
    kid(1),
    kid(2),
  ]);
  // `type` may be left out: the EME default is a temporary session.
  expect(parseClearKeyRequest(request({ kids: [kid(3)] }))).toEqual([kid(3)]);
});

test('refuses what is not a ClearKey request, saying why', () => {
  expect(parseClearKeyRequest(new Uint8Array([0xff, 0xfe, 0x7b]))).toBe('the body is not UTF-8');
  expect(parseClearKeyRequest(bytes('{"kids": ['))).toBe('the body is not JSON');
  expect(parseClearKeyRequest(request([kid(1)]))).toBe('the body is not a JSON object');
  expect(parseClearKeyRequest(request(null))).toBe('the body is not a JSON object');
  expect(parseClearKeyRequest(request({ kids: [kid(1)], persist: true }))).toBe(
    'unexpected member "persist" in the request',
  );
  expect(parseClearKeyRequest(request({ kids: [kid(1)], type: 'persistent-license' }))).toBe(
    'only "temporary" licences are issued',
  );
  expect(parseClearKeyRequest(request({ kids: [] }))).toBe('"kids" must be a non-empty array');
  expect(parseClearKeyRequest(request({ kids: kid(1) }))).toBe('"kids" must be a non-empty array');
  expect(parseClearKeyRequest(request({ kids: [42] }))).toBe(
    'each key id must be 16 bytes in canonical unpadded base64url',
  );
});

test('a member name in the refusal is cut short, so a request cannot write a long line into a reply', () => {
  const long = 'x'.repeat(CLEARKEY_MAX_REQUEST_BYTES);
  expect(parseClearKeyRequest(request({ kids: [kid(1)], [long]: 1 }))).toBe(
    `unexpected member "${'x'.repeat(32)}" in the request`,
  );
});

test(`takes at most ${CLEARKEY_MAX_KEY_IDS} key ids`, () => {
  const most = Array.from({ length: CLEARKEY_MAX_KEY_IDS }, (_, index) => kid(index));
  expect(parseClearKeyRequest(request({ kids: most }))).toEqual(most);
  expect(parseClearKeyRequest(request({ kids: [...most, kid(CLEARKEY_MAX_KEY_IDS)] }))).toBe(
    `at most ${CLEARKEY_MAX_KEY_IDS} key ids per request`,
  );
});

test('a key id is 16 bytes in one spelling only: padded, standard base64, other lengths and second spellings are refused', () => {
  const canonical = kid(0); // 'AAAAAAAAAAAAAAAAAAAAAA'
  // The last character carries 2 bits; 'B' differs only in the 4 bits decoders drop.
  const second = `${canonical.slice(0, 21)}B`;
  expect(Buffer.from(second, 'base64url')).toEqual(Buffer.from(canonical, 'base64url'));
  const standard = Buffer.alloc(16, 0xfb).toString('base64'); // carries '+' and '/'
  expect(standard).toMatch(/[+/]/);
  for (const spelling of [
    second,
    `${canonical}==`,
    standard.replace(/=+$/, ''),
    Buffer.alloc(15, 1).toString('base64url'),
    Buffer.alloc(17, 1).toString('base64url'),
  ]) {
    expect(parseClearKeyRequest(request({ kids: [spelling] }))).toBe(
      'each key id must be 16 bytes in canonical unpadded base64url',
    );
  }
  expect(parseClearKeyRequest(request({ kids: [canonical] }))).toEqual([canonical]);
});
