/**
 * The admin routes about one user, beside revocation (docs/api.md): `GET /api/v1/users/{sub}/sessions`
 * (what the store holds for the user, lambda/core/user-state.ts) and
 * `DELETE /api/v1/revocations/users/{sub}` (lift a mistaken cut-off). Admin scope; served by the
 * revocations function (./revocations.ts dispatches by route key).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { userKeepUntil } from '../access-state';
import { InvalidRequest } from '../errors';
import { jsonResponse, type HttpResponse } from '../http';
import { isIdentifier } from '../request';
import { userStateAnswer } from '../user-state';
import type { RouteRequest } from './pipeline';
import type { RouteDeps } from './route-deps';

/** The `{sub}` path parameter: whose state (API Gateway and the local adapter pass it decoded). */
export function subParam(event: APIGatewayProxyEventV2): string {
  const sub = event.pathParameters?.sub;
  if (sub === undefined || !isIdentifier(sub))
    throw new InvalidRequest('the user (path {sub}) must be 1 to 256 characters without control characters');
  return sub;
}

/** `GET /api/v1/users/{sub}/sessions`: one consistent read of the user's item, keyed by the store from issuer and sub. */
export async function userState(deps: RouteDeps, request: RouteRequest): Promise<HttpResponse> {
  const { access, caller, config, logger } = deps;
  const { context } = await caller.authenticateAdmin(request);
  const sub = subParam(request.event);
  const { issuer: iss } = config.token;
  const state = await access.userState({ iss, sub }, request.now);
  logger.info('user state read by admin', { ...context, readSub: sub });
  return jsonResponse(200, userStateAnswer(iss, sub, state, request.now));
}

/**
 * `DELETE /api/v1/revocations/users/{sub}`: removes the user's cut-off; answers the one removed
 * (`null`: there was none). Grants the cut-off put on the edge deny-list stay denied until they
 * expire (at most the grant lifetime): the deny-list has no un-deny, so a lift cannot race a
 * revocation into letting a grant through. Audited as a WARN line.
 */
export async function liftCutoff(deps: RouteDeps, request: RouteRequest): Promise<HttpResponse> {
  const { access, caller, config, logger } = deps;
  const { context } = await caller.authenticateAdmin(request);
  const sub = subParam(request.event);
  const { issuer: iss } = config.token;
  const before = await access.liftCutoff({ iss, sub }, userKeepUntil(request.now, config.token));
  logger.warn('user cut-off lifted by admin', { ...context, liftedSub: sub, liftedBefore: before ?? null });
  return jsonResponse(200, { lifted: { iss, sub, before: before ?? null } });
}
