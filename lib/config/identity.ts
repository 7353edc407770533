/**
 * Who may play: the IdP's tokens (`jwt`) and the claims that entitle (`entitlement`). Ranges,
 * defaults and patterns are lambda/core/settings-contract.ts's and entitlement-rules.ts's, which
 * lambda/core/config.ts reads the variables by; the per-IdP settings are explained in
 * docs/identity-providers.md.
 */
import { z } from 'zod';
import { ConfigError } from '../../lambda/core/config';
import {
  isVideoPattern,
  PLAN_LIMITS,
  PLAN_NAME,
  TITLE_RULES_MAX,
  VIDEO_PATTERN_RULE,
} from '../../lambda/core/entitlement-rules';
import { parseRentalTerms, RENTAL_LIMITS } from '../../lambda/core/rentals';
import { parseStepUpRules } from '../../lambda/core/step-up';
import {
  ASYMMETRIC_ALGORITHMS,
  CLAIM_NAME,
  CLAIM_NAME_RULE,
  DEFAULT_ALGORITHMS,
  MAX_CLIENT_IDS,
  MAX_SCOPE_CLAIMS,
  SHARED_INTEGER_SETTINGS,
  TOKEN_TEXT,
} from '../../lambda/core/settings-contract';
import {
  choice,
  flag,
  httpsUrl,
  integer,
  jwksUrl,
  list,
  optionalSection,
  reportAt,
  section,
  setting,
  text,
  textSetting,
  whenValid,
} from './fields';

const claimNameText = text(CLAIM_NAME, CLAIM_NAME_RULE);
const claimName = (fallback: string) => claimNameText.default(fallback);
const scope = (fallback: string) => text(/^\S{1,128}$/, 'a scope value').default(fallback);

export const jwtSchema = section({
  issuer: httpsUrl(),
  /** Value `aud` must contain; may be left out only when `clientId` and `tokenUse` are set (Cognito). */
  audience: textSetting(TOKEN_TEXT.audience).optional(),
  /** The claim `clientIdClaim` must equal this, or one of these (Cognito access tokens: the app clients' ids). */
  clientId: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      list(textSetting(TOKEN_TEXT.clientId), 1, MAX_CLIENT_IDS),
    )
    .optional(),
  clientIdClaim: claimName('client_id'),
  /** The `token_use` claim must equal this (Cognito: `access`, which refuses its ID tokens). */
  tokenUse: textSetting(TOKEN_TEXT.tokenUse).optional(),
  /** The header `typ` must be this (RFC 9068 access tokens: `at+jwt`). */
  tokenType: textSetting(TOKEN_TEXT.tokenType).optional(),
  /** false: a token without `jti` is accepted and revoked by an id derived from its content. */
  requireJti: flag().default(true),
  /** https (plain http only on loopback: local mode; a production deployment refuses it, lib/config/schema.ts). */
  jwksUrl: jwksUrl(),
  /** Asymmetric only: `none` and HMAC can never be configured. */
  algorithms: list(choice(ASYMMETRIC_ALGORITHMS), 1).default([...DEFAULT_ALGORITHMS]),
  clockToleranceSeconds: setting(SHARED_INTEGER_SETTINGS['jwt.clockToleranceSeconds']),
  maxLifetimeSeconds: setting(SHARED_INTEGER_SETTINGS['jwt.maxLifetimeSeconds']),
}).superRefine(
  ({ audience, clientId, tokenUse }, ctx) => {
    if (audience === undefined && (clientId === undefined || tokenUse === undefined))
      reportAt(ctx, 'audience', 'is required (without it, set both jwt.clientId and jwt.tokenUse, as for Cognito)');
  },
  whenValid('audience', 'clientId', 'tokenUse'),
);

const videoPattern = z
  .string({ error: () => `must be ${VIDEO_PATTERN_RULE}` })
  .refine(isVideoPattern, { error: (issue) => `must be ${VIDEO_PATTERN_RULE}, got ${JSON.stringify(issue.input)}` });

const planSchema = section({
  /** Video ids, id prefixes (`series-12-*`) or `*`. */
  videos: list(videoPattern, 1, PLAN_LIMITS.videos),
  /** Concurrent streams for users on this plan; 0 = unlimited; absent = abuse.maxConcurrentStreams. */
  maxStreams: integer(PLAN_LIMITS.maxStreams.min, PLAN_LIMITS.maxStreams.max).optional(),
});

