/**
 * `DELETE /api/v1/session`: the holder revokes its own token (logout). Idempotent: a token
 * already revoked is answered without another write. Counted in the user's rate limit.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callerCall, sessionKeepUntil } from '../access-state';
import { RateLimited } from '../errors';
import { emptyResponse, type HttpResponse } from '../http';
import { growthRefusal } from './caller';
import type { RouteRequest } from './pipeline';
import type { RouteDeps } from './route-deps';

export type SessionDeps = RouteDeps;

export class SessionRoute {
  constructor(private readonly deps: SessionDeps) {}

  handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    return this.deps.pipeline.run('logout', event, (request) => this.logout(request));
  }

  private async logout(request: RouteRequest): Promise<HttpResponse> {
    const { access, caller, config, logger } = this.deps;
    const { token, context } = await caller.verify(request);
    const verdict = await access.logout({
      ...callerCall(token, request.now, config.token),
      sessionKeepUntil: sessionKeepUntil(token, config.token),
      // A malformed limit claim never took a slot (playback refused it): the default is then right.
      maxStreams: caller.streamLimit(token, true),
    });
    if (verdict.outcome === 'rate-limited') throw new RateLimited(verdict.retryAfterSeconds);
    if (verdict.outcome === 'too-many-sessions') throw growthRefusal(verdict);
    logger.info('session ended', { ...context, alreadyRevoked: verdict.alreadyRevoked });
    return emptyResponse(204);
  }
}
