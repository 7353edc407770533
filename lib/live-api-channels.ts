/**
 * The API's LIVE_CHANNELS value from the live channels' settings: pure (no aws-cdk-lib), so the
 * environment builder and local mode use it without loading the CDK (lib/live.ts builds the
 * channels themselves).
 */
import type { LiveChannel } from '../lambda/core/live-grants';
import { LIVE_PATH_PREFIX } from '../lambda/core/media-paths';

/** A channel's naming, as the construct's and the config's channel settings give it. */
export interface LiveChannelNaming {
  readonly id: string;
  readonly channelName?: string;
  readonly endpointName?: string;
  readonly manifestName?: string;
  readonly startOverEndpointName?: string;
}

/** The API's LIVE_CHANNELS value for `channels` (defaults applied): pure, for the environment size check too. */
export function liveApiChannels(channels: readonly LiveChannelNaming[]): Record<string, LiveChannel> {
  return Object.fromEntries(
    channels.map((channel) => {
      const base = `${LIVE_PATH_PREFIX}${channel.channelName ?? channel.id}/`;
      const startOver = channel.startOverEndpointName ?? 'startover';
      const value: LiveChannel = {
        path: `${base}${channel.endpointName ?? 'hls'}/`,
        manifest: `${channel.manifestName ?? 'index'}.m3u8`,
        ...(startOver === '' ? {} : { startOverPath: `${base}${startOver}/` }),
      };
      return [channel.id, value];
    }),
  );
}
