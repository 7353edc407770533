/**
 * Grant ids (lambda/core/edge-deny-list.ts), the key of the edge's deny-list: one per byte string
 * of a signature, whatever base64 spelling carries it, and the same in the deployed function.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { canonicalSignature, grantId } from '../../lambda/core/edge-deny-list';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';

/** CloudFront's URL-safe base64: + → -, = → _, / → ~. */
const cloudFront = (bytes: Buffer) =>
  bytes.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');

test('every spelling of the same bytes has one id; different bytes, different ids', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      (a, b) => {
        const bytes = Buffer.from(a);
        const spellings = [
          cloudFront(bytes),
          bytes.toString('base64'),
          bytes.toString('base64').replace(/=+$/, ''),
          encodeURIComponent(bytes.toString('base64')),
        ];
        const ids = new Set(spellings.map((spelling) => grantId(decodeURIComponent(spelling))));
        expect(ids.size).toBe(1);
        if (!Buffer.from(b).equals(bytes)) expect(grantId(cloudFront(Buffer.from(b)))).not.toBe([...ids][0]);
      },
    ),
  );
});

test('the canonical spelling decodes to the same bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (a) => {
      expect(Buffer.from(canonicalSignature(cloudFront(Buffer.from(a))), 'base64').equals(Buffer.from(a))).toBe(true);
    }),
  );
});

test('the deployed function computes the same id as the API for 200 real-sized signatures', async () => {
  const ids = new Map<string, string>();
  const signatures = Array.from({ length: 200 }, () => cloudFront(randomBytes(256)));
  const denyList = { get: (key: string) => ids.get(key) };
  for (const signature of signatures) ids.set(grantId(signature), `revoked ${2 ** 31}`);
  const fn = ViewerRequestFunction.fromFile(undefined, { keyValueStore: denyList });
  for (const signature of signatures) {
    const outcome = await fn.run({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '127.0.0.1' },
      request: {
        method: 'GET',
        uri: '/media/demo-1/index.m3u8',
        querystring: {},
        headers: {},
        cookies: { 'CloudFront-Signature': { value: signature } },
      },
    });
    expect(outcome).toMatchObject({ kind: 'response', statusCode: 403 });
  }
});
