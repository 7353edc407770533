/**
 * The distribution (`delivery`): its names and certificate, price class, geo restriction, cache
 * lifetimes, manifest name, page Content-Security-Policy, origin secrets version and the app
 * origins allowed to call across origins (CORS).
 */
import { MAX_ALLOWED_ORIGINS, originProblem } from '../../lambda/core/cors';
import { DEFAULT_PLAYER_CSP } from '../page-headers';
import { z } from 'zod';
import { choice, describe, HOST_NAME, integer, list, reportAt, section, text, whenValid } from './fields';

/** ISO 3166-1 alpha-2, the codes CloudFront geo restriction takes. */
const COUNTRY_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

const COUNTRY = /^[A-Z]{2}$/;

export const PRICE_CLASSES = ['PriceClass_100', 'PriceClass_200', 'PriceClass_All'] as const;

export type GeoRestrictionConfig =
  | { readonly type: 'none' }
  | { readonly type: 'allow' | 'deny'; readonly countries: readonly string[] };

const countryCode = text(COUNTRY, 'an upper-case ISO 3166-1 alpha-2 code such as US').superRefine(
  (code, ctx) => {
    if (!COUNTRY_CODES.has(code))
      ctx.addIssue({ code: 'custom', message: `"${code}" is not an ISO 3166-1 alpha-2 country code`, input: code });
  },
  { when: (payload) => payload.issues.length === 0 },
);

export const geoRestrictionSchema = section({
  type: choice(['allow', 'deny', 'none']),
  countries: list(countryCode, 1)
    .superRefine(
      (countries, ctx) => {
        if (new Set(countries).size !== countries.length)
          ctx.addIssue({ code: 'custom', message: 'must not repeat a country', input: countries });
      },
      { when: (payload) => payload.issues.length === 0 },
    )
    .optional(),
})
  .superRefine(
    ({ type, countries }, ctx) => {
      if (type === 'none') {
        if (countries !== undefined) reportAt(ctx, 'countries', 'must be absent when type is "none"');
      } else if (countries === undefined) {
        // An invalid type reads on as "allow": its countries are still required.
        reportAt(ctx, 'countries', 'is required');
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .transform(
    ({ type, countries }): GeoRestrictionConfig => (type === 'none' ? { type } : { type, countries: countries ?? [] }),
  );

/** An exact origin an app may call the API (and fetch media) from, with credentials (lambda/core/cors.ts). */
const allowedOrigin = z
  .string({ error: (issue) => `must be a string, got ${describe(issue.input)}` })
  .superRefine((value, ctx) => {
    const problem = originProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem}, got "${value}"`, input: value });
  });

export const deliverySchema = section({
  domainNames: list(text(HOST_NAME, 'a lower-case host name')).default([]),
  certificateArn: text(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN')
    .superRefine(
      (arn, ctx) => {
        if (arn.split(':')[3] !== 'us-east-1') {
          ctx.addIssue({
            code: 'custom',
            message: 'must be an ACM certificate in us-east-1 (the only region CloudFront takes certificates from)',
            input: arn,
          });
        }
      },
      { when: (payload) => payload.issues.length === 0 },
    )
    .optional(),
  priceClass: choice(PRICE_CLASSES).default('PriceClass_100'),
  geoRestriction: geoRestrictionSchema,
  manifestTtlSeconds: integer(1, 3600).default(2),
  segmentTtlSeconds: integer(60, 31536000).default(86400),
  manifestName: text(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/, 'a plain file name such as index.m3u8').default(
    'index.m3u8',
  ),
  contentSecurityPolicy: text(
    /^[\x20-\x7e]{1,1783}$/,
    'a printable Content-Security-Policy of at most 1783 characters (the CloudFront limit)',
  ).default(DEFAULT_PLAYER_CSP),
  /** Bump after changing an origin header secret so CloudFront and the functions re-read it. */
  originSecretsVersion: integer(1, 1_000_000).default(1),
  /** Days between automatic rotations of the origin-verify value (AWS FSBP SecretsManager.4 allows 90 at most). */
  originSecretRotationDays: integer(1, 90).default(30),
  /** Origins of apps that call the API and fetch media from another origin (CORS, with credentials); none by default. */
  allowedOrigins: list(allowedOrigin, 0, MAX_ALLOWED_ORIGINS)
    .superRefine(
      (origins, ctx) => {
        if (new Set(origins).size !== origins.length)
          ctx.addIssue({ code: 'custom', message: 'must not repeat an origin', input: origins });
      },
      { when: (payload) => payload.issues.length === 0 },
    )
    .default([]),
})
  .superRefine(
    ({ domainNames, certificateArn }, ctx) => {
      if ((certificateArn === undefined) !== (domainNames.length === 0))
        reportAt(
          ctx,
          'certificateArn',
          'set both domainNames and certificateArn, or neither (the cloudfront.net name)',
        );
    },
    whenValid('domainNames', 'certificateArn'),
  )
  .superRefine(
    ({ manifestTtlSeconds, segmentTtlSeconds }, ctx) => {
      if (manifestTtlSeconds > segmentTtlSeconds)
        reportAt(ctx, 'manifestTtlSeconds', 'must not exceed delivery.segmentTtlSeconds');
    },
    whenValid('manifestTtlSeconds', 'segmentTtlSeconds'),
  );
