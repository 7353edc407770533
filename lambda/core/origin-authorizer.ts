/**
 * The HTTP API Lambda authorizer (payload 2.0, simple responses) in front of every API route: a
 * request is let through to the API's functions only with the origin-verify value CloudFront adds.
 * API Gateway itself answers 401 when the header is missing (it is the identity source), and caches
 * each answer by the header's value for the authorizer's TTL.
 *
 * The accepted values are loaded per container and re-read once they are `refreshAfterMs` old,
 * before the next check: a rotation publishes its pending value at least that long before
 * CloudFront sends it, so no container refuses (and API Gateway caches the refusal of) a value
 * CloudFront legitimately sends. If they cannot be loaded at all the request is
 * refused (fail closed) by throwing a fixed error: API Gateway then answers 500 and, unlike a
 * `{isAuthorized: false}`, does not cache it, so a transient Secrets Manager failure cannot lock
 * CloudFront's own value out for a whole TTL. Nothing of the cause reaches the caller.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { ORIGIN_VERIFY_HEADER, originVerified, type OriginVerifyValues } from './origin-verify';

export type OriginVerdict = 'verified' | 'refused' | 'secret-unavailable';

/** What the handler throws when the accepted values cannot be loaded; its message is all API Gateway logs. */
export const SECRET_UNAVAILABLE_MESSAGE = 'origin-verify secret unavailable';

export interface OriginAuthorizerOptions {
  /** Reads the accepted values (from Secrets Manager); called once per container, again only after a failure. */
  load: () => Promise<OriginVerifyValues>;
  /**
   * After a failed load, requests are refused without calling `load` again for this long, so a
   * flood of guesses cannot turn into a flood of Secrets Manager calls.
   * @default 5000
   */
  retryAfterMs?: number;
  /**
   * Re-read the values once they are this old (a failed re-read keeps the old ones).
   * @default 60000
   */
  refreshAfterMs?: number;
  /** Milliseconds, for the retry delay. @default Date.now */
  now?: () => number;
  /** Told of each failed load (the handler logs it). */
  onLoadFailure?: (error: unknown) => void;
}

export class OriginAuthorizer {
  private values: Promise<OriginVerifyValues> | undefined;
  private failedAt: number | undefined;
  private loadedAt = 0;
  private refreshing?: Promise<void>;

  constructor(private readonly options: OriginAuthorizerOptions) {}

  /** Never throws: a value that cannot be checked is 'secret-unavailable'. */
  async verdict(event: Pick<APIGatewayRequestAuthorizerEventV2, 'headers'>): Promise<OriginVerdict> {
    const accepted = await this.accepted();
    if (accepted === undefined) return 'secret-unavailable';
    return originVerified(event.headers?.[ORIGIN_VERIFY_HEADER], accepted) ? 'verified' : 'refused';
  }

  /** The authorizer's answer to API Gateway: `{isAuthorized}`, or the fixed error (a 500, not cached). */
  async authorize(
    event: Pick<APIGatewayRequestAuthorizerEventV2, 'headers'>,
  ): Promise<APIGatewaySimpleAuthorizerResult> {
    const verdict = await this.verdict(event);
    if (verdict === 'secret-unavailable') throw new Error(SECRET_UNAVAILABLE_MESSAGE);
    return { isAuthorized: verdict === 'verified' };
  }

  private async accepted(): Promise<OriginVerifyValues | undefined> {
    const now = (this.options.now ?? Date.now)();
    if (this.values === undefined) {
      if (this.failedAt !== undefined && now - this.failedAt < (this.options.retryAfterMs ?? 5000)) return undefined;
      this.values = this.options.load();
      this.loadedAt = now;
    } else if (now - this.loadedAt >= (this.options.refreshAfterMs ?? 60_000)) {
      await this.refresh(now);
    }
    const pending = this.values;
    try {
      return await pending;
    } catch (error) {
      if (this.values === pending) {
        this.values = undefined;
        this.failedAt = now;
        try {
          this.options.onLoadFailure?.(error);
        } catch {
          // A failing reporter must not turn a refusal into something else.
        }
      }
      return undefined;
    }
  }

  /** One re-read at a time; on failure the values in hand stay, and the next try waits retryAfterMs. */
  private refresh(now: number): Promise<void> {
    this.refreshing ??= this.options
      .load()
      .then((values) => {
        this.values = Promise.resolve(values);
        this.loadedAt = now;
      })
      .catch((error: unknown) => {
        this.loadedAt = now - (this.options.refreshAfterMs ?? 60_000) + (this.options.retryAfterMs ?? 5000);
        try {
          this.options.onLoadFailure?.(error);
        } catch {
          // reporting must not change the verdict
        }
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}
