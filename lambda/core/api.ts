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
import { requirePlayback, requireScope, scopesOf, streamLimitOf } from './entitlement';
import { clientNetwork } from './client-network';
import {
  ApiError,
  causeSummary,
  ConcurrencyLimit,
  InvalidRequest,
  InvalidToken,
  OriginNotVerified,
  RateLimited,
  SessionEnded,
  SessionNotPlaying,
  SharingSuspected,
  TooManyGrants,
  TooManySessions,
} from './errors';
import { emptyResponse, errorResponse, internalErrorResponse, jsonResponse, type HttpResponse } from './http';
import type { MediaSigner, SignedGrant } from './media-signer';
import { ORIGIN_VERIFY_HEADER, type OriginVerifier } from './origin-verify';
import { metricReason, type ApiSignals } from './metrics';
import { bearerToken, deliveryParam, isIdentifier, videoIdParam } from './request';
import {
  callerCall,
  grantIssuedAt,
  revokeUntil,
  sessionId,
  sessionKeepUntil,
  userKeepUntil,
  type AccessState,
  type GrowthRefusal,
  type Refusal,
  type SharingVerdict,
} from './access-state';
import type { TokenVerifier, VerifiedToken } from './token-verifier';
import type { DrmConfig } from './drm-config';
import type { LicenceProxy } from './licence-proxy';
import { deviceBoundGrant, requireAllowedSite } from './access-layers';
import type { DeviceKey } from './device-binding';

export interface ApiDeps {
  config: ApiConfig;
  verifier: TokenVerifier;
  /** The user's access state: one conditional write per call (lambda/store/access-state-store.ts). */
  access: AccessState;
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
  /** DRM catalog and licence servers (lambda/core/drm-config.ts); absent = no DRM video. */
  drm?: DrmConfig;
  /** Present only where licences are forwarded (the licence function, local mode). */
  licences?: LicenceProxy;
  /** The current device key, where device binding is on (lambda/core/device-binding.ts). */
  deviceKey?: () => Promise<DeviceKey>;
}

const MAX_BODY_BYTES = 4096;

type Operation = 'playback' | 'revoke' | 'logout' | 'licence';

export class StreamgateApi {
  constructor(private readonly deps: ApiDeps) {}

