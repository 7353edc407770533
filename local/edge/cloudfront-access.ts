/**
 * The local edge's access check: decides, the way CloudFront does (docs/cloudfront-rules.md),
 * whether a request to a protected path carries a valid signed URL or signed cookies. It is the
 * executable specification of the deployed distribution, so it is pure (clock, viewer IP and
 * trusted keys are parameters) and strict: anything malformed is a 403 decision, never a throw.
 * Facts marked unverified in docs/cloudfront-rules.md, and choices made where AWS documents nothing, say [U] here.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import { unacceptedKeyReason } from '../../lambda/core/cloudfront-key-types';

/** A public key of the trusted key group, looked up by its Key-Pair-Id (CloudFront public key ID). */
export interface TrustedKey {
  id: string;
  publicKey: KeyObject;
}

export interface EdgeRequest {
  /** As the viewer addressed the edge. */
  scheme: 'http' | 'https';
  /** The Host the viewer addressed, port included when not the default. */
  host: string;
  /** Path + '?' + query exactly as on the wire (percent-encoded), e.g. `req.url` of node:http. */
  rawPath: string;
  /** The raw Cookie header. */
  cookieHeader?: string;
  /** Viewer IP, IPv4 or IPv6. */
  clientIp: string;
  /** Injected clock, epoch seconds. */
  nowSeconds: number;
}

export type AccessDecision =
  | { allowed: true; via: 'url' | 'cookie'; policy: 'canned' | 'custom' }
  | { allowed: false; status: 403; code: string; message: string };

/** CloudFront's 403 codes and messages (docs/cloudfront-rules.md "403 answers"; only MissingKey is verified, the rest are [U]). */
const DENIALS = {
  MissingKey: 'Missing Key-Pair-Id query parameter or cookie value',
  InvalidKey: 'Unknown Key',
  MalformedSignature: 'Could not unencode Signature',
  MalformedPolicy: 'Malformed Policy',
  AccessDenied: 'Access denied',
} as const;
type DenialCode = keyof typeof DENIALS;

/** Largest `AWS:EpochTime` / `Expires`: a signed 32-bit integer (docs/cloudfront-rules.md "Canned and custom policies"). */
const MAX_EPOCH_SECONDS = 2147483647;

/** Query parameters that make CloudFront treat the request as a signed URL and ignore cookies (docs/cloudfront-rules.md "Signed URL or signed cookies"). */
const URL_SIGNING_TRIGGERS = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id'] as const;
/** Query parameters removed before the URL is compared with (or rebuilt into) the policy Resource. */
const SIGNING_QUERY_PARAMS: ReadonlySet<string> = new Set([...URL_SIGNING_TRIGGERS, 'Hash-Algorithm']);

const COOKIE_NAMES = {
  expires: 'CloudFront-Expires',
  policy: 'CloudFront-Policy',
  signature: 'CloudFront-Signature',
  keyPairId: 'CloudFront-Key-Pair-Id',
  hashAlgorithm: 'CloudFront-Hash-Algorithm',
} as const;

type SignedField = keyof typeof COOKIE_NAMES;
const SIGNED_FIELDS: readonly SignedField[] = ['expires', 'policy', 'signature', 'keyPairId', 'hashAlgorithm'];
const QUERY_NAMES: Readonly<Record<SignedField, string>> = {
  expires: 'Expires',
  policy: 'Policy',
  signature: 'Signature',
  keyPairId: 'Key-Pair-Id',
  hashAlgorithm: 'Hash-Algorithm',
};

/** The signing material of one request, from the query or from cookies, values raw as sent. */
type SignedParams = { via: 'url' | 'cookie'; ambiguous: boolean } & Partial<Record<SignedField, string>>;

/** The request URL CloudFront compares with a policy Resource: signing parameters removed. */
interface RequestTarget {
  resourceUrl: string;
  signedQuery: ReadonlyMap<string, readonly string[]>;
}

