/**
 * The playback API's three operations over HTTP API (payload v2) events. Each call: check it
 * came through CloudFront, authenticate the bearer token, check revocation, then act. Every
 * failure becomes the API contract's error response; nothing is signed unless all checks pass.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiConfig } from './config';
import { requirePlayback, requireScope } from './entitlement';
import { clientNetwork } from './client-network';
import { ApiError, ConcurrencyLimit, InvalidRequest, InvalidToken, OriginNotVerified, RateLimited, SharingSuspected } from './errors';
import { emptyResponse, errorResponse, jsonResponse, type HttpResponse } from './http';
import type { MediaSigner, SignedGrant } from './media-signer';
import { ORIGIN_VERIFY_HEADER, type OriginVerifier } from './origin-verify';
import { metricReason, type ApiSignals } from './metrics';
import type { RateLimiter } from './rate-limiter';
import type { SharingDetector, SharingVerdict } from './sharing-detector';
import type { StreamLimiter } from './stream-limiter';
import { bearerToken, deliveryParam, isIdentifier, videoIdParam } from './request';
import type { RevocationStore } from './revocation-store';
import type { TokenVerifier, VerifiedToken } from './token-verifier';

/** The abuse defences, each backed by the same DynamoDB table. */
export interface AbuseDefences {
  sharing: SharingDetector;
  streams: StreamLimiter;
  rate: RateLimiter;
}

export interface ApiDeps {
  config: ApiConfig;
  verifier: TokenVerifier;
  store: RevocationStore;
  abuse: AbuseDefences;
  /** Present only where media access is signed (the playback function, local mode). */
  signer?: MediaSigner;
  logger: Logger;
  signals: ApiSignals;
  /** Epoch seconds; injected so tests use real values instead of fake timers. */
  now: () => number;
  /**
   * Checks the origin-verify header CloudFront adds; undefined disables the check (local mode).
   * The API Gateway authorizer checks the same first; this is the second layer.
   */
  originVerify?: OriginVerifier;
}

const MAX_BODY_BYTES = 4096;
/** Extra life for revocation items so a later raise of the max token lifetime cannot resurrect a token. */
const REVOCATION_MARGIN_SECONDS = 86400;

type Operation = 'playback' | 'revoke' | 'logout';

export class StreamgateApi {
  constructor(private readonly deps: ApiDeps) {}

  /** `POST /api/v1/playback/{videoId}[?delivery=url]` */
  playback(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('playback', event, async (now, context) => {
      const signer = this.deps.signer;
      if (signer === undefined) throw new Error('this process was built without a signer');
      const videoId = videoIdParam(event.pathParameters?.videoId);
      const delivery = deliveryParam(event.queryStringParameters);
      const token = await this.verify(event, now, context);
      requirePlayback(token, videoId, this.deps.config.entitlement);
      const viewerIp = this.viewerIp(event);
      // jose accepted exp up to the tolerance ago; the grant never outlives that.
      const notAfterSeconds = token.exp + this.deps.config.token.clockToleranceSeconds;
      const request = { videoId, nowSeconds: now, notAfterSeconds, viewerIp };
      // Every store call in one round-trip budget; a refusal afterwards undoes the stream slot.
      const [checks, sharing, admission] = await Promise.allSettled([
        this.checkStatusAndRate(token, now),
        this.deps.abuse.sharing.record({
          jti: token.jti,
          network: (viewerIp === undefined ? undefined : clientNetwork(viewerIp)) ?? 'unknown',
          country: this.viewerCountry(event),
          expiresAt: notAfterSeconds,
        }),
        this.deps.abuse.streams.admit(token.sub, token.jti, signer.expiryFor(request), now),
      ]);
      let grant: SignedGrant;
      try {
        if (checks.status === 'rejected') throw checks.reason;
        if (sharing.status === 'rejected') throw sharing.reason;
        if (admission.status === 'rejected') throw admission.reason;
        if (sharing.value.suspected) await this.onSharing(token, sharing.value, now, context);
        if (!admission.value.admitted) {
          this.deps.signals.emit({ kind: 'concurrency-limited' });
          throw new ConcurrencyLimit(this.deps.abuse.streams.maxStreams);
        }
        // Signing can still refuse (an IPv6 viewer with IP binding on), so it is inside the guard too.
        grant = delivery === 'url' ? signer.signUrl(request) : signer.signCookies(request);
      } catch (refusal) {
        if (admission.status === 'fulfilled' && admission.value.admitted) {
          // The refusal stands even if the undo fails: the slot then frees itself at its expiry.
          await admission.value.rollback().catch(() => this.deps.logger.warn('stream slot not rolled back', context));
        }
        throw refusal;
      }
      this.deps.logger.info('playback authorized', { ...context, videoId, delivery, expiresAt: grant.expiresAt });
      const body = {
        videoId,
        manifestUrl: grant.manifestUrl,
        expiresAt: isoTime(grant.expiresAt),
        refreshAfter: isoTime(grant.refreshAfter),
        ...(grant.signedQuery !== undefined ? { signedQuery: grant.signedQuery } : {}),
      };
      return jsonResponse(200, body, grant.cookies);
    });
  }

