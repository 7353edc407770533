/**
 * Entitlement: what a verified token allows. `scope` (space-separated string or array) must hold
 * the required scope; the videos claim (array of ids, or "*") says which videos. A token without
 * it is refused unless the deployment says its tokens carry no per-video claim
 * (REQUIRE_VIDEOS_CLAIM=false): silence must never mean "every video".
 */
import type { EntitlementConfig } from './config';
import { InsufficientScope, InvalidToken } from './errors';
import type { VerifiedToken } from './token-verifier';

export function scopesOf(token: VerifiedToken, config: EntitlementConfig): string[] {
  const raw = token.claims[config.scopeClaim];
  if (raw === undefined) return [];
  if (typeof raw === 'string') return raw.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(raw) && raw.every((scope): scope is string => typeof scope === 'string')) return raw;
  throw new InvalidToken(
    'malformed_token',
    `token "${config.scopeClaim}" claim must be a string or an array of strings`,
  );
}

export function requireScope(token: VerifiedToken, scope: string, config: EntitlementConfig): void {
  if (!scopesOf(token, config).includes(scope)) {
    throw new InsufficientScope(`token lacks the "${scope}" scope`);
  }
}

/** Throws unless the token may play `videoId`. */
export function requirePlayback(token: VerifiedToken, videoId: string, config: EntitlementConfig): void {
  requireScope(token, config.playScope, config);
  const videos = token.claims[config.videosClaim];
  if (videos === undefined) {
    if (!config.requireVideosClaim) return;
    throw new InsufficientScope(`token has no "${config.videosClaim}" claim saying which videos it may play`);
  }
  if (videos === '*') return;
  if (!Array.isArray(videos) || !videos.every((id) => typeof id === 'string')) {
    throw new InvalidToken(
      'malformed_token',
      `token "${config.videosClaim}" claim must be an array of video ids or "*"`,
    );
  }
  if (!videos.includes(videoId)) throw new InsufficientScope('token is not entitled to this video');
}
