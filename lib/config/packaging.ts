/**
 * MediaPackage (`packaging`): off, or live or VOD packaging with SPEKE DRM, whose key provider,
 * role and presets only apply then. Live (MediaPackage v2) and VOD's DASH speak SPEKE v2.0 to
 * `spekeUrl`; VOD's HLS (MediaPackage v1 packaging configurations) speaks SPEKE v1.0, to
 * `spekeV1Url`.
 */
import { choice, httpsUrl, optionalSection, reportAt, text, whenValid } from './fields';

/** SPEKE v2 presets; either spelling (MediaPackage v1 uses `-`, v2 `_`), Packaging converts. */
const presets = (kind: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => [`PRESET-${kind}-${i + 1}`, `PRESET_${kind}_${i + 1}`])
    .flat()
    .concat(['SHARED', 'UNENCRYPTED']);

export type PackagingMode = 'none' | 'live' | 'vod';

export type PackagingConfig =
  | { readonly mode: 'none' }
  | {
      readonly mode: 'live' | 'vod';
      readonly spekeUrl: string;
      /** VOD only: the key provider's SPEKE v1.0 endpoint (HLS). */
      readonly spekeV1Url?: string;
      readonly spekeRoleArn: string;
      readonly presetVideo: string;
      readonly presetAudio: string;
    };

/** What only applies with mode "live" or "vod". */
const DRM_FIELDS = ['spekeUrl', 'spekeV1Url', 'spekeRoleArn', 'presetVideo', 'presetAudio'] as const;

export const packagingSchema = optionalSection({
  mode: choice(['live', 'vod', 'none']).default('none'),
  /** SPEKE v2.0 key provider (live; VOD's DASH). */
  spekeUrl: httpsUrl().optional(),
  /**
   * SPEKE v1.0 key provider, VOD only: MediaPackage v1 packages HLS with the v1 contract. Required
   * with mode "vod"; the same URL as spekeUrl only if the provider answers both versions there.
   */
  spekeV1Url: httpsUrl().optional(),
  spekeRoleArn: text(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    'an IAM role ARN that MediaPackage may assume to call the key provider',
  ).optional(),
  presetVideo: choice(presets('VIDEO', 8)).optional(),
  presetAudio: choice(presets('AUDIO', 3)).optional(),
})
  .superRefine((packaging, ctx) => {
    if (packaging.mode === 'none') {
      for (const field of DRM_FIELDS)
        if (packaging[field] !== undefined) reportAt(ctx, field, 'only applies with mode "live" or "vod"');
      return;
    }
    // An invalid mode reads on as "live": its key provider is still required.
    for (const field of ['spekeUrl', 'spekeRoleArn'] as const)
      if (packaging[field] === undefined) reportAt(ctx, field, 'is required');
    if (packaging.mode === 'vod' && (packaging.spekeV1Url ?? '') === '')
      reportAt(
        ctx,
        'spekeV1Url',
        'is required with mode "vod": VOD\'s HLS speaks SPEKE v1.0 (give spekeUrl again if the key provider answers both versions there)',
      );
    if (packaging.mode === 'live' && packaging.spekeV1Url !== undefined)
      reportAt(ctx, 'spekeV1Url', 'only applies with mode "vod" (live packaging speaks SPEKE v2.0 only)');
  }, whenValid())
  .superRefine(
    ({ mode, presetVideo = 'PRESET-VIDEO-1', presetAudio = 'PRESET-AUDIO-1' }, ctx) => {
      if (mode !== 'none' && (presetVideo === 'SHARED') !== (presetAudio === 'SHARED'))
        reportAt(ctx, 'presetAudio', 'SHARED must be used for both presetVideo and presetAudio');
    },
    whenValid('presetVideo', 'presetAudio'),
  )
  .transform(
    ({
      mode,
      spekeUrl = '',
      spekeV1Url,
      spekeRoleArn = '',
      presetVideo = 'PRESET-VIDEO-1',
      presetAudio = 'PRESET-AUDIO-1',
    }): PackagingConfig =>
      mode === 'none'
        ? { mode }
        : { mode, spekeUrl, ...(mode === 'vod' ? { spekeV1Url } : {}), spekeRoleArn, presetVideo, presetAudio },
  );
