/**
 * A live channel played out from pre-made segments: a loop of clear HLS segments (committed under
 * local/content/live/<channel>/) becomes a sliding-window live playlist computed from the clock.
 * Pure: every function takes the time, so tests give it any instant.
 *
 * Segment `n` (its media sequence number) covers [epoch + n·d, epoch + (n+1)·d) and is published
 * once that interval has passed; it plays the loop's segment `n mod L`. The live playlist holds the
 * last `windowSegments` published segments (no #EXT-X-ENDLIST), each with its
 * #EXT-X-PROGRAM-DATE-TIME, and an #EXT-X-DISCONTINUITY where the loop starts again (the media
 * timestamps restart there). The epoch is when the channel went on air (local mode: one start-over
 * window before the stack started, so the sequence numbers stay small).
 *
 * Why not an encoder: see docs/live.md ("The local channel").
 */

export interface Timeline {
  /** Every segment's duration, seconds (a whole number: the target duration). */
  segmentSeconds: number;
  /** Segments in the loop. */
  loopLength: number;
  /** Segments in the live playlist. */
  windowSegments: number;
  /** Segments back a start-over request may reach. */
  startOverSegments: number;
  /** When segment 0 began, epoch seconds. @default 0 */
  epochSeconds?: number;
}

export interface Window {
  /** Media sequence number of the first segment listed. */
  first: number;
  /** Of the last (the newest published). */
  last: number;
}

/** The newest segment published at `nowMs` (-1 before the first one is complete). */
export function newestSegment(timeline: Timeline, nowMs: number): number {
  const elapsed = nowMs / 1000 - (timeline.epochSeconds ?? 0);
  return Math.floor(elapsed / timeline.segmentSeconds) - 1;
}

/** The live window at `nowMs`. */
export function liveWindow(timeline: Timeline, nowMs: number): Window {
  const last = newestSegment(timeline, nowMs);
  return { first: Math.max(0, last - timeline.windowSegments + 1), last };
}

/** The segment playing at `epochSeconds` (a start-over request's `start`). */
export function segmentAt(timeline: Timeline, epochSeconds: number): number {
  return Math.floor((epochSeconds - (timeline.epochSeconds ?? 0)) / timeline.segmentSeconds);
}

/** Which loop segment a media sequence number plays. */
export function loopIndex(timeline: Timeline, sequence: number): number {
  return sequence % timeline.loopLength;
}

/**
 * Whether segment `sequence` may be fetched at `nowMs` from an endpoint that keeps `keptSegments`
 * (the live endpoint: its window plus one more window for players that fell behind; start-over:
 * its whole window). Not yet published or expired: no.
 */
export function segmentServed(timeline: Timeline, sequence: number, nowMs: number, keptSegments: number): boolean {
  const last = newestSegment(timeline, nowMs);
  return Number.isSafeInteger(sequence) && sequence >= 0 && sequence <= last && sequence > last - keptSegments;
}

/** The segment file name a playlist lists for `sequence`. */
export function segmentName(sequence: number): string {
  return `segment-${sequence}.ts`;
}

/** `segment-<n>.ts` → n; undefined for any other name (no leading zeros, so one name per segment). */
export function sequenceOf(name: string): number | undefined {
  const match = /^segment-(0|[1-9][0-9]{0,14})\.ts$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** The media playlist listing `window` (inclusive), live: no #EXT-X-ENDLIST. */
export function renderPlaylist(timeline: Timeline, window: Window): string {
  const { segmentSeconds, loopLength } = timeline;
  const epoch = timeline.epochSeconds ?? 0;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${segmentSeconds}`,
    `#EXT-X-MEDIA-SEQUENCE:${window.first}`,
    // One discontinuity per loop point at or before the first segment (its own tag is not listed).
    `#EXT-X-DISCONTINUITY-SEQUENCE:${Math.floor(window.first / loopLength)}`,
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  for (let sequence = window.first; sequence <= window.last; sequence++) {
    if (sequence !== window.first && sequence % loopLength === 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date((epoch + sequence * segmentSeconds) * 1000).toISOString()}`);
    lines.push(`#EXTINF:${segmentSeconds.toFixed(3)},`);
    lines.push(segmentName(sequence));
  }
  return `${lines.join('\n')}\n`;
}

export type StartOverRequest =
  | { kind: 'live' }
  | { kind: 'start'; epochSeconds: number }
  | { kind: 'invalid'; problem: string };

/**
 * MediaPackage's `aws.manifestsettings` value as far as the local channel supports it:
 * `start:<epoch seconds>` or `start:<ISO 8601>` (time-shift from there to the live edge).
 */
export function parseManifestSettings(value: string | undefined): StartOverRequest {
  if (value === undefined) return { kind: 'live' };
  const match = /^start:(.+)$/.exec(value);
  if (match === null) return { kind: 'invalid', problem: 'expected start:<epoch seconds or ISO 8601 time>' };
  const raw = match[1];
  const seconds = /^\d{1,12}$/.test(raw) ? Number(raw) : Date.parse(raw) / 1000;
  if (!Number.isFinite(seconds)) return { kind: 'invalid', problem: 'start is not a time' };
  return { kind: 'start', epochSeconds: Math.floor(seconds) };
}

/**
 * The start-over window from `startSeconds` to the live edge, or why not: a start in the future
 * or before the start-over window.
 */
export function startOverWindow(timeline: Timeline, startSeconds: number, nowMs: number): Window | string {
  const last = newestSegment(timeline, nowMs);
  const first = segmentAt(timeline, startSeconds);
  if (first > last) return 'start is after the live edge';
  if (first < 0) return 'start is before the channel began';
  if (first <= last - timeline.startOverSegments) return 'start is before the start-over window';
  return { first, last };
}
