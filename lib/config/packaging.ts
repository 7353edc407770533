/**
 * MediaPackage (`packaging`): off, or live or VOD packaging with SPEKE v2 DRM, whose key provider,
 * role and presets only apply then.
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
      readonly spekeRoleArn: string;
      readonly presetVideo: string;
      readonly presetAudio: string;
    };

/** What only applies with mode "live" or "vod". */
const DRM_FIELDS = ['spekeUrl', 'spekeRoleArn', 'presetVideo', 'presetAudio'] as const;

export const packagingSchema = optionalSection({
  mode: choice(['live', 'vod', 'none']).default('none'),
  spekeUrl: httpsUrl().optional(),
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
      spekeRoleArn = '',
      presetVideo = 'PRESET-VIDEO-1',
      presetAudio = 'PRESET-AUDIO-1',
    }): PackagingConfig => (mode === 'none' ? { mode } : { mode, spekeUrl, spekeRoleArn, presetVideo, presetAudio }),
  );
