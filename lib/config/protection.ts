/**
 * Limits on callers: the API stage's throttling (`api`), the playback API's own abuse defences
 * (`abuse`, defaults and ranges from lambda/core/abuse-defaults.ts, shared with the functions so
 * a value that synthesizes also starts) and the WAF's per-IP limits (`waf`).
 */
import { ABUSE_DEFAULTS, STREAM_LIMIT_POLICY } from '../../lambda/core/abuse-defaults';
import { choice, integer, optionalSection, reportAt, setting, whenValid } from './fields';

export const apiSchema = optionalSection({
  throttleRateLimit: integer(1, 10000).default(50),
  throttleBurstLimit: integer(1, 5000).default(100),
});

export const abuseSchema = optionalSection({
  sharingMaxNetworks: setting(ABUSE_DEFAULTS.sharingMaxNetworks),
  sharingMaxCountries: setting(ABUSE_DEFAULTS.sharingMaxCountries),
  sharingAction: choice(ABUSE_DEFAULTS.sharingAction.allowed).default(ABUSE_DEFAULTS.sharingAction.fallback),
  maxConcurrentStreams: setting(ABUSE_DEFAULTS.maxConcurrentStreams),
  rateLimitPerWindow: setting(ABUSE_DEFAULTS.rateLimitPerWindow),
  rateWindowSeconds: setting(ABUSE_DEFAULTS.rateWindowSeconds),
  maxSessionsPerHour: setting(ABUSE_DEFAULTS.maxSessionsPerHour),
  maxGrantsPerBucket: setting(ABUSE_DEFAULTS.maxGrantsPerBucket),
  /** Over maxConcurrentStreams: refuse the new stream, or end the oldest (revoked at the edge). */
  streamLimitPolicy: choice(STREAM_LIMIT_POLICY.allowed).default(STREAM_LIMIT_POLICY.fallback),
}).superRefine(
  ({ maxSessionsPerHour, maxConcurrentStreams }, ctx) => {
    if (maxSessionsPerHour < maxConcurrentStreams)
      reportAt(
        ctx,
        'maxSessionsPerHour',
        'must be at least abuse.maxConcurrentStreams (a session cap below the stream limit makes it unreachable)',
      );
  },
  whenValid('maxSessionsPerHour', 'maxConcurrentStreams'),
);

export const wafSchema = optionalSection({
  rateLimitPerIp: integer(10, 2_000_000_000).default(2000),
  apiRateLimitPerIp: integer(10, 2_000_000_000).default(300),
  evaluationWindowSeconds: choice([60, 120, 300, 600]).default(300),
}).superRefine(
  ({ rateLimitPerIp, apiRateLimitPerIp }, ctx) => {
    if (apiRateLimitPerIp >= rateLimitPerIp)
      reportAt(ctx, 'apiRateLimitPerIp', 'must be lower than waf.rateLimitPerIp (the /api/ limit is the tighter one)');
  },
  whenValid('rateLimitPerIp', 'apiRateLimitPerIp'),
);
