/**
 * Loads the local edge's trusted keys from a key-group file, the local stand-in for the CloudFront
 * key group the CDK app deploys. It enforces CloudFront's own limits (SPKI PEM, RSA-2048 or EC
 * P-256, at most 5 keys: docs/cloudfront-rules.md) so a key that works locally would deploy, and
 * fails at start-up with an error naming the file and the entry rather than 403ing every request.
 *
 * File format: {"keys":[{"id":"K2ABC...","publicKeyPem":"-----BEGIN PUBLIC KEY-----\n..."}]}
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CLOUDFRONT_KEY_TYPES } from '../../lambda/core/cloudfront-key-types';
import { unsupportedKeyReason, type TrustedKey } from './cloudfront-access';

const ACCEPTED_KEY_TYPES = Object.values(CLOUDFRONT_KEY_TYPES)
  .map((type) => type.label)
  .join(' or ');

/** CloudFront quota "public keys in a single key group" (docs/cloudfront-rules.md "Encoding, signature, hash and keys"). */
export const MAX_KEYS_PER_KEY_GROUP = 5;

/** Shape of a CloudFront public key ID (the Key-Pair-Id), e.g. K2JCJMDEHXQW5F. */
const KEY_ID = /^[A-Z0-9]{1,64}$/;
const SPKI_PEM = /^-----BEGIN PUBLIC KEY-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END PUBLIC KEY-----$/;

export class KeyGroupError extends Error {
  readonly code = 'ERR_KEY_GROUP';

  /** @param source the key-group file (or other origin of the JSON); @param entry e.g. `keys[2] (id "K2ABC")` */
  constructor(
    readonly source: string,
    readonly entry: string | undefined,
    detail: string,
  ) {
    super(`key group ${source}${entry === undefined ? '' : `, ${entry}`}: ${detail}`);
    this.name = 'KeyGroupError';
  }
}

/** Reads and validates a key-group file; the caller takes its path from configuration (an env var). */
export function loadKeyGroupFile(path: string): Map<string, TrustedKey> {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new KeyGroupError('(no path)', undefined, 'no key-group file path was given');
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyGroupError(path, undefined, `cannot read the file (${errorText(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new KeyGroupError(path, undefined, `not valid JSON (${errorText(err)})`);
  }
  return parseKeyGroup(json, path);
}

/** Validates parsed key-group JSON; `source` names where it came from in every error. */
export function parseKeyGroup(json: unknown, source: string): Map<string, TrustedKey> {
  if (!isRecord(json)) throw new KeyGroupError(source, undefined, 'expected a JSON object {"keys":[...]}');
  const extra = Object.keys(json).filter((k) => k !== 'keys');
  if (extra.length > 0) throw new KeyGroupError(source, undefined, `unknown field "${extra[0]}"`);
  const entries: unknown = json.keys;
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new KeyGroupError(source, undefined, '"keys" must be a non-empty array');
  }
  if (entries.length > MAX_KEYS_PER_KEY_GROUP) {
    throw new KeyGroupError(
      source,
      undefined,
      `${entries.length} keys; a CloudFront key group holds at most ${MAX_KEYS_PER_KEY_GROUP}`,
    );
  }
  const keys = new Map<string, TrustedKey>();
  entries.forEach((entry: unknown, index: number) => {
    const key = parseEntry(entry, source, index);
    if (keys.has(key.id)) throw new KeyGroupError(source, entryName(index, key.id), 'duplicate id');
    keys.set(key.id, key);
  });
  return keys;
}

function parseEntry(entry: unknown, source: string, index: number): TrustedKey {
  if (!isRecord(entry)) throw new KeyGroupError(source, entryName(index), 'expected {"id", "publicKeyPem"}');
  const id = entry.id;
  const fail = (detail: string): KeyGroupError =>
    new KeyGroupError(source, entryName(index, typeof id === 'string' ? id : undefined), detail);

  const extra = Object.keys(entry).filter((k) => k !== 'id' && k !== 'publicKeyPem');
  if (extra.length > 0) throw fail(`unknown field "${extra[0]}"`);
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw fail(`"id" must match ${KEY_ID.source} (the CloudFront public key ID, e.g. K2JCJMDEHXQW5F)`);
  }
  const pem = entry.publicKeyPem;
  if (typeof pem !== 'string') throw fail('"publicKeyPem" must be a string');
  const publicKey = parseSpkiPem(pem.trim(), fail);
  const reason = unsupportedKeyReason(publicKey);
  if (reason !== undefined) throw fail(`public key is ${reason} (CloudFront accepts ${ACCEPTED_KEY_TYPES})`);
  return { id, publicKey };
}

function parseSpkiPem(pem: string, fail: (detail: string) => KeyGroupError): KeyObject {
  // Never echo the PEM: a misplaced private key must not end up in a log.
  if (/PRIVATE KEY-----/.test(pem)) throw fail('"publicKeyPem" holds a PRIVATE key; put only public keys here');
  if (!SPKI_PEM.test(pem)) {
    const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
    const found =
      label === undefined
        ? 'no PEM block'
        : label !== 'PUBLIC KEY'
          ? `-----BEGIN ${label}-----`
          : 'extra text or more than one block';
    throw fail(`"publicKeyPem" must be exactly one SPKI PEM block (-----BEGIN PUBLIC KEY-----); found ${found}`);
  }
  try {
    return createPublicKey({ key: pem, format: 'pem', type: 'spki' });
  } catch (err) {
    throw fail(`"publicKeyPem" is not a readable public key (${errorText(err)})`);
  }
}

function entryName(index: number, id?: string): string {
  return id === undefined ? `keys[${index}]` : `keys[${index}] (id ${JSON.stringify(id.slice(0, 80))})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
