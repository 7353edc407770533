/**
 * "A revoked grant never passes the edge's deny-list, however it is re-presented", as a property,
 * for each key type CloudFront accepts: grants minted by the real signer, their ids written to a
 * deny-list as the replicator writes them, and the deployed viewer-request function asked about
 * random re-presentations of a revoked grant (policy spelling, field name spelling, cookie or
 * query, another viewer's grant beside it, its signature as issued, re-spelled, replaced by its
 * ECDSA twin or by another's, or dropped). The same re-presentation of a live grant passes, so
 * the refusals are the deny-list's, not the function's dislike of the spelling. Every kind of
 * denial (logout, admin, cut-off, sharing, eviction) writes the same id: what differs is the
 * reason, which the function returns as is.
 */
import { verify } from 'node:crypto';
import fc from 'fast-check';
import { CLOUDFRONT_KEY_ALGORITHMS, type CloudFrontKeyAlgorithm } from '../../lambda/core/cloudfront-key-types';
import { DENY_REASONS, denyValue } from '../../lambda/core/edge-deny-list';
import { MediaSigner, type SignedGrant } from '../../lambda/core/media-signer';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';
import { ecdsaTwinOf } from '../support/ecdsa-twin';
import { newSigningKey, signingConfig } from '../support/media-signers';

const NOW = 1_800_000_000;
const MANIFEST = '/media/demo-1/index.m3u8';

/** CloudFront's base64 as standard base64, padded. */
const standard = (value: string): string => value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
const fromCloudFront = (value: string): Buffer => Buffer.from(standard(value), 'base64');

/** A grant's policy and signature, as its cookies carry them. */
interface Parts {
  policy: string;
  signature: string;
}

function cookieParts(grant: SignedGrant): Parts {
  const value = (name: string) =>
    grant.cookies
      .find((cookie) => cookie.startsWith(`${name}=`))
      ?.split(';')[0]
      .slice(name.length + 1) ?? '';
  return { policy: value('CloudFront-Policy'), signature: value('CloudFront-Signature') };
}

function queryParts(grant: SignedGrant): Parts {
  const query = new URLSearchParams(grant.signedQuery ?? '');
  return { policy: query.get('Policy') ?? '', signature: query.get('Signature') ?? '' };
}

/** How a value (policy or signature) is re-spelled: each gives the same bytes to a lenient decoder. */
const SPELLINGS: Record<string, (value: string) => string> = {
  'as issued': (value) => value,
  'standard alphabet': standard,
  'no padding': (value) => value.replace(/_+$/, ''),
  'percent-encoded': (value) => encodeURIComponent(standard(value)),
  quoted: (value) => `"${value}"`,
  'with spaces': (value) => value.replace(/(.{16})/g, '$1 '),
};
/** How a field name is spelled (CloudFront may match names in any case, or decoded). */
const NAMES: Record<string, (name: string) => string> = {
  'as issued': (name) => name,
  'lower case': (name) => name.toLowerCase(),
  'upper case': (name) => name.toUpperCase(),
  'percent-encoded first letter': (name) => `%${name.charCodeAt(0).toString(16)}${name.slice(1)}`,
};

interface Presentation {
  where: 'cookie' | 'query' | 'both';
  policySpelling: string;
  nameSpelling: string;
  signature: 'as issued' | 'respelled' | 'twin' | 'another viewer’s' | 'none';
  decoy: 'none' | 'before' | 'after';
}

const presentations = fc.record<Presentation>({
  where: fc.constantFrom('cookie', 'query', 'both'),
  policySpelling: fc.constantFrom(...Object.keys(SPELLINGS)),
  nameSpelling: fc.constantFrom(...Object.keys(NAMES)),
  signature: fc.constantFrom('as issued', 'respelled', 'twin', 'another viewer’s', 'none'),
  decoy: fc.constantFrom('none', 'before', 'after'),
});

type Fields = Record<string, { value: string; multiValue?: { value: string }[] }>;