/**
 * By-title rules (a video id, a prefix `premium-*`, or `*` as keys), shaped here and checked by
 * the functions' own parser (`parse`), so a config that synthesizes also starts.
 */
function titleRules(parse: (raw: string) => unknown) {
  return z
    .record(z.string(), z.record(z.string(), z.unknown()), {
      error: () => 'must be an object of rules by title (a video id, a prefix such as "premium-*", or "*")',
    })
    .default({})
    .superRefine((rules, ctx) => {
      if (Object.keys(rules).length > TITLE_RULES_MAX)
        ctx.addIssue({ code: 'custom', message: `must hold at most ${TITLE_RULES_MAX} titles`, input: rules });
      try {
        parse(JSON.stringify(rules));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message.replace(/^[A-Z_]+: /, ''), input: rules });
      }
    });
}

/** Rentable titles (lambda/core/rentals.ts): their terms, the claim holding purchases, the per-user cap. */
const rentalsSchema = optionalSection({
  /** `{"film-*": {"startWithinSeconds": 2592000, "playForSeconds": 172800}}` */
  titles: titleRules(parseRentalTerms),
  /** The claim listing the user's purchases: `[{"video": "<id>", "rented_at": <epoch s>}]`. */
  claim: claimName('rentals'),
  /** Rentals one user item records at once (started or open to start). */
  maxRecorded: integer(RENTAL_LIMITS.maxRecorded.min, RENTAL_LIMITS.maxRecorded.max).default(
    RENTAL_LIMITS.maxRecorded.fallback,
  ),
});

export const entitlementSchema = optionalSection({
  /** One claim or several whose scopes count together (Entra ID: ["scp", "roles"]). */
  scopeClaim: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), list(claimNameText, 1, MAX_SCOPE_CLAIMS))
    .default(['scope']),
  videosClaim: claimName('videos'),
  /** Refuse tokens without the videos claim; false only for IdPs whose tokens carry no per-video claim. */
  requireVideosClaim: flag().default(true),
  /** false only for an IdP that issues no scopes (Sign in with Google): any token of the audience may then play. */
  requirePlayScope: flag().default(true),
  playScope: scope('stream:play'),
  adminScope: scope('streamgate:admin'),
  /** Claim naming the token's plan(s): a name or an array of names (groups, roles). */
  planClaim: claimName('plan'),
  plans: z
    .record(z.string().regex(PLAN_NAME), planSchema, {
      error: (issue) =>
        issue.code === 'invalid_key' ? 'plan names are 1 to 128 characters without control characters' : undefined,
    })
    .default({}),
  /** The plan of a token that names no known plan and carries no videos claim. */
  defaultPlan: text(PLAN_NAME, 'a plan name').optional(),
  /** Claim giving a user's own stream limit (over its plan's), capped at streamLimitClaimMax. */
  streamLimitClaim: claimNameText.optional(),
  streamLimitClaimMax: setting({ variable: 'STREAM_LIMIT_CLAIM_MAX', ...PLAN_LIMITS.streamLimitClaimMax }),
  /** Titles that need a step-up (RFC 9470): `{"premium-*": {"acrValues": [...], "maxAgeSeconds": 600}}` (lambda/core/step-up.ts). */
  stepUp: titleRules(parseStepUpRules),
  rentals: rentalsSchema,
}).superRefine(
  ({ plans, defaultPlan, requireVideosClaim }, ctx) => {
    if (Object.keys(plans).length > PLAN_LIMITS.plans)
      reportAt(ctx, 'plans', `must hold at most ${PLAN_LIMITS.plans} plans`);
    if (defaultPlan === undefined) return;
    if (!Object.hasOwn(plans, defaultPlan))
      reportAt(ctx, 'defaultPlan', `names no plan of entitlement.plans: "${defaultPlan}"`);
    else if (!requireVideosClaim)
      reportAt(ctx, 'defaultPlan', 'cannot be combined with requireVideosClaim false (which plays every video)');
  },
  whenValid('plans', 'defaultPlan', 'requireVideosClaim'),
);
