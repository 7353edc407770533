/**
 * Every check, in the order they run: read-only ones first, then those that revoke the test
 * users' tokens, then the open questions (the propagation answer reads the revocation checks'
 * measurements), then the abuse checks, which leave their test users rate-limited.
 */
import type { Check } from '../check';
import { ABUSE_CHECKS } from './abuse';
import { ORIGIN_CHECKS } from './origin';
import { PLAYBACK_CHECKS } from './playback';
import { PROPAGATION_CHECK, QUESTION_CHECKS } from './questions';
import { REVOCATION_CHECKS } from './revocation';
import { TIMING_CHECKS } from './timing';
import { TRANSPORT_CHECKS } from './transport';

export const CHECKS: readonly Check[] = [
  ...PLAYBACK_CHECKS,
  ...TRANSPORT_CHECKS,
  ...ORIGIN_CHECKS,
  ...TIMING_CHECKS,
  ...REVOCATION_CHECKS,
  ...QUESTION_CHECKS,
  PROPAGATION_CHECK,
  ...ABUSE_CHECKS,
];