  /** `POST /api/v1/revocations` with `{"jti"}` or `{"sub", "before"?}`; admin scope. */
  revoke(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('revoke', event, async (now, context) => {
      const token = await this.authenticate(event, now, context);
      requireScope(token, this.deps.config.entitlement.adminScope, this.deps.config.entitlement);
      const body = revocationBody(event);
      const { maxLifetimeSeconds, clockToleranceSeconds } = this.deps.config.token;
      const horizon = maxLifetimeSeconds + clockToleranceSeconds + REVOCATION_MARGIN_SECONDS;
      if ('jti' in body) {
        // Any token with this jti that is valid now expires within the max lifetime.
        await this.deps.store.revokeToken(body.jti, now + horizon);
        this.deps.logger.info('token revoked by admin', { ...context, revokedJti: body.jti });
        return jsonResponse(201, { revoked: { jti: body.jti } });
      }
      const before = body.before ?? now;
      if (before > now + clockToleranceSeconds) throw new InvalidRequest('"before" must not be in the future');
      await this.deps.store.revokeUser(body.sub, before, before + horizon);
      this.deps.logger.info('user revoked by admin', { ...context, revokedSub: body.sub, before });
      return jsonResponse(201, { revoked: { sub: body.sub, before } });
    });
  }

  /** `DELETE /api/v1/session`: the holder revokes its own token (logout). Idempotent. */
  logout(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('logout', event, async (now, context) => {
      const token = await this.verify(event, now, context);
      await Promise.all([
        this.deps.store.revokeToken(token.jti, token.exp + this.deps.config.token.clockToleranceSeconds),
        this.deps.abuse.streams.release(token.sub, token.jti),
      ]);
      this.deps.logger.info('session ended', context);
      return emptyResponse(204);
    });
  }

  private async run(
    operation: Operation,
    event: APIGatewayProxyEventV2,
    action: (now: number, context: Record<string, unknown>) => Promise<HttpResponse>,
  ): Promise<HttpResponse> {
    const context: Record<string, unknown> = { operation, requestId: event.requestContext?.requestId };
    const started = performance.now();
    try {
      await this.checkOrigin(event);
      const response = await action(this.deps.now(), context);
      if (operation === 'playback') this.deps.signals.emit({ kind: 'authorized', latencyMs: performance.now() - started });
      return response;
    } catch (error) {
      if (error instanceof ApiError) {
        this.signalDenial(operation, error, performance.now() - started);
        this.deps.logger.warn('request denied', {
          ...context,
          status: error.status,
          code: error.code,
          reason: error.reason,
          detail: error.description,
          tokenFingerprint: fingerprint(event.headers?.authorization),
        });
        return errorResponse(error);
      }
      this.deps.logger.error('request failed', { ...context, error: error instanceof Error ? error.name : 'unknown' });
      return jsonResponse(500, { error: 'server_error', error_description: 'internal error' });
    } finally {
      this.deps.signals.flush();
    }
  }

  private signalDenial(operation: Operation, error: ApiError, latencyMs: number): void {
    if (error.reason === 'revoked') this.deps.signals.emit({ kind: 'revoked-token-reuse' });
    if (error.reason === 'store_unavailable') this.deps.signals.emit({ kind: 'store-error' });
    if (operation === 'playback') this.deps.signals.emit({ kind: 'denied', reason: metricReason(error), status: error.status, latencyMs });
  }

  /** Revocation and the per-user rate limit, read in one round-trip budget. */
  private async checkStatusAndRate(token: VerifiedToken, now: number): Promise<void> {
    const [status, rate] = await Promise.all([this.deps.store.status(token), this.deps.abuse.rate.hit(token.sub, now)]);
    if (status !== 'active') {
      throw new InvalidToken('revoked', status === 'token-revoked' ? 'token has been revoked' : "the user's tokens have been revoked");
    }
    if (!rate.allowed) throw new RateLimited(rate.retryAfterSeconds);
  }

