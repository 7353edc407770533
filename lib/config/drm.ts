/**
 * DRM (`drm`): which videos are DRM-packaged and where under `/drm/` (the catalog the playback API
 * signs cookies from), and the licence servers the licence proxy forwards to, one per DRM system.
 * The shapes are declared here; the rules across entries (no overlapping prefixes, the manifest
 * inside a prefix) are the functions' own parser (lambda/core/drm-config.ts), run here too, so a
 * config that synthesizes also starts.
 */
import { z } from 'zod';
import { ConfigError } from '../../lambda/core/env-reader';
import { DRM_SYSTEMS, drmCatalog, licenceUpstreams } from '../../lambda/core/drm-config';
import { VIDEO_ID, VIDEO_ID_RULE } from '../../lambda/core/entitlement-rules';
import { SHARED_INTEGER_SETTINGS } from '../../lambda/core/settings-contract';
import { httpsUrl, integer, isRecord, list, optionalSection, section, setting, text } from './fields';

/** A complete Secrets Manager ARN (with its 6-character suffix), so the grant names exactly one secret. */
export const COMPLETE_SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,505}-[A-Za-z0-9]{6}$/;

const drmVideoSchema = section({
  /** Path prefixes under `/drm/` (as the viewer requests them), each ending in `/`. */
  paths: list(text(/^\/drm\/\S+\/$/, 'a path prefix such as /drm/<asset>/'), 1, 4),
  /** The manifest's path, inside one of `paths`. */
  manifest: text(/^\/drm\/\S+[^/]$/, 'a manifest path such as /drm/<asset>/index.m3u8'),
  /** Key ids (32 lower-case hex digits): ClearKey requests for other keys are refused by the proxy. */
  keyIds: list(text(/^[0-9a-f]{32}$/, 'a key id of 32 lower-case hex digits'), 1, 32).optional(),
});

const upstreamSchema = section({
  /** The licence server; `{videoId}` is replaced by the video id. */
  url: httpsUrl(),
  /** Header carrying the credential. */
  header: text(/^[A-Za-z0-9-]{1,64}$/, 'a header name such as x-api-key').optional(),
  /** Secret holding the credential; only the licence function may read it. */
  secretArn: text(COMPLETE_SECRET_ARN, 'a complete Secrets Manager secret ARN (ending in -XXXXXX)').optional(),
  /** Statuses meaning the server refused the proxy's credential (502, alarmed); default 401 and 403. */
  credentialRefusedStatuses: list(integer(401, 499), 1, 8).optional(),
});

export const drmSchema = optionalSection({
  /** videoId → where its DRM packaging lives. Videos not listed get no `/drm/` access. */
  catalog: z
    .record(text(VIDEO_ID, 'a video id'), drmVideoSchema, {
      error: (issue) => (issue.code === 'invalid_key' ? `must be ${VIDEO_ID_RULE}` : undefined),
    })
    .default({}),
  /** DRM system → licence server. Systems not listed answer 404 on the licence route. */
  upstreams: z
    .partialRecord(z.enum(DRM_SYSTEMS), upstreamSchema, {
      // zod reports a key outside the enum as unrecognized, though its types list only the two codes.
      error: (issue) =>
        ['invalid_key', 'unrecognized_keys'].includes(issue.code as string)
          ? `must be one of ${DRM_SYSTEMS.join(', ')}`
          : undefined,
    })
    .default({}),
  /** Bound on one licence server call; the function's own timeout is 10 s. */
  licenceTimeoutMs: setting(SHARED_INTEGER_SETTINGS['drm.licenceTimeoutMs']),
  /** Largest licence request accepted (413 above). */
  licenceMaxBodyBytes: setting(SHARED_INTEGER_SETTINGS['drm.licenceMaxBodyBytes']),
}).superRefine((drm, ctx) => {
  if (!isRecord(drm)) return;
  for (const [field, check] of [
    ['catalog', () => drmCatalog(JSON.stringify(drm.catalog))],
    ['upstreams', () => licenceUpstreams(JSON.stringify(drm.upstreams))],
  ] as const) {
    try {
      check();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      ctx.addIssue({ code: 'custom', path: [field], message: error.message.replace(/^[A-Z_]+: /, ''), input: drm });
    }
  }
  // Their size counts with the rest of the functions' environment (lib/api-environment.ts, checked in lib/config.ts).
});
