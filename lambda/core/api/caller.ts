/**
 * The steps every route takes about its caller, composed by each route: verify the bearer token,
 * check its entitlement and stream limit, read where the viewer is, turn the store's refusal into
 * the API's, authenticate an admin, and date a user revocation.
 */
import { isIP } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callerCall, type AccessState, type GrowthRefusal, type Presentation, type Refusal } from '../access-state';
import { clientNetwork } from '../client-network';
import type { ApiConfig } from '../config';
import { requirePlayback, requireScope, scopesOf, streamLimitOf } from '../entitlement';
import { InvalidToken, RateLimited, SessionEnded, TooManyGrants, TooManySessions } from '../errors';
import { bearerToken } from '../request';
import type { TokenVerifier, VerifiedToken } from '../token-verifier';
import { withContext, type RequestContext, type RouteRequest } from './pipeline';

export interface CallerDeps {
  readonly config: ApiConfig;
  readonly verifier: TokenVerifier;
  /** The user's access state: one conditional write per call (lambda/store/access-state-store.ts). */
  readonly access: AccessState;
}

/** A verified caller and the request context that now names it. */
export interface Caller {
  readonly token: VerifiedToken;
  readonly context: RequestContext;
}

export class CallerSteps {
  constructor(private readonly deps: CallerDeps) {}

  /** Signature and claims only (logout needs no revocation read: it writes one). */
  async verify(request: RouteRequest, context: RequestContext = request.context): Promise<Caller> {
    const raw = bearerToken(request.event.headers?.authorization, this.deps.config.token.maxTokenBytes);
    const token = await this.deps.verifier.verify(raw, request.now);
    return { token, context: request.reached(withContext(context, { jti: token.jti, sub: token.sub })) };
  }

  /** 403 unless the token may play this video (lambda/core/entitlement.ts). */
  entitle(token: VerifiedToken, videoId: string): void {
    requirePlayback(token, videoId, this.deps.config.entitlement);
  }

  /**
   * The user's stream limit: its own claim, its plans', else the deployment's
   * (lambda/core/entitlement.ts). `lenient`: a malformed claim gets the default instead of a 401.
   */
  streamLimit(token: VerifiedToken, lenient = false): number {
    const fallback = this.deps.access.limits.maxStreams;
    try {
      return streamLimitOf(token, this.deps.config.entitlement, fallback);
    } catch (error) {
      if (lenient && error instanceof InvalidToken) return fallback;
      throw error;
    }
  }

  /** The viewer's address as CloudFront saw it (`ip:port`), else the connection's source IP. */
  viewerIp(event: APIGatewayProxyEventV2): string | undefined {
    const header = event.headers?.[this.deps.config.viewerIpHeader];
    if (header !== undefined) {
      const ip = header.slice(0, header.lastIndexOf(':')).replace(/^\[|\]$/g, '');
      if (isIP(ip) !== 0) return ip;
    }
    return event.requestContext?.http?.sourceIp;
  }

  /** Where the token is presented from, as the sharing limits count it: network and country. */
  presentation(event: APIGatewayProxyEventV2, viewerIp = this.viewerIp(event)): Presentation {
    return {
      network: (viewerIp === undefined ? undefined : clientNetwork(viewerIp)) ?? 'unknown',
      country: this.viewerCountry(event),
    };
  }

  /**
   * Verified, not revoked (by token or by user), with the admin scope. An admin's calls are not
   * counted in the per-user rate limit: an incident may need hundreds of revocations a minute, and
   * the WAF's per-IP limit and the stage throttle bound them. Any other token is counted (and
   * refused when over the limit) before its missing scope is, as on every route.
   */
  async authenticateAdmin(request: RouteRequest): Promise<Caller> {
    const caller = await this.verify(request);
    const { entitlement } = this.deps.config;
    let admin: boolean;
    try {
      admin = scopesOf(caller.token, entitlement).includes(entitlement.adminScope);
    } catch {
      admin = false; // a malformed scope claim: counted, then refused by requireScope below
    }
    const verdict = await this.deps.access.admit({
      ...callerCall(caller.token, request.now, this.deps.config.token),
      counted: !admin,
    });
    if (verdict.outcome !== 'admitted') refuse(verdict);
    requireScope(caller.token, entitlement.adminScope, entitlement);
    return caller;
  }

  /**
   * A user revocation's default cut-off: later than any `iat` a token verified now can carry
   * (jose accepts an `iat` up to the clock tolerance ahead), so no token issued so far survives it.
   */
  defaultCutoff(now: number): number {
    return now + this.deps.config.token.clockToleranceSeconds + 1;
  }

  private viewerCountry(event: APIGatewayProxyEventV2): string | undefined {
    const country = event.headers?.[this.deps.config.viewerCountryHeader]?.toUpperCase();
    return country !== undefined && /^[A-Z]{2}$/.test(country) ? country : undefined;
  }
}

/** Token or user revoked → 401; session ended by the stream limit → 403; over the user's rate → 429. */
export function refuse(refusal: Refusal): never {
  if (refusal.outcome === 'ended') throw new SessionEnded();
  if (refusal.outcome === 'rate-limited') throw new RateLimited(refusal.retryAfterSeconds);
  throw new InvalidToken('revoked', 'token has been revoked');
}

/** The store refused to grow the user's item past its budget: 429 with the reason and when to retry. */
export function growthRefusal(refusal: GrowthRefusal): TooManySessions | TooManyGrants {
  return refusal.outcome === 'too-many-sessions'
    ? new TooManySessions(refusal.limit, refusal.retryAfterSeconds)
    : new TooManyGrants(refusal.limit, refusal.retryAfterSeconds);
}
