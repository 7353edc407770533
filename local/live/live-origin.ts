/**
 * The local live origin: plays MediaPackage v2's part for `/live/*` behind the local edge. Each
 * channel has a live endpoint folder (a sliding window, no start-over) and a start-over endpoint
 * folder (the same window, or from `?aws.manifestsettings=start:<time>` to the live edge), over a
 * loop of pre-made segments (local/live/playout.ts). Answers carry MediaPackage's caching: playlists
 * half a segment duration, segments 14 days (its CDN recommendations, docs/live.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { START_OVER_PARAMETER } from '../../lambda/core/live-grants';
import {
  liveWindow,
  loopIndex,
  parseManifestSettings,
  renderPlaylist,
  segmentServed,
  sequenceOf,
  startOverWindow,
  type Timeline,
} from './playout';

export interface LocalChannel {
  id: string;
  /** Live endpoint folder, e.g. `/live/live-1/hls/`. */
  path: string;
  /** Start-over endpoint folder, e.g. `/live/live-1/startover/`. */
  startOverPath: string;
  manifest: string;
  timeline: Timeline;
  /** The loop's segment files, in order. */
  sources: readonly string[];
}

export interface OriginAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const SEGMENT_CACHE_SECONDS = 14 * 24 * 3600;

/**
 * The local channels: `live-1`, 2 s segments, a 5-segment window, one hour of start-over. The
 * channel went on air one start-over window before `startedAtMs` (the stack's start), so the
 * window and start-over are full at once and the sequence numbers stay small: hls.js 1.7 blocks
 * its page for seconds on a discontinuity sequence in the hundreds of millions (an epoch of 0).
 */
export function localChannels(contentDir: string, startedAtMs: number = Date.now()): LocalChannel[] {
  const sizes = { windowSegments: 5, startOverSegments: 1800 };
  const channel = loopChannel('live-1', join(contentDir, 'live', 'live-1'), sizes);
  const { segmentSeconds } = channel.timeline;
  const onAir =
    Math.floor(startedAtMs / 1000 / segmentSeconds) * segmentSeconds - sizes.startOverSegments * segmentSeconds;
  return [{ ...channel, timeline: { ...channel.timeline, epochSeconds: onAir } }];
}

/** A channel over the loop in `sourceDir` (a VOD playlist of equal-length segments). */
export function loopChannel(
  id: string,
  sourceDir: string,
  sizes: { windowSegments: number; startOverSegments: number },
): LocalChannel {
  const playlist = readFileSync(join(sourceDir, 'index.m3u8'), 'utf8').split('\n');
  const target = Number(/^#EXT-X-TARGETDURATION:(\d+)/m.exec(playlist.join('\n'))?.[1]);
  const sources = playlist.filter((line) => line !== '' && !line.startsWith('#')).map((name) => join(sourceDir, name));
  const durations = playlist
    .filter((line) => line.startsWith('#EXTINF:'))
    .map((line) => Number.parseFloat(line.slice(8)));
  if (!(target >= 1) || sources.length < 2 || durations.some((duration) => Math.abs(duration - target) > 0.01))
    throw new Error(`${sourceDir}/index.m3u8: a live loop needs 2 or more segments of exactly the target duration`);
  return {
    id,
    path: `/live/${id}/hls/`,
    startOverPath: `/live/${id}/startover/`,
    manifest: 'index.m3u8',
    timeline: { segmentSeconds: target, loopLength: sources.length, ...sizes },
    sources,
  };
}

/** The API's LIVE_CHANNELS value for these channels. */
export function liveChannelsVariable(channels: readonly LocalChannel[]): string {
  return JSON.stringify(
    Object.fromEntries(
      channels.map((channel) => [
        channel.id,
        { path: channel.path, manifest: channel.manifest, startOverPath: channel.startOverPath },
      ]),
    ),
  );
}

export class LiveOrigin {
  private readonly segments = new Map<string, Buffer>();

  constructor(private readonly channels: readonly LocalChannel[]) {
    // Read once: the loop is small (tens of KB a segment) and served many times a second.
    for (const channel of channels)
      for (const source of channel.sources) this.segments.set(source, readFileSync(source));
  }

  /** Whether `path` is under one of the channels' folders (the origin answers it, 404 or not). */
  serves(path: string): boolean {
    return this.channels.some((channel) => path.startsWith(channel.path) || path.startsWith(channel.startOverPath));
  }

  /** The answer to GET `path` with the query the behaviour forwards, at `nowMs`. */
  answer(path: string, query: URLSearchParams, nowMs: number): OriginAnswer {
    for (const channel of this.channels) {
      if (path.startsWith(channel.path))
        return this.endpoint(channel, path.slice(channel.path.length), query, nowMs, false);
      if (path.startsWith(channel.startOverPath))
        return this.endpoint(channel, path.slice(channel.startOverPath.length), query, nowMs, true);
    }
    return text(404, 'Not Found');
  }

  private endpoint(
    channel: LocalChannel,
    file: string,
    query: URLSearchParams,
    nowMs: number,
    startOver: boolean,
  ): OriginAnswer {
    const { timeline } = channel;
    if (file === channel.manifest) {
      const settings = parseManifestSettings(query.get(START_OVER_PARAMETER) ?? undefined);
      // The live endpoint has no start-over window: a time-shift request is refused, never served as live.
      if (settings.kind !== 'live' && !startOver) return text(403, 'Start-over is not enabled on this endpoint');
      if (settings.kind === 'invalid') return text(400, `${START_OVER_PARAMETER}: ${settings.problem}`);
      const window =
        settings.kind === 'start'
          ? startOverWindow(timeline, settings.epochSeconds, nowMs)
          : liveWindow(timeline, nowMs);
      if (typeof window === 'string') return text(400, `${START_OVER_PARAMETER}: ${window}`);
      return {
        status: 200,
        headers: {
          'content-type': 'application/vnd.apple.mpegurl',
          'cache-control': `max-age=${Math.max(1, Math.floor(timeline.segmentSeconds / 2))}`,
        },
        body: Buffer.from(renderPlaylist(timeline, window)),
      };
    }
    const sequence = sequenceOf(file);
    const kept = startOver ? timeline.startOverSegments : 2 * timeline.windowSegments;
    if (sequence === undefined || !segmentServed(timeline, sequence, nowMs, kept)) return text(404, 'Not Found');
    const body = this.segments.get(channel.sources[loopIndex(timeline, sequence)]) as Buffer;
    return {
      status: 200,
      headers: { 'content-type': 'video/mp2t', 'cache-control': `max-age=${SEGMENT_CACHE_SECONDS}` },
      body,
    };
  }
}

function text(status: number, message: string): OriginAnswer {
  return { status, headers: { 'content-type': 'text/plain', 'cache-control': 'no-cache' }, body: Buffer.from(message) };
}
