/**
 * Who may play: the IdP's tokens (`jwt`) and the claims that entitle (`entitlement`). Ranges and
 * defaults match what lambda/core/config.ts accepts from the variables these become.
 */
import { ASYMMETRIC_ALGORITHMS } from '../../lambda/core/config';
import { choice, flag, httpsUrl, integer, list, optionalSection, section, text } from './fields';

/** Same rule as lambda/core/config.ts applies to claim names at runtime. */
const CLAIM_NAME = /^[A-Za-z0-9_:./-]{1,128}$/;
const claimName = (fallback: string) => text(CLAIM_NAME, 'a claim name such as scope').default(fallback);
const scope = (fallback: string) => text(/^\S{1,128}$/, 'a scope value').default(fallback);

export const jwtSchema = section({
  issuer: httpsUrl(),
  audience: text(/^\S{1,256}$/, 'a non-empty audience without spaces'),
  jwksUrl: httpsUrl(),
  /** Asymmetric only: `none` and HMAC can never be configured. */
  algorithms: list(choice(ASYMMETRIC_ALGORITHMS), 1).default(['RS256', 'ES256']),
  clockToleranceSeconds: integer(0, 300).default(30),
  maxLifetimeSeconds: integer(60, 86400).default(3600),
});

export const entitlementSchema = optionalSection({
  scopeClaim: claimName('scope'),
  videosClaim: claimName('videos'),
  /** Refuse tokens without the videos claim; false only for IdPs whose tokens carry no per-video claim. */
  requireVideosClaim: flag().default(true),
  playScope: scope('stream:play'),
  adminScope: scope('streamgate:admin'),
});
