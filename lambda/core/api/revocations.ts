/**
 * `POST /api/v1/revocations` with `{"sub", "jti"}` (one token) or `{"sub", "before"?}` (every
 * token of the user issued before the cut-off); admin scope. The same function serves the other
 * admin routes (./admin-users.ts).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { revokeUntil, sessionId, userKeepUntil } from '../access-state';
import { InvalidRequest } from '../errors';
import { jsonResponse, type HttpResponse } from '../http';
import { isIdentifier } from '../request';
import { ADMIN_ROUTE_METHODS } from '../api-routes';
import { liftCutoff, userState } from './admin-users';
import type { RouteRequest } from './pipeline';
import type { RouteDeps } from './route-deps';

const MAX_BODY_BYTES = 4096;

export type RevocationsDeps = RouteDeps;

export class RevocationsRoute {
  constructor(private readonly deps: RevocationsDeps) {}

  /** The admin function's routes, by API Gateway's route key (the revocation itself for its own). */
  handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const { pipeline } = this.deps;
    switch (ADMIN_ROUTE_METHODS[event.routeKey as keyof typeof ADMIN_ROUTE_METHODS]) {
      case 'liftCutoff':
        return pipeline.run('lift-cutoff', event, (request) => liftCutoff(this.deps, request));
      case 'userState':
        return pipeline.run('user-state', event, (request) => userState(this.deps, request));
      default:
        return pipeline.run('revoke', event, (request) => this.revoke(request));
    }
  }

  private async revoke(request: RouteRequest): Promise<HttpResponse> {
    const { access, caller, config, logger } = this.deps;
    const { now } = request;
    const { context } = await caller.authenticateAdmin(request);
    const body = revocationBody(request.event);
    const { clockToleranceSeconds, issuer: iss } = config.token;
    if (body.jti !== undefined) {
      const target = { iss, sub: body.sub, jti: body.jti };
      // Any token with this jti that is valid now expires before revokeUntil.
      await access.revokeSession(
        target,
        sessionId(target),
        now,
        revokeUntil(now, config.token),
        userKeepUntil(now, config.token),
      );
      logger.info('token revoked by admin', { ...context, revokedSub: body.sub, revokedJti: body.jti });
      return jsonResponse(201, { revoked: target });
    }
    const latest = caller.defaultCutoff(now);
    const before = body.before ?? latest;
    if (before > latest)
      throw new InvalidRequest(`"before" must not be later than now + ${clockToleranceSeconds + 1} s`);
    await access.revokeUser({ iss, sub: body.sub }, before, now, userKeepUntil(now, config.token));
    logger.info('user revoked by admin', { ...context, revokedSub: body.sub, before });
    return jsonResponse(201, { revoked: { iss, sub: body.sub, before } });
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