/** The request's cookies and query for `grant` presented as `p`, beside `decoy` (another live grant). */
function request(p: Presentation, grant: Parts, decoy: Parts, ecdsa: boolean): { cookies: Fields; query: Fields } {
  const signature = {
    'as issued': grant.signature,
    respelled: standard(grant.signature),
    // RSA PKCS#1 v1.5 has no twin: the closest a viewer gets is another spelling.
    twin: ecdsa ? ecdsaTwinOf(grant.signature) : standard(grant.signature),
    'another viewer’s': decoy.signature,
    none: undefined,
  }[p.signature];
  const fields = (policyName: string, signatureName: string): Fields => {
    const values = new Map<string, string[]>();
    const add = (name: string, value: string | undefined, decoyValue: string) => {
      if (value === undefined) return;
      const list = p.decoy === 'before' ? [decoyValue, value] : p.decoy === 'after' ? [value, decoyValue] : [value];
      values.set(NAMES[p.nameSpelling](name), list);
    };
    add(policyName, SPELLINGS[p.policySpelling](grant.policy), decoy.policy);
    add(signatureName, signature, decoy.signature);
    return Object.fromEntries(
      [...values].map(([name, list]) => [
        name,
        list.length === 1 ? { value: list[0] } : { value: list[0], multiValue: list.map((value) => ({ value })) },
      ]),
    );
  };
  return {
    cookies: p.where === 'query' ? {} : fields('CloudFront-Policy', 'CloudFront-Signature'),
    query: p.where === 'cookie' ? {} : fields('Policy', 'Signature'),
  };
}

/** The real signer over a new key of `algorithm`, and a minting of cookie and URL grants for demo-1. */
function signerOf(algorithm: CloudFrontKeyAlgorithm) {
  const key = newSigningKey(algorithm);
  const { publicKey } = key;
  const signer = new MediaSigner(signingConfig(), key);
  const mint = () => {
    const request = { videoId: 'demo-1', nowSeconds: NOW, notAfterSeconds: NOW + 3600, viewerIp: undefined };
    return { cookies: signer.signCookies(request), url: signer.signUrl(request) };
  };
  return { publicKey, mint };
}

describe.each(CLOUDFRONT_KEY_ALGORITHMS)('signing with %s', (algorithm) => {
  const { mint } = signerOf(algorithm);
  const ecdsa = algorithm === 'ECDSA_P256';

  test.each(DENY_REASONS)(
    'a grant denied as %s is refused with that reason however it is re-presented; the same re-presentation of a live grant passes',
    async (reason) => {
      const revoked = mint();
      const live = mint();
      const store = new Map<string, string>();
      for (const id of [...revoked.cookies.grantIds, ...revoked.url.grantIds])
        store.set(id, denyValue({ reason, expiresAt: NOW + 330 }));
      const fn = ViewerRequestFunction.fromFile(undefined, { keyValueStore: { get: (key) => store.get(key) } });
      const verdict = async (fields: { cookies: Fields; query: Fields }) => {
        const outcome = await fn.run({
          version: '1.0',
          context: { eventType: 'viewer-request' },
          viewer: { ip: '203.0.113.7' },
          request: { method: 'GET', uri: MANIFEST, querystring: fields.query, headers: {}, cookies: fields.cookies },
        });
        if (outcome.kind === 'request') return 'passed';
        if (outcome.kind === 'error') return `error ${outcome.reason}`;
        return `${outcome.statusCode} ${outcome.headers.find(([name]) => name === 'x-streamgate-denied')?.[1]}`;
      };
      // A third grant stands beside the one presented: never denied, so it decides nothing.
      const decoy = mint();
      await fc.assert(
        fc.asyncProperty(presentations, fc.constantFrom('cookies', 'url'), async (p, delivery) => {
          const parts = delivery === 'cookies' ? cookieParts : queryParts;
          expect(await verdict(request(p, parts(revoked[delivery]), parts(decoy[delivery]), ecdsa))).toBe(
            `403 ${reason}`,
          );
          expect(await verdict(request(p, parts(live[delivery]), parts(decoy[delivery]), ecdsa))).toBe('passed');
        }),
        { seed: 20, numRuns: 300 },
      );
    },
  );
});

test('the signature a viewer makes without the key (an ECDSA grant’s twin) verifies: only the policy can identify the grant', () => {
  const { publicKey, mint } = signerOf('ECDSA_P256');
  const { policy, signature } = cookieParts(mint().cookies);
  const policyBytes = fromCloudFront(policy);
  expect(verify('sha256', policyBytes, publicKey, fromCloudFront(signature))).toBe(true);
  const twin = ecdsaTwinOf(signature);
  expect(twin).not.toBe(signature);
  expect(verify('sha256', policyBytes, publicKey, fromCloudFront(twin))).toBe(true);
});
