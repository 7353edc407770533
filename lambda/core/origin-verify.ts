/**
 * The origin-verify check: CloudFront adds ORIGIN_VERIFY_HEADER, with a value from Secrets
 * Manager, to every request it sends the API, so a request without the value did not come
 * through CloudFront (and skipped the WAF). The API Gateway authorizer (origin-authorizer.ts)
 * and the API itself (api.ts) both check it; lib/playback-api.ts sends it.
 *
 * Rotation overlap: the values accepted are the secret's current version (AWSCURRENT), its
 * previous one (AWSPREVIOUS) and a rotation's pending one (AWSPENDING). The rotation
 * (lambda/core/origin-secret-rotation.ts) creates the pending value first, lets every receiver
 * learn it, and only then makes CloudFront send it; edges still sending the old value keep
 * working until the next rotation moves AWSPREVIOUS on. docs/rotation.md has the sequence.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from './config';

/** The header CloudFront adds to every API origin request (HTTP API hands it over lower-cased). */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

/** The variable naming the secret, in every function that checks the header. */
export const ORIGIN_VERIFY_SECRET_VARIABLE = 'ORIGIN_VERIFY_SECRET_ARN';

/** How long the authorizer keeps the accepted values before re-reading them (a rotation waits this long). */
export const ORIGIN_VERIFY_REFRESH_SECONDS = 60;

/** Shorter values are refused at init: a guessable value is no check. */
export const MIN_ORIGIN_VERIFY_LENGTH = 16;

/** Secrets Manager staging labels read: the value CloudFront sends, the one before it, and the one a rotation is introducing. */
export const ORIGIN_VERIFY_STAGES = ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'] as const;
export type OriginVerifyStage = (typeof ORIGIN_VERIFY_STAGES)[number];

/** The values a request may carry. */
export interface OriginVerifyValues {
  readonly current: string;
  /** The value before the last rotation, while the rotation overlap lasts. */
  readonly previous?: string;
  /** The value a rotation in progress is about to make CloudFront send. */
  readonly pending?: string;
}

/**
 * Whether `given` is one of the accepted values. Constant time: both sides are hashed to the
 * same length before timingSafeEqual, and every accepted value is compared, so neither the
 * length of a guess nor which value matched shows in the time taken.
 */
export function originVerified(given: string | undefined, accepted: OriginVerifyValues): boolean {
  if (given === undefined || given === '') return false;
  const candidate = digest(given);
  let matched = false;
  for (const value of [accepted.current, accepted.previous, accepted.pending]) {
    if (value !== undefined && timingSafeEqual(candidate, digest(value))) matched = true;
  }
  return matched;
}

/**
 * The accepted values from the secret's two stages. `readStage` answers undefined for a stage the
 * secret has no version under (no rotation yet, or the overlap ended) and throws when the secret
 * cannot be read. A current value shorter than MIN_ORIGIN_VERIFY_LENGTH throws; such a previous
 * value is dropped: not accepting the old value is the safe side of a bad overlap.
 */
export async function loadOriginVerifyValues(
  readStage: (stage: OriginVerifyStage) => Promise<string | undefined>,
): Promise<OriginVerifyValues> {
  const [current, previous, pending] = await Promise.all(ORIGIN_VERIFY_STAGES.map(readStage));
  if (current === undefined || current.length < MIN_ORIGIN_VERIFY_LENGTH) {
    throw new ConfigError(
      ORIGIN_VERIFY_SECRET_VARIABLE,
      `secret must hold a string of at least ${MIN_ORIGIN_VERIFY_LENGTH} characters`,
    );
  }
  const usable = (value: string | undefined) =>
    value !== undefined && value.length >= MIN_ORIGIN_VERIFY_LENGTH && value !== current ? value : undefined;
  const [extraPrevious, extraPending] = [usable(previous), usable(pending)];
  return {
    current,
    ...(extraPrevious === undefined ? {} : { previous: extraPrevious }),
    ...(extraPending === undefined ? {} : { pending: extraPending }),
  };
}

/**
 * The API's own check (the second layer, behind the authorizer): the values loaded at init, and
 * on a value it does not know, one re-read (at most one every `refreshAfterMs`) before refusing. A
 * request reaches the API only past the authorizer, so an unknown value there means this
 * container's copy predates a rotation: CloudFront may already send the new value while the API's
 * containers, which CloudFormation updates after the distribution, still hold the old one.
 */
export class OriginVerifier {
  private refreshedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    private values: OriginVerifyValues,
    private readonly load: () => Promise<OriginVerifyValues>,
    private readonly now: () => number,
    private readonly refreshAfterMs: number,
  ) {}

  /** Loads the values; a failure here fails the caller's init. */
  static async create(
    load: () => Promise<OriginVerifyValues>,
    options: { refreshAfterMs?: number; now?: () => number } = {},
  ): Promise<OriginVerifier> {
    return new OriginVerifier(await load(), load, options.now ?? Date.now, options.refreshAfterMs ?? 30_000);
  }

  async verified(given: string | undefined): Promise<boolean> {
    if (originVerified(given, this.values)) return true;
    const now = this.now();
    if (given === undefined || given === '' || now - this.refreshedAt < this.refreshAfterMs) return false;
    this.refreshedAt = now;
    try {
      this.values = await this.load();
    } catch {
      return false; // Keep the values it has; this request is refused either way.
    }
    return originVerified(given, this.values);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
