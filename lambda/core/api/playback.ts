/**
 * `POST /api/v1/playback/{videoId}[?delivery=url]`: the caller verified, entitled to the video
 * and admitted by the store's one write (revocation, rate, stream slot, sharing), then media
 * access signed. Nothing is signed for the viewer unless every check passes.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiUrl } from '../api-routes';
import {
  callerCall,
  grantIssuedAt,
  revokeUntil,
  sessionId,
  sessionKeepUntil,
  userKeepUntil,
  type SharingVerdict,
} from '../access-state';
import type { DrmConfig } from '../drm-config';
import { scopesOf } from '../entitlement';
import { liveScope, type LiveConfig, type LiveScope } from '../live-grants';
import { ConcurrencyLimit, SharingSuspected, StoreContention } from '../errors';
import { jsonResponse, type HttpResponse } from '../http';
import type { MediaSigner, SignedGrant } from '../media-signer';
import { metricReason } from '../metrics';
import { deliveryParam, videoIdParam } from '../request';
import { grantNotAfter, playbackRecords, titleAccess, titleRefusalError } from '../title-access';
import type { VerifiedToken } from '../token-verifier';
import { growthRefusal, refuse } from './caller';
import type { RequestContext, RouteRequest, RouteSignals } from './pipeline';
import type { RouteDeps } from './route-deps';
import { deviceBoundGrant, requireAllowedSite } from '../access-layers';
import type { DeviceKey } from '../device-binding';

export interface PlaybackDeps extends RouteDeps {
  /** Signs the grant: the playback route is the one that needs the CloudFront private key. */
  readonly signer: MediaSigner;
  /** The DRM catalog and its licence servers, for the licence URLs of a DRM video's grant. */
  readonly drm: DrmConfig;
  /** Live channels by id (lambda/core/live-grants.ts); absent = none. */
  readonly live?: LiveConfig;
  /** The current device key, where device binding is on (lambda/core/device-binding.ts). */
  readonly deviceKey?: () => Promise<DeviceKey>;
}

export class PlaybackRoute {
  private readonly signals: RouteSignals;

  constructor(private readonly deps: PlaybackDeps) {
    this.signals = {
      answered: (_, latencyMs) => deps.signals.emit({ kind: 'authorized', latencyMs }),
      denied: (error, _, latencyMs) =>
        deps.signals.emit({ kind: 'denied', reason: metricReason(error), status: error.status, latencyMs }),
    };
  }

  handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.deps.pipeline.run('playback', event, (request) => this.play(request), this.signals);
  }

  private async play(request: RouteRequest): Promise<HttpResponse> {
    const { config, caller, access, logger, signals } = this.deps;
    const { event, now } = request;
    const videoId = videoIdParam(event.pathParameters?.videoId);
    const delivery = deliveryParam(event.queryStringParameters);
    requireAllowedSite(event.headers, config);
    const { token, context } = await caller.verify(request);
    // Entitled, or renting the title; a sign-in its step-up rule accepts (lambda/core/title-access.ts).
    const title = titleAccess(token, videoId, this.deps.titles);
    const maxStreams = caller.streamLimit(token);
    const viewerIp = caller.viewerIp(event);
    // A grant never outlives the token (or a rental), and CloudFront takes whole seconds only.
    // Dated from the session's grant interval and seeded by the session: a refresh inside it
    // gets the same grant again, which adds nothing to the user's item or the deny-list.
    const sign = (notAfterSeconds: number) => {
      const signRequest = {
        videoId,
        nowSeconds: grantIssuedAt(token, now, config.signing.ttlSeconds),
        notAfterSeconds,
        viewerIp,
        policySeed: sessionId(token),
        live: this.liveScopeOf(videoId, token),
      };
      const signed =
        delivery === 'url' ? this.deps.signer.signUrl(signRequest) : this.deps.signer.signCookies(signRequest);
      return deviceBoundGrant(signed, event.headers, config, this.deps.deviceKey);
    };
    // Signed first, so the store's write can record the grant's ids. Signing refuses an IPv6
    // viewer with IP binding on.
    let grant = await sign(grantNotAfter(token, title, now));
    // One conditional write checks everything and records the presentation, the stream slot, the
    // grant's ids (one per signature: the /media/ set and any /drm/ set, for the edge's deny-list),
    // the session's start and a rental's first play; a refused call's grant is dropped unseen.
    const authorize = (signed: SignedGrant) =>
      access.authorize({
        ...callerCall(token, now, config.token),
        presentation: caller.presentation(event, viewerIp),
        sessionKeepUntil: sessionKeepUntil(token, config.token),
        slotUntil: signed.expiresAt,
        grants: config.edgeDenyList ? signed.grantIds.map((id) => ({ id, expiresAt: signed.expiresAt })) : undefined,
        revokeUntil: revokeUntil(now, config.token),
        maxStreams,
        ...playbackRecords(title, now, signed.expiresAt),
      });
    let verdict = await authorize(grant);
    if (verdict.outcome === 'rental-ends') {
      // The rental's last grant, signed again to end with it: a second write, only in its last minutes.
      grant = await sign(verdict.endsAt);
      verdict = await authorize(grant);
    }
    switch (verdict.outcome) {
      case 'admitted':
        if (verdict.sharing !== undefined) await this.onSharing(token, verdict.sharing, now, context);
        if (verdict.evicted !== undefined) {
          // evict-oldest: the oldest session was ended in the same write (its token plays no
          // more, its grants are denied at the edge) and this one took its slot.
          signals.emit({ kind: 'session-evicted' });
          logger.info('oldest session ended by the stream limit', { ...context, videoId });
        }
        break;
      case 'sharing-suspected':
        await this.onSharing(token, verdict.sharing, now, context);
        break;
      case 'streams-full':
        signals.emit({ kind: 'concurrency-limited' });
        throw new ConcurrencyLimit(maxStreams);
      case 'too-many-sessions':
      case 'too-many-grants':
        throw growthRefusal(verdict);
      case 'step-up-required':
      case 'rental-expired':
      case 'too-many-rentals':
        throw titleRefusalError(verdict, title, this.deps.titles);
      case 'rental-ends':
        throw new StoreContention(); // the rental's end moved between two writes: retry
      default:
        refuse(verdict);
    }
    logger.info('playback authorized', { ...context, videoId, delivery, expiresAt: grant.expiresAt });
    const body = {
      videoId,
      manifestUrl: grant.manifestUrl,
      expiresAt: isoTime(grant.expiresAt),
      refreshAfter: isoTime(grant.refreshAfter),
      ...(grant.signedQuery !== undefined ? { signedQuery: grant.signedQuery } : {}),
      ...this.drmAnswer(videoId, grant),
      ...(grant.live !== undefined ? { live: grant.live } : {}),
    };
    return jsonResponse(200, body, grant.cookies);
  }

  /** A live channel's grant scope: start-over only for a token with the start-over scope. */
  private liveScopeOf(videoId: string, token: VerifiedToken): LiveScope | undefined {
    const live = this.deps.live;
    const channel = live?.channels.get(videoId);
    if (channel === undefined || live === undefined) return undefined;
    return liveScope(channel, scopesOf(token, this.deps.config.entitlement).includes(live.startOverScope));
  }

  /** For a video in the DRM catalog: its signed `/drm/` manifest and where its licences are asked for. */
  private drmAnswer(videoId: string, grant: SignedGrant): Record<string, unknown> {
    if (grant.drm === undefined) return {};
    const base = this.deps.config.signing.mediaBaseUrl;
    const licenceUrls = Object.fromEntries(
      Object.keys(this.deps.drm.upstreams).map((drmSystem) => [
        drmSystem,
        apiUrl(base, 'licence', { videoId, drmSystem }),
      ]),
    );
    return { drm: { ...grant.drm, licenceUrls } };
  }

  /** Applies the configured action to a token presented from too many networks or countries. */
  private async onSharing(
    token: VerifiedToken,
    verdict: SharingVerdict,
    now: number,
    context: RequestContext,
  ): Promise<void> {
    const { access, caller, config, logger, signals } = this.deps;
    const { action } = access.limits.sharing;
    signals.emit({ kind: 'sharing-suspected', action });
    logger.warn('token sharing suspected', {
      ...context,
      action,
      networks: verdict.networks,
      countries: verdict.countries,
    });
    if (action === 'alert') return;
    if (action === 'revoke-token')
      await access.revokeSession(
        token,
        sessionId(token),
        now,
        sessionKeepUntil(token, config.token),
        userKeepUntil(now, config.token),
      );
    if (action === 'revoke-user')
      await access.revokeUser(token, caller.defaultCutoff(now), now, userKeepUntil(now, config.token));
    throw new SharingSuspected();
  }
}

function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString();
}
