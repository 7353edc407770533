/** Real keys and real JWTs for tests: an IdP key pair, a minter, and hand-built hostile tokens. */
import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export const ISSUER = 'https://idp.test.example/';
export const AUDIENCE = 'streamgate-test';

export interface IdpKey {
  alg: 'RS256' | 'ES256';
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

export function idpKey(alg: 'RS256' | 'ES256', kid = `${alg.toLowerCase()}-key`): IdpKey {
  const { privateKey, publicKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { alg, kid, privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function jwksOf(...keys: IdpKey[]): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.map((key) => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', alg: key.alg })),
  };
}

export interface MintOptions {
  claims?: JWTPayload;
  /** Claim names to leave out entirely. */
  omit?: string[];
  header?: Record<string, unknown>;
  /** Epoch seconds used for iat/nbf/exp defaults. */
  now?: number;
  lifetime?: number;
}

/** A valid token by default: every test changes exactly one thing. */
export async function mint(key: IdpKey, options: MintOptions = {}): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { ...validClaims(now), exp: now + (options.lifetime ?? 900), ...options.claims };
  for (const name of options.omit ?? []) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
    .sign(key.privateKey);
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** An unsigned `alg: none` token (jose refuses to make one, so it is built by hand). */
export function unsignedToken(claims: JWTPayload): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
}

/** The classic HS/RS confusion attack: HS256 with the RSA public key's PEM text as the HMAC secret. */
export function hmacWithPublicKey(publicPem: string, claims: JWTPayload, kid: string): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${createHmac('sha256', publicPem).update(signingInput).digest('base64url')}`;
}

export function validClaims(now = Math.floor(Date.now() / 1000)): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + 900,
    scope: 'stream:play',
    videos: '*',
  };
}
