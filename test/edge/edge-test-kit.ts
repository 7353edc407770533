/**
 * Shared pieces of the edge conformance tests: in-memory test keys (never written to disk), a
 * hand signer on node:crypto independent of @aws-sdk/cloudfront-signer, and the conversion of a
 * signed URL or cookie set into the EdgeRequest the access check sees.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudfrontSignedCookiesOutput } from '@aws-sdk/cloudfront-signer';
import type { EdgeRequest, TrustedKey } from '../../local/edge/cloudfront-access';

export const HOST = 'd111111abcdef8.cloudfront.net';
export const ORIGIN = `https://${HOST}`;
/** Fixed clock for the tests: 2023-11-14T22:13:20Z. */
export const NOW = 1_700_000_000;
export const VIEWER_IP = '203.0.113.7';

export interface TestKey {
  label: 'RSA-2048' | 'EC P-256';
  id: string;
  privateKeyPem: string;
  privateKey: KeyObject;
  trusted: Map<string, TrustedKey>;
}

export function generateTestKey(label: TestKey['label'], id: string): TestKey {
  const { privateKey } =
    label === 'RSA-2048'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { label, id, privateKeyPem, privateKey, trusted: trustedMap(id, createPublicKey(privateKey)) };
}

export function trustedMap(id: string, publicKey: KeyObject): Map<string, TrustedKey> {
  return new Map([[id, { id, publicKey }]]);
}

export function publicKeyPemOf(key: TestKey): string {
  return createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** CloudFront's URL-safe base64 (docs/cloudfront-rules.md), written independently of the SDK. */
export function toBase64Url(data: Buffer | string): string {
  const b64 = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  return b64.replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');
}

/** Signs policy bytes with node:crypto: RSA PKCS#1 v1.5 or ECDSA (DER), SHA-1 or SHA-256. */
export function handSign(policy: string, key: KeyObject | string, hash: 'sha1' | 'sha256' = 'sha1'): string {
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  return toBase64Url(sign(hash, Buffer.from(policy, 'utf8'), privateKey));
}

export function cannedPolicy(resource: string, expires: number): string {
  return `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
}

/** A custom policy JSON string in the key order the SDK writes. */
export function customPolicy(opts: {
  resource?: string;
  dateLessThan: number;
  dateGreaterThan?: number;
  sourceIp?: string;
}): string {
  const condition: Record<string, unknown> = { DateLessThan: { 'AWS:EpochTime': opts.dateLessThan } };
  if (opts.dateGreaterThan !== undefined) condition.DateGreaterThan = { 'AWS:EpochTime': opts.dateGreaterThan };
  if (opts.sourceIp !== undefined) condition.IpAddress = { 'AWS:SourceIp': opts.sourceIp };
  const statement: Record<string, unknown> = {};
  if (opts.resource !== undefined) statement.Resource = opts.resource;
  statement.Condition = condition;
  return JSON.stringify({ Statement: [statement] });
}

/** The EdgeRequest for a URL exactly as written (no URL normalisation: the wire form). */
export function requestFor(url: string, extra: Partial<EdgeRequest> = {}): EdgeRequest {
  const match = /^(https?):\/\/([^/]+)(\/[\s\S]*)$/.exec(url);
  if (match === null) throw new Error(`not an absolute http(s) URL with a path: ${url}`);
  const scheme = match[1] === 'http' ? 'http' : 'https';
  return { scheme, host: match[2], rawPath: match[3], clientIp: VIEWER_IP, nowSeconds: NOW, ...extra };
}

/** The Cookie header a browser would send for these cookies, in the given order. */
export function cookieHeader(cookies: CloudfrontSignedCookiesOutput | Record<string, string | number>): string {
  return Object.entries(cookies)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/** Epoch seconds as a Date, for the SDK's dateLessThan/dateGreaterThan. */
export function at(epochSeconds: number): Date {
  return new Date(epochSeconds * 1000);
}

/** Replaces (or appends) one query parameter, keeping the rest of the URL byte for byte. */
export function withParam(url: string, name: string, value: string | undefined): string {
  const [base, query = ''] = splitOnce(url, '?');
  const pairs = query === '' ? [] : query.split('&');
  const index = pairs.findIndex((p) => p === name || p.startsWith(`${name}=`));
  const replacement = value === undefined ? [] : [`${name}=${value}`];
  if (index === -1) pairs.push(...replacement);
  else pairs.splice(index, 1, ...replacement);
  return pairs.length === 0 ? base : `${base}?${pairs.join('&')}`;
}

export function paramOf(url: string, name: string): string {
  const query = splitOnce(url, '?')[1] ?? '';
  const pair = query.split('&').find((p) => p.startsWith(`${name}=`));
  if (pair === undefined) throw new Error(`no ${name} in ${url}`);
  return pair.slice(name.length + 1);
}

function splitOnce(text: string, sep: string): [string, string?] {
  const i = text.indexOf(sep);
  return i === -1 ? [text] : [text.slice(0, i), text.slice(i + 1)];
}

/** The published aws-sdk-js-v3 test key's PUBLIC half (published in aws-sdk-js-v3's cloudfront-signer sign.spec.ts). */
export function sdkTestPublicKeyPem(): string {
  return readFileSync(join(__dirname, '..', 'fixtures', 'edge', 'aws-sdk-js-v3-test-key.pub.pem'), 'utf8');
}
