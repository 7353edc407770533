/**
 * Bearer JWT verification with jose: signature against configured keys only, algorithm
 * allow-list, exact iss, the audience (or, for tokens without `aud`, the client id and
 * `token_use`), optionally the header `typ`, exp/nbf/iat with tolerance, required sub (and jti
 * unless configured otherwise), and a cap on lifetime so a leaked long-lived token is useless.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { ConfigError, type JwtKeySource, type TokenConfig } from './config';
import { InvalidToken, KeysUnavailable } from './errors';
import { isIdentifier } from './request';

export interface VerifiedToken {
  /** The issuer, checked equal to the configured one. */
  iss: string;
  sub: string;
  /** The token's `jti`, or for a token without one (JWT_REQUIRE_JTI=false) its `derivedTokenId`. */
  jti: string;
  iat: number;
  exp: number;
  claims: JWTPayload;
}

/** Marks a token id computed here rather than read from `jti` (docs/identity-providers.md#revocation-without-jti). */
export const DERIVED_ID_PREFIX = 'sha256:';

/**
 * The id of a token that carries no `jti`: a hash of its signing input (header and payload as
 * sent). The signature makes that text unique to this token and unchangeable, whereas the
 * signature segment itself could be re-encoded (base64url's spare bits) into a "new" token that
 * still verifies; so the same token always gets the same id, however it is re-presented.
 */
export function derivedTokenId(token: string): string {
  const signingInput = token.slice(0, token.lastIndexOf('.'));
  return `${DERIVED_ID_PREFIX}${createHash('sha256').update(signingInput).digest('base64url')}`;
}

/** Header parameters that point at keys chosen by the token's author: refused outright, never followed. */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk'] as const;

export class TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;
  /**
   * Tokens already verified, by their exact text. A player re-presents the same token at every
   * cookie refresh; its signature cannot have changed, so only the clock is re-checked. Entries
   * live no longer than the key-set cache (a removed key stops working on the same schedule)
   * and never past the token's expiry. Revocation is not cached: it is read on every call.
   */
  private readonly verified = new Map<string, { token: VerifiedToken; until: number }>();

  constructor(private readonly config: TokenConfig) {
    this.getKey = keyResolver(config.keys);
  }

  /** Verifies `token` at `now` (epoch seconds) or throws InvalidToken / KeysUnavailable. */
  async verify(token: string, nowSeconds: number): Promise<VerifiedToken> {
    if (Buffer.byteLength(token, 'utf8') > this.config.maxTokenBytes) {
      throw new InvalidToken('oversize_token', `token is larger than ${this.config.maxTokenBytes} bytes`);
    }
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (nowSeconds < cached.until) return cached.token;
      this.verified.delete(token);
    }
    const result = await this.verifyFully(token, nowSeconds);
    this.remember(token, result, nowSeconds);
    return result;
  }

  private remember(token: string, result: VerifiedToken, nowSeconds: number): void {
    const { cacheSeconds, cacheEntries, clockToleranceSeconds } = this.config;
    if (cacheSeconds === 0) return;
    // jose refuses a token once exp <= now - tolerance: stop serving it from here at the same moment.
    const until = Math.min(result.exp + clockToleranceSeconds, nowSeconds + cacheSeconds);
    if (this.verified.size >= cacheEntries) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    this.verified.set(token, { token: result, until });
  }

  private async verifyFully(token: string, nowSeconds: number): Promise<VerifiedToken> {
    this.checkHeader(token);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: this.config.algorithms,
        issuer: this.config.issuer,
        audience: this.config.audience,
        typ: this.config.tokenType,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: this.requiredClaims,
        // Also rejects an `iat` in the future (beyond the tolerance).
        maxTokenAge: this.config.maxLifetimeSeconds,
        currentDate: new Date(nowSeconds * 1000),
      }));
    } catch (error) {
      throw toApiError(error);
    }
    this.checkClient(payload);
    return this.checkClaims(payload, token);
  }

  private get requiredClaims(): string[] {
    const { audience, requireJti } = this.config;
    return ['iss', 'exp', 'iat', 'sub', ...(audience === undefined ? [] : ['aud']), ...(requireJti ? ['jti'] : [])];
  }

  /**
   * Tokens pinned by client instead of audience (Cognito access tokens carry `client_id` and
   * `token_use`, no `aud`): `token_use` first, so an ID token is named as such.
   */
  private checkClient(claims: JWTPayload): void {
    const { tokenUse, clientIds, clientIdClaim } = this.config;
    if (tokenUse !== undefined && claims.token_use !== tokenUse) {
      throw new InvalidToken(
        'wrong_token_type',
        claims.token_use === undefined
          ? 'token is missing the "token_use" claim'
          : `token "token_use" must be "${tokenUse}" (an ${tokenUse} token)`,
      );
    }
    const client = claims[clientIdClaim];
    if (clientIds !== undefined && !(typeof client === 'string' && clientIds.includes(client))) {
      throw new InvalidToken(
        client === undefined ? 'missing_claim' : 'wrong_audience',
        client === undefined
          ? `token is missing the "${clientIdClaim}" claim`
          : `token "${clientIdClaim}" does not match`,
      );
    }
  }

  private checkHeader(token: string): void {
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidToken('malformed_token', 'token is not a compact JWS');
    }
    const forbidden = FORBIDDEN_HEADERS.find((name) => header[name] !== undefined);
    if (forbidden !== undefined) {
      throw new InvalidToken('disallowed_header', `token header "${forbidden}" is not accepted`);
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.config.algorithms.some((allowed) => allowed === alg)) {
      throw new InvalidToken(
        'disallowed_algorithm',
        `token algorithm is not allowed; expected one of ${this.config.algorithms.join(', ')}`,
      );
    }
  }

  private checkClaims(claims: JWTPayload, token: string): VerifiedToken {
    const { iss, sub, iat, exp } = claims;
    // Only a token without `jti` gets a derived id (and only when configured: jose required it otherwise).
    const jti = claims.jti === undefined ? derivedTokenId(token) : claims.jti;
    if (!isIdentifier(sub)) throw new InvalidToken('missing_claim', 'token "sub" claim must be a non-empty string');
    if (!isIdentifier(jti)) throw new InvalidToken('missing_claim', 'token "jti" claim must be a non-empty string');
    if (typeof iat !== 'number' || typeof exp !== 'number') {
      throw new InvalidToken('missing_claim', 'token must carry numeric "iat" and "exp" claims');
    }
    if (exp - iat > this.config.maxLifetimeSeconds) {
      throw new InvalidToken('lifetime_too_long', `token lifetime exceeds ${this.config.maxLifetimeSeconds} seconds`);
    }
    // jose has already checked iss equal to the configured issuer.
    return { iss: iss as string, sub, jti, iat, exp, claims };
  }
}

