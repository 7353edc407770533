/**
 * A development identity provider for local mode only (never deployed): it signs demo bearer
 * JWTs with an ES256 key kept in a local folder and publishes the public half as a JWKS, so the
 * playback API verifies them exactly as it verifies a real IdP's tokens.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JSONWebKeySet, type JWK } from 'jose';
import { DEV_IDP_AUDIENCE, DEV_IDP_ISSUER, DEV_IDP_PATH_PREFIX } from './defaults';
import { loadOrCreateOperatorClient, type OAuthClient } from './client-credentials';
import { createIdpHandler, type RequestHandler } from './http-handler';
import { loadOrCreateSigningKey, writePublicJwks, type SigningKeyPair } from './key-store';
import { parseTokenRequest, signInLevel, type TokenRequest } from './token-request';

export interface DevIdpOptions {
  /** Folder holding the signing key (git-ignored, e.g. `.local/`); created if absent. */
  keyDir: string;
  /** `iss` of issued tokens. @default DEV_IDP_ISSUER */
  issuer?: string;
  /** `aud` of issued tokens. @default DEV_IDP_AUDIENCE */
  audience?: string;
  /** Where `handler` answers: `${pathPrefix}/jwks.json` and `${pathPrefix}/token`. @default '/idp' */
  pathPrefix?: string;
  /** Current time in epoch milliseconds. @default Date.now */
  now?: () => number;
}

export class DevIdp {
  /** Serves `GET <prefix>/jwks.json` and `POST <prefix>/token` for node:http. */
  readonly handler: RequestHandler;

  private constructor(
    private readonly keys: SigningKeyPair,
    private readonly publicJwk: JWK,
    readonly kid: string,
    readonly issuer: string,
    readonly audience: string,
    pathPrefix: string,
    private readonly now: () => number,
    /** The operator CLI's client for the client-credentials grant (`<prefix>/oauth/token`). */
    readonly operatorClient: OAuthClient,
  ) {
    this.handler = createIdpHandler(this, pathPrefix);
  }

  /** Loads the key from `keyDir`, generating it on first use, and writes the public JWKS beside it. */
  static async open(options: DevIdpOptions): Promise<DevIdp> {
    const keys = loadOrCreateSigningKey(options.keyDir);
    const kid = await calculateJwkThumbprint(await exportJWK(keys.publicKey), 'sha256');
    const publicJwk: JWK = { ...(await exportJWK(keys.publicKey)), kid, alg: 'ES256', use: 'sig' };
    const idp = new DevIdp(
      keys,
      publicJwk,
      kid,
      options.issuer ?? DEV_IDP_ISSUER,
      options.audience ?? DEV_IDP_AUDIENCE,
      options.pathPrefix ?? DEV_IDP_PATH_PREFIX,
      options.now ?? Date.now,
      loadOrCreateOperatorClient(options.keyDir),
    );
    writePublicJwks(options.keyDir, idp.jwks());
    return idp;
  }

  /** A compact ES256 JWT; the request is validated (TokenRequestError) and defaults filled in. */
  async issueToken(request: TokenRequest): Promise<string> {
    const { sub, scope, videos, ttlSeconds, jti, acrValues, secondFactor, rentals, authTime } = parseTokenRequest(
      request,
      true,
    );
    const acr = signInLevel(acrValues, secondFactor);
    const issuedAt = Math.floor(this.now() / 1000);
    // Every token request is a sign-in (`auth_time` now) at the level asked for (`acr`): RFC 9470's
    // claims, which step-up rules read (lambda/core/step-up.ts).
    return new SignJWT({
      scope,
      ...(videos !== undefined ? { videos } : {}),
      ...(rentals !== undefined ? { rentals } : {}),
      acr,
      auth_time: authTime ?? issuedAt,
    })
      .setProtectedHeader({ alg: 'ES256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(sub)
      .setJti(jti ?? randomUUID())
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(this.keys.privateKey);
  }

  /** The public key set (one ES256 key), as served at `<prefix>/jwks.json`. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** The public key as SPKI PEM, for configs that take a PEM instead of a JWKS. */
  publicKeyPem(): string {
    return this.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }
}
