/**
 * Clear live channels on MediaPackage v2, served under `/live/` beside VOD (and beside DRM live
 * under `/drm/`). CloudFront reaches MediaPackage v2 through Origin Access Control
 * (lib/mediapackagev2-oac.ts, shared with the DRM live channel): no shared secret header exists.
 *
 * Paths: the channel group is named `live` and the origin path is `/out/v1`, so a viewer's
 * `/live/<channel>/<endpoint>/<file>` is MediaPackage's `/out/v1/live/<channel>/<endpoint>/<file>`
 * with no rewrite (lambda/core/media-paths.ts LIVE_PATH_PREFIX). Each channel has a live endpoint
 * without a start-over window and a start-over endpoint with one, so start-over stays out of a
 * grant by path (lambda/core/live-grants.ts).
 *
 * Created (default): the group, one channel per entry and its two clear HLS (TS) endpoints with
 * their policies. Brought (`existingEgressDomain`): nothing is created; the team's endpoints need
 * the same policy statement (docs/live.md "Bring your own channels"), which `endpointPolicy` gives.
 */
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as mediapackagev2 from 'aws-cdk-lib/aws-mediapackagev2';
import { Construct } from 'constructs';
import type { LiveChannel } from '../lambda/core/live-grants';
import { LIVE_PATH_PREFIX, PACKAGER_EGRESS_PREFIX } from '../lambda/core/media-paths';
import { mediaPackageV2AccessControl, mediaPackageV2EndpointPolicy, mediaPackageV2Origin } from './mediapackagev2-oac';

/** The channel group's name: the first path segment of every live URL. */
export const LIVE_CHANNEL_GROUP = LIVE_PATH_PREFIX.slice(1, -1);

export interface LiveChannelProps {
  /** The playback id. */
  readonly id: string;
  /** MediaPackage channel name. @default id (lower case required) */
  readonly channelName?: string;
  /** @default 'hls' */
  readonly endpointName?: string;
  /** '' for none. @default 'startover' */
  readonly startOverEndpointName?: string;
  /** Without `.m3u8`. @default 'index' */
  readonly manifestName?: string;
}

export interface LiveChannelsProps {
  readonly channels: readonly LiveChannelProps[];
  /** Egress host of a channel group named `live` the team already runs; nothing is created. */
  readonly existingEgressDomain?: string;
  /** @default 86400 */
  readonly startOverWindowSeconds?: number;
  /** Segment duration of the created endpoints, seconds. @default 2 */
  readonly segmentSeconds?: number;
}

interface ResolvedChannel {
  id: string;
  channelName: string;
  endpointName: string;
  startOverEndpointName: string;
  manifestName: string;
}

const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,127}$/;

export class LiveChannels extends Construct {
  /** MediaPackage v2 egress host. */
  readonly egressDomain: string;
  readonly originAccessControl: cloudfront.IOriginAccessControl;
  /** The created endpoints (none when brought), by `<channel>/<endpoint>`. */
  readonly endpoints = new Map<string, mediapackagev2.CfnOriginEndpoint>();
  private readonly channels: ResolvedChannel[];
  private readonly created: boolean;

