/**
 * What every API route does around its own steps: check the call came through CloudFront, time
 * it, map a failure to the API contract's error response, signal denials, log the outcome, and
 * flush the metrics. A route supplies its steps and the signals that are its own.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DrmSystem } from '../drm-config';
import { ApiError, causeSummary, OriginNotVerified } from '../errors';
import { errorResponse, internalErrorResponse, type HttpResponse } from '../http';
import type { ApiSignals } from '../metrics';
import { ORIGIN_VERIFY_HEADER, type OriginVerifier } from '../origin-verify';

/** The operation's name in log lines (`operation`). */
export type Operation = 'playback' | 'revoke' | 'logout' | 'licence' | 'user-state' | 'lift-cutoff';

/**
 * What the log lines of one request say about it, frozen: a step that learns more returns a new
 * context (`withContext`), never changes the one it was given.
 */
export interface RequestContext {
  readonly operation: Operation;
  readonly requestId: string | undefined;
  readonly sub?: string;
  readonly jti?: string;
  readonly videoId?: string;
  readonly drmSystem?: DrmSystem;
  /** The licence server's answer (lambda/core/licence-proxy.ts `LicenceOutcome`): never a body. */
  readonly upstreamStatus?: number;
  readonly licenceBytes?: number;
  readonly upstreamMs?: number;
}

export function withContext(
  context: RequestContext,
  learned: Omit<Partial<RequestContext>, 'operation' | 'requestId'>,
): RequestContext {
  return Object.freeze({ ...context, ...learned });
}

/** One request as a route's steps see it. */
export interface RouteRequest {
  readonly event: APIGatewayProxyEventV2;
  /** Epoch seconds, read once per request. */
  readonly now: number;
  readonly context: RequestContext;
  /**
   * Records the context the request has reached, the one a denial's log line will carry, and
   * returns it: a step that fails later is still logged with what was known by then.
   */
  reached(context: RequestContext): RequestContext;
}

/** A route's own signals, besides the ones every route sends (revoked-token reuse, store errors). */
export interface RouteSignals {
  answered?(context: RequestContext, latencyMs: number): void;
  denied?(error: ApiError, context: RequestContext, latencyMs: number): void;
}

export interface PipelineDeps {
  readonly logger: Logger;
  readonly signals: ApiSignals;
  /** Epoch seconds; injected so tests use real values instead of fake timers. */
  readonly now: () => number;
  /**
   * Checks the origin-verify header CloudFront adds; undefined disables the check (local mode).
   * The API Gateway authorizer checks the same first; this is the second layer.
   * @default no check
   */
  readonly originVerify?: OriginVerifier;
}

export class RequestPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async run(
    operation: Operation,
    event: APIGatewayProxyEventV2,
    steps: (request: RouteRequest) => Promise<HttpResponse>,
    own: RouteSignals = {},
  ): Promise<HttpResponse> {
    let context: RequestContext = Object.freeze({ operation, requestId: event.requestContext?.requestId });
    const reached = (next: RequestContext): RequestContext => {
      context = next;
      return next;
    };
    const started = performance.now();
    try {
      await this.checkOrigin(event);
      const response = await steps({ event, now: this.deps.now(), context, reached });
      own.answered?.(context, performance.now() - started);
      return response;
    } catch (error) {
      if (error instanceof ApiError) {
        this.signalDenial(error);
        own.denied?.(error, context, performance.now() - started);
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

  private signalDenial(error: ApiError): void {
    if (error.reason === 'revoked') this.deps.signals.emit({ kind: 'revoked-token-reuse' });
    if (error.reason === 'store_unavailable') this.deps.signals.emit({ kind: 'store-error' });
  }

  private async checkOrigin(event: APIGatewayProxyEventV2): Promise<void> {
    const verifier = this.deps.originVerify;
    if (verifier !== undefined && !(await verifier.verified(event.headers?.[ORIGIN_VERIFY_HEADER])))
      throw new OriginNotVerified();
  }
}

/** A short hash to correlate log lines about one token without ever logging the token. */
function fingerprint(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  return createHash('sha256').update(authorization).digest('hex').slice(0, 12);
}
