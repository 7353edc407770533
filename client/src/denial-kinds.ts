/** The kinds of denial an app switches on, and what to offer the viewer: shared by the classifier and the reason table. */
export type DenialKind =
  | 'signed-out'
  | 'not-entitled'
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
export type DenialAction = 'sign-in' | 'pick-another' | 'retry-later' | 'none';
