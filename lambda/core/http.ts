/**
 * API Gateway HTTP API (payload v2) responses: JSON bodies, the API contract's error shape
 * (`{"error", "reason", "error_description"}`, docs/api.md#errors) and RFC 6750
 * `WWW-Authenticate` challenges. Nothing here is ever cached by a browser or CDN.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type ApiError, InsufficientScope, InvalidToken, StepUpRequired } from './errors';
import { INTERNAL_ERROR_REASON, wireReasonOf } from './reason-codes';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export const REALM = 'streamgate';

const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export function jsonResponse(statusCode: number, body: unknown, cookies?: string[]): HttpResponse {
  return {
    statusCode,
    headers: { ...BASE_HEADERS },
    body: JSON.stringify(body),
    ...(cookies !== undefined && cookies.length > 0 ? { cookies } : {}),
  };
}

export function emptyResponse(statusCode: number): HttpResponse {
  return { statusCode, headers: { 'cache-control': 'no-store' } };
}

export function errorResponse(error: ApiError): HttpResponse {
  const response = jsonResponse(error.status, {
    error: error.code,
    reason: wireReasonOf(error.reason),
    error_description: error.description,
    // The challenge's parameters in the body too: a cross-origin client may not read the header.
    ...(error instanceof StepUpRequired ? stepUpParameters(error) : {}),
  });
  const challenge = challengeFor(error);
  if (challenge !== undefined) response.headers['www-authenticate'] = challenge;
  if (error.retryAfterSeconds !== undefined) response.headers['retry-after'] = String(error.retryAfterSeconds);
  return response;
}

/** 500 for a failure that is not an ApiError (a bug): nothing about it leaves the function. */
export function internalErrorResponse(): HttpResponse {
  return jsonResponse(500, {
    error: 'server_error',
    reason: INTERNAL_ERROR_REASON,
    error_description: 'internal error',
  });
}

/** RFC 6750 §3: no error code when the request carried no credentials at all (§3.1). */
function challengeFor(error: ApiError): string | undefined {
  if (error instanceof InvalidToken && error.reason === 'missing_token') return `Bearer realm="${REALM}"`;
  if (error instanceof StepUpRequired) {
    // RFC 9470 §3: acr_values (space-separated, by preference) and max_age (seconds), quoted as its examples.
    const { acr_values, max_age } = stepUpParameters(error);
    return [
      `Bearer realm="${REALM}", error="${error.code}", error_description="${quotable(error.description)}"`,
      ...(acr_values !== undefined ? [`acr_values="${quotable(acr_values)}"`] : []),
      ...(max_age !== undefined ? [`max_age="${max_age}"`] : []),
    ].join(', ');
  }
  if (error instanceof InvalidToken || error instanceof InsufficientScope) {
    return `Bearer realm="${REALM}", error="${error.code}", error_description="${quotable(error.description)}"`;
  }
  return undefined;
}

/** RFC 6750 restricts error_description to %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash. */
function quotable(text: string): string {
  return text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

function stepUpParameters(error: StepUpRequired): { acr_values?: string; max_age?: number } {
  return {
    ...(error.acrValues !== undefined ? { acr_values: error.acrValues.join(' ') } : {}),
    ...(error.maxAgeSeconds !== undefined ? { max_age: error.maxAgeSeconds } : {}),
  };
}