  /** `POST /api/v1/playback/{videoId}[?delivery=url]` */
  playback(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('playback', event, async (now, context) => {
      const signer = this.deps.signer;
      if (signer === undefined) throw new Error('this process was built without a signer');
      const videoId = videoIdParam(event.pathParameters?.videoId);
      const delivery = deliveryParam(event.queryStringParameters);
      requireAllowedSite(event.headers, this.deps.config);
      const token = await this.verify(event, now, context);
      requirePlayback(token, videoId, this.deps.config.entitlement);
      const maxStreams = this.streamLimit(token);
      const viewerIp = this.viewerIp(event);
      // A grant never outlives the token, and CloudFront takes whole seconds only. Dated from the
      // session's grant interval and seeded by the session: a refresh inside it gets the same
      // grant again, which adds nothing to the user's item or the deny-list.
      const request = {
        videoId,
        nowSeconds: grantIssuedAt(token, now, this.deps.config.signing.ttlSeconds),
        notAfterSeconds: Math.floor(token.exp),
        viewerIp,
        policySeed: sessionId(token),
      };
      const presentation = {
        network: (viewerIp === undefined ? undefined : clientNetwork(viewerIp)) ?? 'unknown',
        country: this.viewerCountry(event),
      };
      // Signed first, so the store's write can record the grant's ids. Signing refuses an IPv6
      // viewer with IP binding on.
      const grant = await deviceBoundGrant(
        delivery === 'url' ? signer.signUrl(request) : signer.signCookies(request),
        event.headers,
        this.deps.config,
        this.deps.deviceKey,
      );
      // One conditional write checks everything and records the presentation, the stream slot
      // and the grant's ids (one per signature: the /media/ set and any /drm/ set, for the edge's
      // deny-list); a refused call's grant is dropped unseen.
      const verdict = await this.deps.access.authorize({
        ...callerCall(token, now, this.deps.config.token),
        presentation,
        sessionKeepUntil: sessionKeepUntil(token, this.deps.config.token),
        slotUntil: grant.expiresAt,
        grants: this.deps.config.edgeDenyList
          ? grant.grantIds.map((id) => ({ id, expiresAt: grant.expiresAt }))
          : undefined,
        revokeUntil: revokeUntil(now, this.deps.config.token),
        maxStreams,
      });
      switch (verdict.outcome) {
        case 'admitted':
          if (verdict.sharing !== undefined) await this.onSharing(token, verdict.sharing, now, context);
          if (verdict.evicted !== undefined) {
            // evict-oldest: the oldest session was ended in the same write (its token plays no
            // more, its grants are denied at the edge) and this one took its slot.
            this.deps.signals.emit({ kind: 'session-evicted' });
            this.deps.logger.info('oldest session ended by the stream limit', { ...context, videoId });
          }
          break;
        case 'sharing-suspected':
          await this.onSharing(token, verdict.sharing, now, context);
          break;
        case 'streams-full':
          this.deps.signals.emit({ kind: 'concurrency-limited' });
          throw new ConcurrencyLimit(maxStreams);
        case 'too-many-sessions':
        case 'too-many-grants':
          throw growthRefusal(verdict);
        default:
          this.refuse(verdict);
      }
      this.deps.logger.info('playback authorized', { ...context, videoId, delivery, expiresAt: grant.expiresAt });
      const body = {
        videoId,
        manifestUrl: grant.manifestUrl,
        expiresAt: isoTime(grant.expiresAt),
        refreshAfter: isoTime(grant.refreshAfter),
        ...(grant.signedQuery !== undefined ? { signedQuery: grant.signedQuery } : {}),
        ...this.drmAnswer(videoId, grant),
      };
      return jsonResponse(200, body, grant.cookies);
    });
  }

  /**
   * `POST /api/v1/licence/{videoId}/{drmSystem}`: the playback checks (origin, token, revocation
   * by token and by user, entitlement to this video, rate limit; fail closed), then the licence
   * request goes to that DRM system's licence server. Takes no stream slot, but needs one: a
   * player asks for licences (and renewals) within a session playback admitted and keeps alive.
   */
  licence(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('licence', event, async (now, context) => {
      const proxy = this.deps.licences;
      if (proxy === undefined) throw new Error('this process was built without a licence proxy');
      const videoId = videoIdParam(event.pathParameters?.videoId);
      // Size first (a large body costs nothing to refuse); the rest only for an authenticated caller.
      const body = proxy.body(event);
      // As playback: the entitlement first (a token not entitled to the video is told so), then the
      // store's one write, which admits only a session playback admitted.
      const token = await this.verify(event, now, context);
      requirePlayback(token, videoId, this.deps.config.entitlement);
      await this.admitLicence(token, event, now, context);
      const drmSystem = proxy.drmSystem(event.pathParameters?.drmSystem);
      Object.assign(context, { videoId, drmSystem });
      proxy.checkKeyIds(proxy.video(videoId), drmSystem, proxy.nonEmpty(body));
      const contentType = event.headers?.['content-type'];
      const response = await proxy.forward({ videoId, drmSystem, body, contentType }, (outcome) =>
        Object.assign(context, outcome),
      );
      this.deps.logger.info('licence issued', context);
      return response;
    });
  }