interface Statement {
  resource?: string;
  dateLessThan: number;
  dateGreaterThan?: number;
  sourceIp?: Ipv4Cidr;
}

interface Ipv4Cidr {
  network: number;
  prefix: number;
}

/**
 * Signatures already verified, per trusted key. Verification is a pure function of the key, the
 * hash, the policy bytes and the signature, and every segment of a session presents the same
 * cookies: remembering the positive answers saves the public-key operation on each of them.
 * The policy's conditions (dates, IP, resource) are still evaluated on every request. Keyed by
 * the KeyObject itself, so a key replaced in the key-group file starts with nothing remembered.
 */
export class VerifiedSignatures {
  private readonly byKey = new WeakMap<KeyObject, Set<string>>();
  constructor(private readonly maxPerKey = 10000) {}

  has(key: KeyObject, entry: string): boolean {
    return this.byKey.get(key)?.has(entry) === true;
  }

  add(key: KeyObject, entry: string): void {
    let entries = this.byKey.get(key);
    if (entries === undefined) {
      entries = new Set();
      this.byKey.set(key, entries);
    }
    if (entries.size >= this.maxPerKey) entries.delete(entries.values().next().value as string);
    entries.add(entry);
  }
}

export function checkSignedAccess(
  req: EdgeRequest,
  trusted: ReadonlyMap<string, TrustedKey>,
  verified?: VerifiedSignatures,
): AccessDecision {
  try {
    return decide(req, trusted, verified);
  } catch {
    // Unreachable by design; the edge must answer 403, not 500, whatever a viewer sends.
    return deny('AccessDenied');
  }
}

/** CloudFront's 403 body (docs/cloudfront-rules.md "403 answers"): one line, XML declaration, no trailing newline. */
export function errorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>`;
}

/**
 * Why CloudFront would refuse this key in a key group (docs/cloudfront-rules.md "Encoding, signature, hash and keys": RSA-2048 or ECDSA P-256 only),
 * or undefined when it is acceptable.
 */
export function unsupportedKeyReason(key: KeyObject): string | undefined {
  if (key.type !== 'public') return `a ${key.type} key, not a public key`;
  return unacceptedKeyReason(key);
}

function decide(
  req: EdgeRequest,
  trusted: ReadonlyMap<string, TrustedKey>,
  verified: VerifiedSignatures | undefined,
): AccessDecision {
  const target = requestTarget(req);
  if (target === undefined) return deny('AccessDenied');
  const signed = URL_SIGNING_TRIGGERS.some((name) => target.signedQuery.has(name))
    ? paramsFromQuery(target.signedQuery)
    : paramsFromCookies(req.cookieHeader);

  // [U] A repeated signing parameter is ambiguous; CloudFront's choice is unknown, so deny.
  if (signed.ambiguous) return deny('AccessDenied');
  // An empty Key-Pair-Id counts as missing (AWS knowledge-center "cloudfront-troubleshoot-signed-url-cookies").
  if (signed.keyPairId === undefined || signed.keyPairId === '') return deny('MissingKey');
  const key = trusted.get(signed.keyPairId);
  if (key === undefined || unsupportedKeyReason(key.publicKey) !== undefined) return deny('InvalidKey');

  const hash = hashFor(signed.hashAlgorithm);
  if (hash === undefined) return deny('AccessDenied'); // [U] unknown Hash-Algorithm value: reject
  // [U] a missing Signature is reported like an undecodable one.
  const signature = signed.signature === undefined ? undefined : decodeBase64Url(signed.signature);
  if (signature === undefined) return deny('MalformedSignature');

  const policy = policyOf(signed, target.resourceUrl);
  if (policy === undefined) return deny('MalformedPolicy');
  const entry = `${hash} ${signature.toString('base64')} ${policy.bytes.toString('base64')}`;
  if (verified === undefined || !verified.has(key.publicKey, entry)) {
    if (!verifySignature(key.publicKey, hash, policy.bytes, signature)) return deny('AccessDenied');
    verified?.add(key.publicKey, entry);
  }
  if (!statementAllows(policy.statement, target.resourceUrl, req)) return deny('AccessDenied');
  return { allowed: true, via: signed.via, policy: policy.kind };
}

function deny(code: DenialCode): AccessDecision {
  return { allowed: false, status: 403, code, message: DENIALS[code] };
}

/**
 * Splits rawPath into the URL compared with the Resource and the signing parameters. The URL
 * stays in its wire form (no decoding, no normalisation): CloudFront verifies the encoded URL.
 */
function requestTarget(req: EdgeRequest): RequestTarget | undefined {
  const { scheme, host, rawPath } = req;
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  if (typeof host !== 'string' || !/^[^\s/?#@]+$/.test(host)) return undefined;
  if (typeof rawPath !== 'string' || !rawPath.startsWith('/')) return undefined;

  const queryStart = rawPath.indexOf('?');
  const path = queryStart === -1 ? rawPath : rawPath.slice(0, queryStart);
  const kept: string[] = [];
  const signedQuery = new Map<string, string[]>();
  if (queryStart !== -1) {
    for (const pair of rawPath.slice(queryStart + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      // [U] names match case-sensitively and undecoded: `expires=` or `Key%2DPair%2DId=` are the viewer's own.
      if (SIGNING_QUERY_PARAMS.has(name)) {
        const values = signedQuery.get(name) ?? [];
        values.push(eq === -1 ? '' : pair.slice(eq + 1));
        signedQuery.set(name, values);
      } else if (pair !== '') {
        kept.push(pair); // [U] empty pairs (`a=1&&b=2`) are dropped, as the SDK signer drops them
      }
    }
  }
  const query = kept.length > 0 ? `?${kept.join('&')}` : ''; // `?` omitted when no query is left (docs/cloudfront-rules.md "Canned and custom policies")
  return { resourceUrl: `${scheme}://${host}${path}${query}`, signedQuery };
}

