/**
 * The hygiene observer for tests and benches that do not test hygiene: a prune write that fails
 * there is unexpected, so it fails the call that made it instead of passing unnoticed (the
 * deployed observer, lambda/store/item-hygiene.ts `loggedAndCounted`, logs and counts it).
 */
import type { HygieneObserver } from '../../lambda/store/item-hygiene';

export const FAIL_ON_HYGIENE_ERROR: HygieneObserver = {
  pruneFailed(_plan, error) {
    throw error;
  },
};
