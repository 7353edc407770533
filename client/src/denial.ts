/**
 * Every way a playback call can fail, as one typed value an app can show and act on: the API's
 * `{error, reason, error_description}` bodies (docs/api.md, Errors), classified by their `reason`
 * code and never by their words; the answers that are not the API's own (API Gateway, the WAF),
 * by status; and network failures.
 */
import { isApiReason, REASON_KINDS } from './reason-codes';

export type { DenialAction, DenialKind } from './denial-kinds';
import type { DenialAction, DenialKind } from './denial-kinds';

export interface StreamgateDenial {
  kind: DenialKind;
  /** HTTP status; absent for network failures. */
  status?: number;
  /** The API's `error` code (e.g. `invalid_token`), when it sent one. */
  code?: string;
  /** The API's `reason` code (e.g. `revoked`; docs/api.md, Errors), when it sent one. */
  reason?: string;
  /** A sentence for the viewer. */
  message: string;
  action: DenialAction;
  /** From `Retry-After` (429, 503). */
  retryAfterSeconds?: number;
  /** The API's `error_description`, for logs (not for viewers). */
  detail?: string;
  /** `step-up`: the authentication levels the title accepts, by preference (RFC 9470 `acr_values`), to ask the IdP for. */
  acrValues?: string[];
  /** `step-up`: how old the sign-in may be, in seconds (RFC 9470 `max_age`), to ask the IdP for. */
  maxAgeSeconds?: number;
}

/** Thrown (and used to reject `session.ready`) when a session stops on a denial. */
export class StreamgateError extends Error {
  constructor(readonly denial: StreamgateDenial) {
    super(denial.message);
    this.name = 'StreamgateError';
  }
}

const TEXT: Record<DenialKind, [string, DenialAction]> = {
  'signed-out': ['Please sign in to watch.', 'sign-in'],
  revoked: ['Your access was revoked. Sign in again to watch.', 'sign-in'],
  'session-ended': [
    'Your session was ended because this account started watching on another device. Try again to watch here instead.',
    'retry-later',
  ],
  'not-entitled': ["Your account doesn't include this video.", 'pick-another'],
  'step-up': ['This video needs you to confirm your sign-in. Sign in again to watch.', 'step-up'],
  'rental-expired': ['Your rental of this video has ended. Rent it again to watch.', 'pick-another'],
  'too-many-streams': ["You're watching on too many devices. Stop one of them and try again.", 'retry-later'],
  sharing: ['Playback was blocked because this account seems to be shared.', 'none'],
  'rate-limited': ['Too many requests. Trying again shortly.', 'retry-later'],
  unavailable: ['The service is briefly unavailable. Trying again shortly.', 'retry-later'],
  'bad-request': ["This video can't be played.", 'none'],
  'media-denied': ['The video service refused this video even with fresh access. Try again later.', 'retry-later'],
  cors: ["This site isn't allowed to use the video service. Contact the site's team.", 'none'],
  network: ['No connection to the video service. Trying again shortly.', 'retry-later'],
};

/** Kinds worth retrying automatically (with backoff): the rest stop the session. */
export const isRetryable = (denial: StreamgateDenial): boolean =>
  denial.kind === 'rate-limited' || denial.kind === 'unavailable' || denial.kind === 'network';

export function denial(kind: DenialKind, extra: Partial<StreamgateDenial> = {}): StreamgateDenial {
  const [message, action] = TEXT[kind];
  return { kind, message, action, ...extra };
}

/** `Retry-After` as whole seconds: delta-seconds or an HTTP date. */
export function retryAfterSeconds(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMs) / 1000));
}

/** A non-2xx answer of the playback route as a denial. `body` is the parsed JSON, if any. */
export function denialOf(status: number, body: unknown, retryAfter: number | undefined): StreamgateDenial {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = typeof fields.error === 'string' ? fields.error : undefined;
  const detail =
    typeof fields.error_description === 'string'
      ? fields.error_description
      : typeof fields.message === 'string'
        ? fields.message
        : undefined;
  const extra: Partial<StreamgateDenial> = { status, code, detail };
  if (typeof fields.reason === 'string') extra.reason = fields.reason;
  if (retryAfter !== undefined) extra.retryAfterSeconds = retryAfter;
  Object.assign(extra, stepUpOf(fields));
  if (isApiReason(fields.reason)) {
    const [kind, action] = REASON_KINDS[fields.reason] as readonly [DenialKind, DenialAction?];
    return action === undefined ? denial(kind, extra) : notFromHere(denial(kind, extra), action);
  }
  // Not the API's own answer (API Gateway, the WAF), or a reason newer than this client: by status.
  let kind: DenialKind;
  if (status === 401) kind = code === 'insufficient_user_authentication' ? 'step-up' : 'signed-out';
  else if (status === 403)
    kind =
      code === 'concurrency_limit'
        ? 'too-many-streams'
        : code === 'sharing_suspected'
          ? 'sharing'
          : code === 'session_ended'
            ? 'session-ended'
            : code === 'rental_expired'
              ? 'rental-expired'
              : 'not-entitled';
  else if (status === 429) kind = 'rate-limited';
  else if (status >= 500) kind = 'unavailable';
  else kind = 'bad-request';
  const result = denial(kind, extra);
  // 403 `forbidden` (origin check) or a WAF block: nothing the viewer can pick to fix it.
  return status === 403 && code !== 'insufficient_scope' && kind === 'not-entitled'
    ? notFromHere(result, 'none')
    : result;
}

/** A refusal that is not about the viewer's entitlement: nothing they can pick fixes it. */
function notFromHere(result: StreamgateDenial, action: DenialAction): StreamgateDenial {
  return { ...result, action, message: "Playback isn't allowed from here." };
}

/** RFC 9470's challenge parameters, as the API repeats them in its body (`acr_values`, `max_age`). */
function stepUpOf(fields: Record<string, unknown>): Pick<StreamgateDenial, 'acrValues' | 'maxAgeSeconds'> {
  const acr = fields.acr_values;
  const maxAge = fields.max_age;
  return {
    ...(typeof acr === 'string' && acr.trim() !== '' ? { acrValues: acr.trim().split(/ +/) } : {}),
    ...(typeof maxAge === 'number' && Number.isInteger(maxAge) && maxAge >= 0 ? { maxAgeSeconds: maxAge } : {}),
  };
}
