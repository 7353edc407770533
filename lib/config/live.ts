/**
 * Live channels (`live`): clear MediaPackage v2 live channels served under `/live/` beside VOD
 * (and beside DRM live under `/drm/`), reached by CloudFront through Origin Access Control.
 * Either the stack creates the channel group `live` with one channel and its two endpoints per
 * entry, or (`existingEgressDomain`) the team brings its own group named `live` and the stack only
 * routes and signs for it (docs/live.md "Bring your own channels").
 */
import { HOST_NAME, integer, list, optionalSection, section, text } from './fields';

const NAME = /^[A-Za-z0-9_-]{1,256}$/;
const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,127}$/;

export const liveChannelSchema = section({
  /** The playback id (a video id in tokens and plans). */
  id: text(/^[A-Za-z0-9_-]{1,128}$/, 'an id of A-Z a-z 0-9 _ - (1 to 128)'),
  /** The MediaPackage channel name (a path segment, so lower case). @default id */
  channelName: text(SEGMENT, 'a lower-case MediaPackage channel name (a-z 0-9 _ -)').optional(),
  /** The live endpoint: no start-over window. @default 'hls' */
  endpointName: text(SEGMENT, 'a lower-case origin endpoint name').default('hls'),
  /** The start-over endpoint (a grant covers it only with the start-over scope); '' for none. @default 'startover' */
  startOverEndpointName: text(/^(?:|[a-z0-9][a-z0-9_-]{0,127})$/, 'a lower-case origin endpoint name, or ""').default(
    'startover',
  ),
  /** The HLS manifest name without `.m3u8`. @default 'index' */
  manifestName: text(NAME, 'a manifest name').default('index'),
});

export const liveSchema = optionalSection({
  channels: list(liveChannelSchema, 0, 20).default([]),
  /** A channel group the team already runs (named `live`): its egress domain; nothing is created. */
  existingEgressDomain: text(HOST_NAME, 'a MediaPackage v2 egress host name').optional(),
  /** Start-over window of the created start-over endpoints (MediaPackage allows up to 14 days). */
  startOverWindowSeconds: integer(60, 1209600).default(86400),
});

export type LiveConfig = {
  readonly channels: readonly {
    readonly id: string;
    readonly channelName?: string;
    readonly endpointName: string;
    readonly startOverEndpointName: string;
    readonly manifestName: string;
  }[];
  readonly existingEgressDomain?: string;
  readonly startOverWindowSeconds: number;
};