  constructor(scope: Construct, id: string, props: LiveChannelsProps) {
    super(scope, id);
    if (props.channels.length === 0) throw new Error('LiveChannels: list at least one channel');
    this.channels = props.channels.map((channel) => ({
      id: channel.id,
      channelName: channel.channelName ?? channel.id,
      endpointName: channel.endpointName ?? 'hls',
      startOverEndpointName: channel.startOverEndpointName ?? 'startover',
      manifestName: channel.manifestName ?? 'index',
    }));
    for (const channel of this.channels) {
      for (const [field, value] of Object.entries({
        channelName: channel.channelName,
        endpointName: channel.endpointName,
        ...(channel.startOverEndpointName === '' ? {} : { startOverEndpointName: channel.startOverEndpointName }),
      }))
        if (!SEGMENT.test(value))
          throw new Error(
            `LiveChannels: channel "${channel.id}": ${field} must be a lower-case path segment, got "${value}"`,
          );
      if (channel.endpointName === channel.startOverEndpointName)
        throw new Error(`LiveChannels: channel "${channel.id}": the start-over endpoint must differ from the live one`);
    }
    const ids = this.channels.map((channel) => channel.id);
    if (new Set(ids).size !== ids.length) throw new Error('LiveChannels: channel ids must be unique');

    this.originAccessControl = mediaPackageV2AccessControl(
      this,
      'OriginAccessControl',
      'streamgate: CloudFront signs its requests to MediaPackage v2 live endpoints (SigV4)',
    );
    this.created = props.existingEgressDomain === undefined;
    if (props.existingEgressDomain !== undefined) {
      this.egressDomain = props.existingEgressDomain;
      return;
    }
    const group = new mediapackagev2.CfnChannelGroup(this, 'ChannelGroup', {
      channelGroupName: LIVE_CHANNEL_GROUP,
      description: 'streamgate clear live channels',
    });
    this.egressDomain = group.attrEgressDomain;
    const segmentSeconds = props.segmentSeconds ?? 2;
    for (const channel of this.channels) {
      const cfnChannel = new mediapackagev2.CfnChannel(this, `Channel${channel.id}`, {
        channelGroupName: LIVE_CHANNEL_GROUP,
        channelName: channel.channelName,
        description: `streamgate live channel ${channel.id}`,
      });
      cfnChannel.node.addDependency(group);
      const endpoints: { name: string; startOver?: number }[] = [{ name: channel.endpointName }];
      if (channel.startOverEndpointName !== '')
        endpoints.push({ name: channel.startOverEndpointName, startOver: props.startOverWindowSeconds ?? 86400 });
      for (const spec of endpoints) {
        const endpoint = new mediapackagev2.CfnOriginEndpoint(this, `Endpoint${channel.id}${spec.name}`, {
          channelGroupName: LIVE_CHANNEL_GROUP,
          channelName: channel.channelName,
          originEndpointName: spec.name,
          containerType: 'TS',
          segment: { segmentDurationSeconds: segmentSeconds, segmentName: 'segment' },
          hlsManifests: [{ manifestName: channel.manifestName, manifestWindowSeconds: 30 }],
          // The live endpoint has none: a time-shift request there is refused, so a live grant
          // (whose Resource matches any query) never opens the start-over window.
          ...(spec.startOver === undefined ? {} : { startoverWindowSeconds: spec.startOver }),
        });
        endpoint.node.addDependency(cfnChannel);
        this.endpoints.set(`${channel.channelName}/${spec.name}`, endpoint);
      }
    }
  }

  /** MediaPackage v2 as an origin: signed by OAC, `/out/v1` prepended, no secret header. */
  origin(): cloudfront.IOrigin {
    return mediaPackageV2Origin(this.egressDomain, this.originAccessControl, PACKAGER_EGRESS_PREFIX.slice(0, -1));
  }

  /** The policy statement an endpoint needs for `distribution` (given to brought endpoints by hand). */
  endpointPolicy(distribution: cloudfront.IDistribution, endpointArn: string): iam.PolicyDocument {
    return mediaPackageV2EndpointPolicy(this, distribution, endpointArn);
  }

  /** Lets `distribution` (and nothing else) read the created endpoints. */
  allowDistribution(distribution: cloudfront.IDistribution): void {
    if (!this.created) return;
    for (const [key, endpoint] of this.endpoints) {
      const [channelName, originEndpointName] = key.split('/');
      const policy = new mediapackagev2.CfnOriginEndpointPolicy(this, `Policy${channelName}${originEndpointName}`, {
        channelGroupName: LIVE_CHANNEL_GROUP,
        channelName,
        originEndpointName,
        policy: this.endpointPolicy(distribution, endpoint.attrArn).toJSON(),
      });
      policy.node.addDependency(endpoint);
    }
  }

  /** The API's LIVE_CHANNELS value: each channel's live and start-over folders. */
  apiChannels(): Record<string, LiveChannel> {
    return liveApiChannels(this.channels);
  }
}

/** The API's LIVE_CHANNELS value for `channels` (defaults applied): pure, for the environment size check too. */
export function liveApiChannels(channels: readonly LiveChannelProps[]): Record<string, LiveChannel> {
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