  /** Applies the configured action to a token presented from too many networks or countries. */
  private async onSharing(token: VerifiedToken, verdict: SharingVerdict, now: number, context: Record<string, unknown>): Promise<void> {
    const { action } = this.deps.config.abuse.sharing;
    this.deps.signals.emit({ kind: 'sharing-suspected', action });
    this.deps.logger.warn('token sharing suspected', { ...context, action, networks: verdict.networks, countries: verdict.countries });
    const { maxLifetimeSeconds, clockToleranceSeconds } = this.deps.config.token;
    if (action === 'alert') return;
    if (action === 'revoke-token') await this.deps.store.revokeToken(token.jti, token.exp + clockToleranceSeconds);
    // iat < now + 1 covers this token and every earlier one of the user.
    if (action === 'revoke-user') await this.deps.store.revokeUser(token.sub, now + 1, now + 1 + maxLifetimeSeconds + clockToleranceSeconds + REVOCATION_MARGIN_SECONDS);
    throw new SharingSuspected();
  }

  private async checkOrigin(event: APIGatewayProxyEventV2): Promise<void> {
    const verifier = this.deps.originVerify;
    if (verifier !== undefined && !(await verifier.verified(event.headers?.[ORIGIN_VERIFY_HEADER]))) throw new OriginNotVerified();
  }

  /** Signature and claims only (logout needs no revocation read: it writes one). */
  private async verify(event: APIGatewayProxyEventV2, now: number, context: Record<string, unknown>): Promise<VerifiedToken> {
    const raw = bearerToken(event.headers?.authorization, this.deps.config.token.maxTokenBytes);
    const token = await this.deps.verifier.verify(raw, now);
    context.jti = token.jti;
    context.sub = token.sub;
    return token;
  }

  /** Verified, not revoked (by token or by user) and within the user's rate limit. */
  private async authenticate(event: APIGatewayProxyEventV2, now: number, context: Record<string, unknown>): Promise<VerifiedToken> {
    const token = await this.verify(event, now, context);
    await this.checkStatusAndRate(token, now);
    return token;
  }

  private viewerCountry(event: APIGatewayProxyEventV2): string | undefined {
    const country = event.headers?.[this.deps.config.viewerCountryHeader]?.toUpperCase();
    return country !== undefined && /^[A-Z]{2}$/.test(country) ? country : undefined;
  }

  /** The viewer's address as CloudFront saw it (`ip:port`), else the connection's source IP. */
  private viewerIp(event: APIGatewayProxyEventV2): string | undefined {
    const header = event.headers?.[this.deps.config.viewerIpHeader];
    if (header !== undefined) {
      const ip = header.slice(0, header.lastIndexOf(':')).replace(/^\[|\]$/g, '');
      if (isIP(ip) !== 0) return ip;
    }
    return event.requestContext?.http?.sourceIp;
  }
}

type RevocationBody = { jti: string } | { sub: string; before?: number };

function revocationBody(event: APIGatewayProxyEventV2): RevocationBody {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new InvalidRequest(`body is larger than ${MAX_BODY_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidRequest('body must be JSON: {"jti": "..."} or {"sub": "...", "before": <epoch seconds>}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidRequest('body must be a JSON object');
  const { jti, sub, before, ...rest } = parsed as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new InvalidRequest(`unknown field "${extra.slice(0, 32)}"`);
  if ((jti === undefined) === (sub === undefined)) throw new InvalidRequest('give exactly one of "jti" or "sub"');
  if (jti !== undefined) {
    if (!isIdentifier(jti)) throw new InvalidRequest('"jti" must be a string of 1 to 256 characters without control characters');
    if (before !== undefined) throw new InvalidRequest('"before" goes with "sub" only');
    return { jti };
  }
  if (!isIdentifier(sub)) throw new InvalidRequest('"sub" must be a string of 1 to 256 characters without control characters');
  if (before !== undefined && (typeof before !== 'number' || !Number.isInteger(before) || before < 0)) {
    throw new InvalidRequest('"before" must be a whole number of epoch seconds');
  }
  return { sub, before: before as number | undefined };
}

function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

/** A short hash to correlate log lines about one token without ever logging the token. */
function fingerprint(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  return createHash('sha256').update(authorization).digest('hex').slice(0, 12);
}
