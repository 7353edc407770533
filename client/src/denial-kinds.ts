/** The kinds of denial an app switches on, and what to offer the viewer: shared by the classifier and the reason table. */
export type DenialKind =
  | 'signed-out'
  | 'not-entitled'
  /** RFC 9470: sign in again, more strongly or more recently (`acrValues`, `maxAgeSeconds`). */
  | 'step-up'
  /** The rental of this title is over. */
  | 'rental-expired'
  | 'revoked'
  | 'session-ended'
  | 'too-many-streams'
  | 'sharing'
  | 'rate-limited'
  | 'unavailable'
  | 'bad-request'
  | 'media-denied'
  /** The API is on another origin and the browser refused its answer: this page's origin is not allowed (CORS). */
  | 'cors'
  | 'network';

/** What the app should offer the viewer. */
export type DenialAction = 'sign-in' | 'step-up' | 'pick-another' | 'retry-later' | 'none';