function paramsFromQuery(query: ReadonlyMap<string, readonly string[]>): SignedParams {
  const params: SignedParams = { via: 'url', ambiguous: false };
  for (const field of SIGNED_FIELDS) {
    const values = query.get(QUERY_NAMES[field]);
    if (values === undefined) continue;
    if (values.length > 1) params.ambiguous = true;
    params[field] = values[0];
  }
  return params;
}

function paramsFromCookies(cookieHeader: string | undefined): SignedParams {
  const jar = parseCookieHeader(cookieHeader);
  const params: SignedParams = { via: 'cookie', ambiguous: false };
  for (const field of SIGNED_FIELDS) {
    const value = jar.get(COOKIE_NAMES[field]);
    if (value !== undefined) params[field] = value;
  }
  return params;
}

/**
 * Tolerant Cookie header parsing: `;`-separated `name=value`, surrounding whitespace trimmed,
 * pairs without `=` skipped. [U] Names are case-sensitive, values are not percent-decoded nor
 * unquoted, and of repeated names the first wins (browsers send the most specific path first).
 */
function parseCookieHeader(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  if (typeof header !== 'string') return jar;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '' && !jar.has(name)) jar.set(name, part.slice(eq + 1).trim());
  }
  return jar;
}

/** SHA-1 unless the request says SHA256 (docs/cloudfront-rules.md "Encoding, signature, hash and keys"); [U] values are case-sensitive, others rejected. */
function hashFor(value: string | undefined): 'sha1' | 'sha256' | undefined {
  if (value === undefined || value === 'SHA1') return 'sha1';
  return value === 'SHA256' ? 'sha256' : undefined;
}

const BASE64URL_CANONICAL = /^(?:[A-Za-z0-9~-]{4})*(?:[A-Za-z0-9~-]{2}__|[A-Za-z0-9~-]{3}_)?$/;