  /** `POST /api/v1/revocations` with `{"sub", "jti"}` or `{"sub", "before"?}`; admin scope. */
  revoke(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('revoke', event, async (now, context) => {
      await this.authenticateAdmin(event, now, context);
      const body = revocationBody(event);
      const { clockToleranceSeconds, issuer: iss } = this.deps.config.token;
      if (body.jti !== undefined) {
        const target = { iss, sub: body.sub, jti: body.jti };
        // Any token with this jti that is valid now expires before revokeUntil.
        await this.deps.access.revokeSession(
          target,
          sessionId(target),
          now,
          revokeUntil(now, this.deps.config.token),
          userKeepUntil(now, this.deps.config.token),
        );
        this.deps.logger.info('token revoked by admin', { ...context, revokedSub: body.sub, revokedJti: body.jti });
        return jsonResponse(201, { revoked: target });
      }
      const latest = this.defaultCutoff(now);
      const before = body.before ?? latest;
      if (before > latest)
        throw new InvalidRequest(`"before" must not be later than now + ${clockToleranceSeconds + 1} s`);
      await this.deps.access.revokeUser(
        { iss, sub: body.sub },
        before,
        now,
        userKeepUntil(now, this.deps.config.token),
      );
      this.deps.logger.info('user revoked by admin', { ...context, revokedSub: body.sub, before });
      return jsonResponse(201, { revoked: { iss, sub: body.sub, before } });
    });
  }

  /**
   * Verified, not revoked (by token or by user), with the admin scope. An admin's calls are not
   * counted in the per-user rate limit: an incident may need hundreds of revocations a minute, and
   * the WAF's per-IP limit and the stage throttle bound them. Any other token is counted (and
   * refused when over the limit) before its missing scope is, as on every route.
   */
  private async authenticateAdmin(
    event: APIGatewayProxyEventV2,
    now: number,
    context: Record<string, unknown>,
  ): Promise<void> {
    const token = await this.verify(event, now, context);
    const { entitlement } = this.deps.config;
    let admin: boolean;
    try {
      admin = scopesOf(token, entitlement).includes(entitlement.adminScope);
    } catch {
      admin = false; // a malformed scope claim: counted, then refused by requireScope below
    }
    const verdict = await this.deps.access.admit({
      ...callerCall(token, now, this.deps.config.token),
      counted: !admin,
    });
    if (verdict.outcome !== 'admitted') this.refuse(verdict);
    requireScope(token, entitlement.adminScope, entitlement);
  }

