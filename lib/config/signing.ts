/**
 * How grants are signed (`signing`): the cookies' lifetime and scope, and the signing-key
 * rotation (lib/signing-keys.ts): the type of key it generates and how often it replaces it.
 */
import { CLOUDFRONT_KEY_ALGORITHMS } from '../../lambda/core/cloudfront-key-types';
import { HASH_ALGORITHM, SHARED_INTEGER_SETTINGS } from '../../lambda/core/settings-contract';
import { choice, flag, HOST_NAME, integer, section, setting, text } from './fields';

export const signingSchema = section({
  ttlSeconds: setting(SHARED_INTEGER_SETTINGS['signing.ttlSeconds']),
  hashAlgorithm: choice(HASH_ALGORITHM.allowed).default(HASH_ALGORITHM.fallback),
  bindViewerIp: flag().default(false),
  cookieDomain: text(HOST_NAME, 'a lower-case host name such as video.example.com').optional(),
  /** Type of the key pairs the rotation generates; a change applies from the next rotation. */
  keyAlgorithm: choice(CLOUDFRONT_KEY_ALGORITHMS).default('RSA_2048'),
  /** Rotate the signing key when it is this many days old (AWS FSBP SecretsManager.4 allows 90 at most). */
  rotateAfterDays: integer(1, 90).default(30),
  /** Minutes between rotation runs; each run performs the steps that are ready and stops at a wait. */
  rotationCheckMinutes: integer(5, 60).default(10),
  /** How long the playback function signs with a key before re-reading the active slot. */
  keyRefreshSeconds: setting(SHARED_INTEGER_SETTINGS['signing.keyRefreshSeconds']),
});