/**
 * CloudFront's URL-safe base64 (`+`→`-`, `=`→`_`, `/`→`~`, docs/cloudfront-rules.md "Encoding, signature, hash and keys"). [U] Strict: padding required
 * and canonical, so no two spellings decode to the same bytes; the standard alphabet is refused.
 */
function decodeBase64Url(text: string): Buffer | undefined {
  if (text === '' || !BASE64URL_CANONICAL.test(text)) return undefined;
  const standard = text.replace(/-/g, '+').replace(/~/g, '/').replace(/_/g, '=');
  const bytes = Buffer.from(standard, 'base64');
  return bytes.toString('base64') === standard ? bytes : undefined;
}

interface SignedPolicy {
  kind: 'canned' | 'custom';
  bytes: Buffer;
  statement: Statement;
}

function policyOf(signed: SignedParams, resourceUrl: string): SignedPolicy | undefined {
  // [U] both or neither of Expires/Policy: CloudFront's answer is unknown; treat as a malformed policy.
  if ((signed.policy === undefined) === (signed.expires === undefined)) return undefined;
  if (signed.expires !== undefined) return cannedPolicy(signed.expires, resourceUrl);
  const bytes = decodeBase64Url(signed.policy ?? '');
  if (bytes === undefined) return undefined;
  const statement = parseCustomPolicy(bytes);
  return statement === undefined ? undefined : { kind: 'custom', bytes, statement };
}

/** The canned policy CloudFront rebuilds from the request (docs/cloudfront-rules.md "Canned and custom policies"): this key order, no whitespace. */
function cannedPolicy(expires: string, resourceUrl: string): SignedPolicy | undefined {
  // [U] a malformed Expires (not a decimal integer, leading zero, > 2^31-1) is a malformed policy.
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(expires)) return undefined;
  const dateLessThan = Number(expires);
  if (dateLessThan > MAX_EPOCH_SECONDS) return undefined;
  const json = JSON.stringify({
    Statement: [{ Resource: resourceUrl, Condition: { DateLessThan: { 'AWS:EpochTime': dateLessThan } } }],
  });
  return { kind: 'canned', bytes: Buffer.from(json, 'utf8'), statement: { resource: resourceUrl, dateLessThan } };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A custom policy (docs/cloudfront-rules.md "Canned and custom policies"): exactly one Statement, exact parameter names, DateLessThan required,
 * key order free. [U] Unknown keys, a BOM, or quoted numbers make it malformed; duplicate JSON
 * keys follow JSON.parse (last wins).
 */
function parseCustomPolicy(bytes: Buffer): Statement | undefined {
  let root: unknown;
  try {
    root = JSON.parse(STRICT_UTF8.decode(bytes));
  } catch {
    return undefined;
  }
  if (!isRecordWithOnly(root, ['Statement'], ['Statement'])) return undefined;
  const statements: unknown = root.Statement;
  if (!Array.isArray(statements) || statements.length !== 1) return undefined;
  const first: unknown = statements[0];
  if (!isRecordWithOnly(first, ['Resource', 'Condition'], ['Condition'])) return undefined;
  const { Resource: resource, Condition: condition } = first;
  if (resource !== undefined && typeof resource !== 'string') return undefined;
  if (!isRecordWithOnly(condition, ['DateLessThan', 'DateGreaterThan', 'IpAddress'], ['DateLessThan']))
    return undefined;

  const dateLessThan = epochCondition(condition.DateLessThan);
  if (dateLessThan === undefined) return undefined;
  const statement: Statement = { dateLessThan };
  if (resource !== undefined) statement.resource = resource;
  if (condition.DateGreaterThan !== undefined) {
    statement.dateGreaterThan = epochCondition(condition.DateGreaterThan);
    if (statement.dateGreaterThan === undefined) return undefined;
  }
  if (condition.IpAddress !== undefined) {
    const ip = condition.IpAddress;
    statement.sourceIp = isRecordWithOnly(ip, ['AWS:SourceIp'], ['AWS:SourceIp'])
      ? parseCidr(ip['AWS:SourceIp'])
      : undefined;
    if (statement.sourceIp === undefined) return undefined;
  }
  return statement;
}

