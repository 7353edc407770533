/** The player-independent core: sessions, denials and signed URLs (no adapters). */
export { createPlaybackSession } from './client';
export type {
  Delivery,
  DrmGrant,
  Grant,
  PlaybackSession,
  PlaybackSessionOptions,
  RetryOptions,
  SessionEvents,
} from './client';
export { StreamgateError, denialOf, isRetryable } from './denial';
export type { DenialAction, DenialKind, StreamgateDenial } from './denial';
export { isApiReason } from './reason-codes';
export type { ApiReason } from './reason-codes';
