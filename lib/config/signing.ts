/**
 * How grants are signed (`signing`): the cookies' lifetime and scope, and the key slots the key
 * group trusts (two, for rotation), one of them active.
 */
import { CLOUDFRONT_KEY_ALGORITHMS } from '../../lambda/core/cloudfront-key-types';
import { choice, flag, HOST_NAME, integer, list, reportAt, section, text, whenValid } from './fields';

const SLOT_ID = /^[a-z][a-z0-9]{0,15}$/;

export const signingKeySchema = section({
  /** Stable slot name (`blue`, `green`); part of construct ids. */
  id: text(SLOT_ID, 'a lower-case slot name such as blue (at most 16 characters)'),
  /** Bump to replace this slot's key pair (rotation). */
  generation: integer(1, 9999),
  algorithm: choice(CLOUDFRONT_KEY_ALGORITHMS).default('RSA_2048'),
});

export const signingSchema = section({
  ttlSeconds: integer(5, 3600).default(300),
  hashAlgorithm: choice(['SHA1', 'SHA256']).default('SHA256'),
  bindViewerIp: flag().default(false),
  cookieDomain: text(HOST_NAME, 'a lower-case host name such as video.example.com').optional(),
  activeKeyId: text(SLOT_ID, 'the id of one of signing.keys'),
  keys: list(signingKeySchema, 2, 2).superRefine(
    (keys, ctx) => {
      const ids = keys.map((key) => key.id);
      if (new Set(ids).size !== ids.length)
        ctx.addIssue({ code: 'custom', message: 'key ids must differ (one per rotation slot)', input: keys });
    },
    { when: (payload) => payload.issues.length === 0 },
  ),
}).superRefine(
  ({ keys, activeKeyId }, ctx) => {
    const ids = keys.map((key) => key.id);
    if (!ids.includes(activeKeyId))
      reportAt(ctx, 'activeKeyId', `must be one of the key ids ${ids.join(', ')}, got "${activeKeyId}"`);
  },
  whenValid('keys', 'activeKeyId'),
);