/** Builds the key lookup. `kid` only ever selects among these keys. */
function keyResolver(source: JwtKeySource): JWTVerifyGetKey {
  switch (source.kind) {
    case 'jwks-url': {
      const remote = createRemoteJWKSet(source.url, {
        timeoutDuration: source.timeoutMs,
        cacheMaxAge: source.cacheMaxAgeMs,
        cooldownDuration: source.cooldownMs,
      });
      // A key set we cannot fetch is a dependency failure (503), not a bad token (401).
      return async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
            throw error;
          throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
        }
      };
    }
    case 'jwks':
      return createLocalJWKSet(parseJwks(source.jwks));
    case 'pem':
      return createLocalJWKSet({ keys: [pemToJwk(source.pem, source.kid)] });
  }
}

function parseJwks(raw: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('JWT_JWKS', 'is not valid JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ConfigError('JWT_JWKS', 'must be a JWKS object {"keys":[...]} with at least one key');
  keys.forEach((key: unknown, index) => {
    const jwk = key as Record<string, unknown> | null;
    if (jwk === null || typeof jwk !== 'object' || (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP')) {
      throw new ConfigError('JWT_JWKS', `key ${index} must be an RSA, EC or OKP public key`);
    }
    if (jwk.d !== undefined) throw new ConfigError('JWT_JWKS', `key ${index} contains private key material`);
  });
  return { keys } as JSONWebKeySet;
}

function pemToJwk(pem: string, kid: string | undefined): JSONWebKeySet['keys'][number] {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'ed25519') {
      throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
    }
    const jwk = key.export({ format: 'jwk' });
    return kid === undefined ? jwk : { ...jwk, kid };
  } catch (error) {
    throw new ConfigError(
      'JWT_PUBLIC_KEY_PEM',
      `is not a usable public key (${error instanceof Error ? error.message : 'unreadable'})`,
    );
  }
}

/** Maps jose's failures to our outcome types with a human reason and a low-cardinality reason code. */
function toApiError(error: unknown): InvalidToken | KeysUnavailable {
  if (error instanceof InvalidToken || error instanceof KeysUnavailable) return error;
  if (error instanceof errors.JWTExpired) return new InvalidToken('expired', 'token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing')
      return new InvalidToken('missing_claim', `token is missing the "${error.claim}" claim`);
    switch (error.claim) {
      case 'iss':
        return new InvalidToken('wrong_issuer', 'token issuer is not trusted');
      case 'aud':
        return new InvalidToken('wrong_audience', 'token audience does not match');
      case 'typ':
        return new InvalidToken('wrong_token_type', 'token header "typ" is not the configured access-token type');
      case 'nbf':
        return new InvalidToken('not_yet_valid', 'token is not valid yet');
      case 'iat':
        return new InvalidToken('not_yet_valid', 'token "iat" is in the future or malformed');
      default:
        return new InvalidToken('malformed_token', `token claim "${error.claim}" is invalid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new InvalidToken('disallowed_algorithm', 'token algorithm is not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidToken('bad_signature', 'token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey)
    return new InvalidToken('unknown_key', 'token key id is not among the trusted keys');
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return new InvalidToken('unknown_key', 'token does not name which trusted key signed it');
  if (error instanceof errors.JOSEError) return new InvalidToken('malformed_token', 'token is malformed');
  // Anything else (a TypeError from a hostile input, say) is still a refusal, never a crash.
  return new InvalidToken('malformed_token', 'token could not be verified');
}
