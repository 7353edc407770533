/**
 * The playback API's abuse defences (sharing detection, stream and rate limits): each setting's
 * default, range and Lambda variable, declared once for the functions' config (config.ts) and
 * the deploy config (lib/config/protection.ts), so a value that synthesizes also starts.
 * docs/configuration.md lists them (test/infra/contracts.test.ts checks it against this).
 * Their shapes are the other settings' (settings-contract.ts); only types are imported.
 */
import type { ChoiceSetting, IntegerSetting } from './settings-contract';

export const SHARING_ACTIONS = ['alert', 'deny', 'revoke-token', 'revoke-user'] as const;
export type SharingAction = (typeof SHARING_ACTIONS)[number];

export type { ChoiceSetting, IntegerSetting };

/** By the deploy config's field names (`abuse.<name>`), in the order the docs list them. */
export const ABUSE_DEFAULTS = {
  /** Distinct networks (IPv4 /24, IPv6 /48) per token above which sharing is suspected; 0 turns detection off. */
  sharingMaxNetworks: { variable: 'SHARING_MAX_NETWORKS', fallback: 3, min: 0, max: 1000 },
  /** Distinct countries per token above which sharing is suspected. */
  sharingMaxCountries: { variable: 'SHARING_MAX_COUNTRIES', fallback: 1, min: 1, max: 250 },
  sharingAction: { variable: 'SHARING_ACTION', fallback: 'alert', allowed: SHARING_ACTIONS },
  /** Active playback sessions per user; 0 = unlimited. */
  maxConcurrentStreams: { variable: 'MAX_CONCURRENT_STREAMS', fallback: 3, min: 0, max: 1000 },
  /** API calls per user per window; 0 = unlimited. */
  rateLimitPerWindow: { variable: 'RATE_LIMIT_PER_WINDOW', fallback: 60, min: 0, max: 1_000_000 },
  rateWindowSeconds: { variable: 'RATE_LIMIT_WINDOW_SECONDS', fallback: 60, min: 1, max: 3600 },
  /**
   * Distinct sessions (tokens) per user that may play or log out in one clock hour: bounds the
   * per-session state on the user's item. Above it: 429 `too_many_sessions`.
   */
  maxSessionsPerHour: { variable: 'MAX_SESSIONS_PER_HOUR', fallback: 20, min: 1, max: 500 },
  /**
   * Grants recorded per user per grant bucket (the grants expiring within one `SIGNED_TTL_SECONDS`
   * + 300 s): bounds the grant records on the item and the user's deny-list entries. Above it:
   * 429 `too_many_grants`. At least 8, more than one call's grants.
   */
  maxGrantsPerBucket: { variable: 'MAX_GRANTS_PER_BUCKET', fallback: 32, min: 8, max: 500 },
} as const satisfies Record<string, IntegerSetting | ChoiceSetting<SharingAction>>;

export type AbuseSettingName = keyof typeof ABUSE_DEFAULTS;

/**
 * What the concurrent-stream limit does when a user starts one stream too many: refuse the new
 * one (`reject-newest`, the original behaviour) or end the oldest session and revoke its grants
 * at the edge (`evict-oldest`). Deploy config `abuse.streamLimitPolicy`.
 */
export const STREAM_LIMIT_POLICIES = ['reject-newest', 'evict-oldest'] as const;
export type StreamLimitPolicy = (typeof STREAM_LIMIT_POLICIES)[number];
export const STREAM_LIMIT_POLICY = {
  variable: 'STREAM_LIMIT_POLICY',
  fallback: 'reject-newest',
  allowed: STREAM_LIMIT_POLICIES,
} as const satisfies ChoiceSetting<StreamLimitPolicy>;
