/**
 * `POST /api/v1/licence/{videoId}/{drmSystem}`: the playback checks (origin, token, revocation
 * by token and by user, entitlement to this video, rate limit; fail closed), then the licence
 * request goes to that DRM system's licence server. Takes no stream slot, but needs one: a
 * player asks for licences (and renewals) within a session playback admitted and keeps alive.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callerCall } from '../access-state';
import { SessionNotPlaying, SharingSuspected, type ApiError } from '../errors';
import type { HttpResponse } from '../http';
import type { LicenceProxy } from '../licence-proxy';
import { metricReason } from '../metrics';
import { videoIdParam } from '../request';
import { licenceRecords, type TitleAccess, titleAccess, titleRefusalError } from '../title-access';
import { refuse, type Caller } from './caller';
import { withContext, type RequestContext, type RouteRequest, type RouteSignals } from './pipeline';
import type { RouteDeps } from './route-deps';

export interface LicenceDeps extends RouteDeps {
  /** Forwards to the licence servers: the licence route is the one that reads their credentials. */
  readonly licences: LicenceProxy;
}

export class LicenceRoute {
  private readonly signals: RouteSignals;

  constructor(private readonly deps: LicenceDeps) {
    this.signals = {
      answered: (context) => deps.signals.emit({ kind: 'licence-issued', upstreamMs: context.upstreamMs ?? 0 }),
      denied: (error, context) => this.signalDenial(error, context),
    };
  }

  handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.deps.pipeline.run('licence', event, (request) => this.licence(request), this.signals);
  }

  private async licence(request: RouteRequest): Promise<HttpResponse> {
    const { caller, licences: proxy, logger } = this.deps;
    const { event } = request;
    const videoId = videoIdParam(event.pathParameters?.videoId);
    // Size first (a large body costs nothing to refuse); the rest only for an authenticated caller.
    const body = proxy.body(event);
    // As playback: the entitlement first (a token not entitled to the video is told so), then the
    // store's one write, which admits only a session playback admitted.
    const verified = await caller.verify(request);
    // Entitled or renting, with the title's step-up met as far as the token shows (lambda/core/title-access.ts).
    const title = titleAccess(verified.token, videoId, this.deps.titles);
    await this.admit(verified, title, request);
    const drmSystem = proxy.drmSystem(event.pathParameters?.drmSystem);
    const context = request.reached(withContext(verified.context, { videoId, drmSystem }));
    proxy.checkKeyIds(proxy.video(videoId), drmSystem, proxy.nonEmpty(body));
    const contentType = event.headers?.['content-type'];
    let answered: RequestContext = context;
    const response = await proxy.forward({ videoId, drmSystem, body, contentType }, (outcome) => {
      answered = request.reached(withContext(context, outcome));
    });
    logger.info('licence issued', { ...answered });
    return response;
  }

  /**
   * The licence route's caller check, in its one store write: verified, not revoked (by token or
   * by user), within the user's rate limit, and only for a session playback admitted (a live
   * stream slot; a network and country the sharing limits let through), so the stream limit and
   * the sharing verdict hold for content keys too.
   */
  private async admit({ token, context }: Caller, title: TitleAccess, request: RouteRequest): Promise<void> {
    const { access, caller, config, logger } = this.deps;
    const verdict = await access.licence({
      ...callerCall(token, request.now, config.token),
      // As playback applied it: a plan's unlimited streams take no slot, so none is asked for.
      maxStreams: caller.streamLimit(token, true),
      presentation: caller.presentation(request.event),
      ...licenceRecords(title),
    });
    if (verdict.outcome === 'not-playing') throw new SessionNotPlaying();
    if (verdict.outcome === 'step-up-required' || verdict.outcome === 'rental-expired')
      throw titleRefusalError(verdict, title, this.deps.titles);
    if (verdict.outcome === 'sharing-suspected') {
      logger.warn('licence from a network playback did not admit', {
        ...context,
        networks: verdict.sharing.networks,
        countries: verdict.sharing.countries,
      });
      throw new SharingSuspected();
    }
    if (verdict.outcome !== 'admitted') refuse(verdict);
  }

  /**
   * A licence refusal of the viewer by reason (`licence_refused` its own), or a failure of the
   * licence server (`upstream_*`, a series of its own, alarmed: never counted as a viewer's denial).
   */
  private signalDenial(error: ApiError, context: RequestContext): void {
    const { upstreamMs } = context;
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
}