function epochCondition(value: unknown): number | undefined {
  if (!isRecordWithOnly(value, ['AWS:EpochTime'], ['AWS:EpochTime'])) return undefined;
  const epoch = value['AWS:EpochTime'];
  return typeof epoch === 'number' && Number.isInteger(epoch) && epoch >= 0 && epoch <= MAX_EPOCH_SECONDS
    ? epoch
    : undefined;
}

function isRecordWithOnly(
  value: unknown,
  allowed: readonly string[],
  required: readonly string[],
): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.every((k) => allowed.includes(k)) && required.every((k) => keys.includes(k));
}

/** [U] Strict IPv4 CIDR: dotted quad without leading zeros and an explicit `/0`–`/32` (the SDK always writes one). */
function parseCidr(value: unknown): Ipv4Cidr | undefined {
  if (typeof value !== 'string') return undefined;
  const slash = value.indexOf('/');
  if (slash === -1) return undefined;
  const network = parseIpv4(value.slice(0, slash));
  const prefixText = value.slice(slash + 1);
  if (network === undefined || !/^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefixText)) return undefined;
  return { network, prefix: Number(prefixText) };
}

function parseIpv4(text: string): number | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^(?:0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) {
    return undefined;
  }
  return octets.reduce((acc, o) => acc * 256 + Number(o), 0);
}

function verifySignature(key: KeyObject, hash: 'sha1' | 'sha256', data: Buffer, signature: Buffer): boolean {
  try {
    return key.asymmetricKeyType === 'rsa'
      ? verify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
      : verify(hash, data, { key, dsaEncoding: 'der' }, signature); // [U] ECDSA signatures are ASN.1 DER
  } catch {
    return false;
  }
}

function statementAllows(statement: Statement, resourceUrl: string, req: EdgeRequest): boolean {
  const now = req.nowSeconds;
  if (typeof now !== 'number' || !Number.isFinite(now)) return false;
  if (!(now < statement.dateLessThan)) return false; // [U] now == DateLessThan is expired
  if (statement.dateGreaterThan !== undefined && !(now > statement.dateGreaterThan)) return false;
  if (statement.sourceIp !== undefined && !ipv4InCidr(req.clientIp, statement.sourceIp)) return false;
  // An omitted Resource grants every URL (docs/cloudfront-rules.md "Canned and custom policies"); [U] matching is case-sensitive.
  return statement.resource === undefined || wildcardMatch(statement.resource, resourceUrl);
}

/**
 * IpAddress is IPv4 only (docs/cloudfront-rules.md "Canned and custom policies"): an IPv6 viewer never matches. An IPv4-mapped IPv6 address is a
 * dual-stack socket's spelling of an IPv4 viewer (CloudFront sees the IPv4), so it is unmapped.
 */
function ipv4InCidr(clientIp: string, cidr: Ipv4Cidr): boolean {
  if (typeof clientIp !== 'string') return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientIp);
  const ip = parseIpv4(mapped === null ? clientIp : mapped[1]);
  if (ip === undefined) return false;
  const size = 2 ** (32 - cidr.prefix);
  return Math.floor(ip / size) === Math.floor(cidr.network / size);
}

/**
 * `*` matches zero or more characters and `?` exactly one, anywhere (docs/cloudfront-rules.md "Canned and custom policies"). Greedy with one
 * backtrack point: linear in practice, no regular expression built from viewer input.
 */
function wildcardMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let starTi = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] === '*') {
      star = pi++;
      starTi = ti;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (star !== -1) {
      pi = star + 1;
      ti = ++starTi;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  '"': '&quot;',
  "'": '&apos;',
};

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => XML_ENTITIES[c] ?? c);
}