  /**
   * `DELETE /api/v1/session`: the holder revokes its own token (logout). Idempotent: a token
   * already revoked is answered without another write. Counted in the user's rate limit.
   */
  logout(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.run('logout', event, async (now, context) => {
      const token = await this.verify(event, now, context);
      const verdict = await this.deps.access.logout({
        ...callerCall(token, now, this.deps.config.token),
        sessionKeepUntil: sessionKeepUntil(token, this.deps.config.token),
        // A malformed limit claim never took a slot (playback refused it): the default is then right.
        maxStreams: this.streamLimit(token, true),
      });
      if (verdict.outcome === 'rate-limited') throw new RateLimited(verdict.retryAfterSeconds);
      if (verdict.outcome === 'too-many-sessions') throw growthRefusal(verdict);
      this.deps.logger.info('session ended', { ...context, alreadyRevoked: verdict.alreadyRevoked });
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
      if (operation === 'playback')
        this.deps.signals.emit({ kind: 'authorized', latencyMs: performance.now() - started });
      if (operation === 'licence')
        this.deps.signals.emit({ kind: 'licence-issued', upstreamMs: Number(context.upstreamMs ?? 0) });
      return response;
    } catch (error) {
      if (error instanceof ApiError) {
        this.signalDenial(operation, error, performance.now() - started);
        if (operation === 'licence') this.signalLicenceDenial(error, context);
        this.deps.logger.warn('request denied', {
          ...context,
          status: error.status,
          code: error.code,
          reason: error.reason,
          detail: error.description,
          // A 5xx names the dependency failure behind it (class and message, no stack).
          ...(error.status >= 500 ? { cause: causeSummary(error) } : {}),
          tokenFingerprint: fingerprint(event.headers?.authorization),
        });
        return errorResponse(error);
      }
      this.deps.logger.error('request failed', { ...context, error: error instanceof Error ? error.name : 'unknown' });
      return internalErrorResponse();
    } finally {
      this.deps.signals.flush();
    }
  }

  private signalDenial(operation: Operation, error: ApiError, latencyMs: number): void {
    if (error.reason === 'revoked') this.deps.signals.emit({ kind: 'revoked-token-reuse' });
    if (error.reason === 'store_unavailable') this.deps.signals.emit({ kind: 'store-error' });
    if (operation === 'playback')
      this.deps.signals.emit({ kind: 'denied', reason: metricReason(error), status: error.status, latencyMs });
  }

  /**
   * A licence refusal of the viewer by reason (`licence_refused` its own), or a failure of the
   * licence server (`upstream_*`, a series of its own, alarmed: never counted as a viewer's denial).
   */
  private signalLicenceDenial(error: ApiError, context: Record<string, unknown>): void {
    const upstreamMs = typeof context.upstreamMs === 'number' ? context.upstreamMs : undefined;
    const { reason, status } = error;
    if (reason.startsWith('upstream_'))
      this.deps.signals.emit({ kind: 'licence-upstream-failed', reason, status, upstreamMs });
    else
      this.deps.signals.emit({
        kind: 'licence-denied',
        reason: reason === 'licence_refused' ? reason : metricReason(error),
        status,
        upstreamMs,
      });
  }

  /** The user's stream limit: its own claim, its plans', else the deployment's (lambda/core/entitlement.ts). */
  private streamLimit(token: VerifiedToken, lenient = false): number {
    const fallback = this.deps.access.limits.maxStreams;
    try {
      return streamLimitOf(token, this.deps.config.entitlement, fallback);
    } catch (error) {
      if (lenient && error instanceof InvalidToken) return fallback;
      throw error;
    }
  }

  /** Token or user revoked → 401; session ended by the stream limit → 403; over the user's rate → 429. */
  private refuse(refusal: Refusal): never {
    if (refusal.outcome === 'ended') throw new SessionEnded();
    if (refusal.outcome === 'rate-limited') throw new RateLimited(refusal.retryAfterSeconds);
    throw new InvalidToken('revoked', 'token has been revoked');
  }

  /** For a video in the DRM catalog: its signed `/drm/` manifest and where its licences are asked for. */
  private drmAnswer(videoId: string, grant: SignedGrant): Record<string, unknown> {
    if (grant.drm === undefined) return {};
    const base = this.deps.config.signing.mediaBaseUrl;
    const systems = Object.keys(this.deps.drm?.upstreams ?? {});
    const licenceUrls = Object.fromEntries(
      systems.map((system) => [system, `${base}/api/v1/licence/${encodeURIComponent(videoId)}/${system}`]),
    );
    return { drm: { ...grant.drm, licenceUrls } };
  }

  /** Applies the configured action to a token presented from too many networks or countries. */
  private async onSharing(
    token: VerifiedToken,
    verdict: SharingVerdict,
    now: number,
    context: Record<string, unknown>,
  ): Promise<void> {
    const { action } = this.deps.access.limits.sharing;
    this.deps.signals.emit({ kind: 'sharing-suspected', action });
    this.deps.logger.warn('token sharing suspected', {
      ...context,
      action,
      networks: verdict.networks,
      countries: verdict.countries,
    });
    if (action === 'alert') return;
    if (action === 'revoke-token')
      await this.deps.access.revokeSession(
        token,
        sessionId(token),
        now,
        sessionKeepUntil(token, this.deps.config.token),
        userKeepUntil(now, this.deps.config.token),
      );
    if (action === 'revoke-user')
      await this.deps.access.revokeUser(
        token,
        this.defaultCutoff(now),
        now,
        userKeepUntil(now, this.deps.config.token),
      );
    throw new SharingSuspected();
  }

  /**
   * A user revocation's default cut-off: later than any `iat` a token verified now can carry
   * (jose accepts an `iat` up to the clock tolerance ahead), so no token issued so far survives it.
   */
  private defaultCutoff(now: number): number {
    return now + this.deps.config.token.clockToleranceSeconds + 1;
  }

  private async checkOrigin(event: APIGatewayProxyEventV2): Promise<void> {
    const verifier = this.deps.originVerify;
    if (verifier !== undefined && !(await verifier.verified(event.headers?.[ORIGIN_VERIFY_HEADER])))
      throw new OriginNotVerified();
  }

  /** Signature and claims only (logout needs no revocation read: it writes one). */
  private async verify(
    event: APIGatewayProxyEventV2,
    now: number,
    context: Record<string, unknown>,
  ): Promise<VerifiedToken> {
    const raw = bearerToken(event.headers?.authorization, this.deps.config.token.maxTokenBytes);
    const token = await this.deps.verifier.verify(raw, now);
    context.jti = token.jti;
    context.sub = token.sub;
    return token;
  }

  /**
   * The licence route's caller check, in its one store write: verified, not revoked (by token or by user), within the user's rate limit, and only for a
   * session playback admitted (a live stream slot; a network and country the sharing limits let
   * through), so the stream limit and the sharing verdict hold for content keys too.
   */
  private async admitLicence(
    token: VerifiedToken,
    event: APIGatewayProxyEventV2,
    now: number,
    context: Record<string, unknown>,
  ): Promise<void> {
    const viewerIp = this.viewerIp(event);
    const verdict = await this.deps.access.licence({
      ...callerCall(token, now, this.deps.config.token),
      // As playback applied it: a plan's unlimited streams take no slot, so none is asked for.
      maxStreams: this.streamLimit(token, true),
      presentation: {
        network: (viewerIp === undefined ? undefined : clientNetwork(viewerIp)) ?? 'unknown',
        country: this.viewerCountry(event),
      },
    });
    if (verdict.outcome === 'not-playing') throw new SessionNotPlaying();
    if (verdict.outcome === 'sharing-suspected') {
      this.deps.logger.warn('licence from a network playback did not admit', {
        ...context,
        networks: verdict.sharing.networks,
        countries: verdict.sharing.countries,
      });
      throw new SharingSuspected();
    }
    if (verdict.outcome !== 'admitted') this.refuse(verdict);
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

type RevocationBody =
  | { sub: string; jti: string; before?: undefined }
  | { sub: string; jti?: undefined; before?: number };

/** `{"sub", "jti"}` (a jti is unique only per issuer and subject) or `{"sub", "before"?}`. */
function revocationBody(event: APIGatewayProxyEventV2): RevocationBody {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw new InvalidRequest(`body is larger than ${MAX_BODY_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidRequest(
      'body must be JSON: {"sub": "...", "jti": "..."} or {"sub": "...", "before": <epoch seconds>}',
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidRequest('body must be a JSON object');
  const { jti, sub, before, ...rest } = parsed as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw new InvalidRequest(`unknown field "${extra.slice(0, 32)}"`);
  if (sub === undefined) throw new InvalidRequest('"sub" is required: whose token or tokens to revoke');
  if (!isIdentifier(sub))
    throw new InvalidRequest('"sub" must be a string of 1 to 256 characters without control characters');
  if (jti !== undefined) {
    if (!isIdentifier(jti))
      throw new InvalidRequest('"jti" must be a string of 1 to 256 characters without control characters');
    if (before !== undefined)
      throw new InvalidRequest('give "jti" (one token) or "before" (every token of the user), not both');
    return { sub, jti };
  }
  if (before !== undefined && (typeof before !== 'number' || !Number.isInteger(before) || before < 0)) {
    throw new InvalidRequest('"before" must be a whole number of epoch seconds');
  }
  return { sub, before: before as number | undefined };
}

/** The store refused to grow the user's item past its budget: 429 with the reason and when to retry. */
function growthRefusal(refusal: GrowthRefusal): TooManySessions | TooManyGrants {
  return refusal.outcome === 'too-many-sessions'
    ? new TooManySessions(refusal.limit, refusal.retryAfterSeconds)
    : new TooManyGrants(refusal.limit, refusal.retryAfterSeconds);
}

function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}

/** A short hash to correlate log lines about one token without ever logging the token. */
function fingerprint(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  return createHash('sha256').update(authorization).digest('hex').slice(0, 12);
}
