/**
 * The live playout's timeline, pure: the clock is an argument, so each instant is chosen, not waited for.
 */
import {
  liveWindow,
  loopIndex,
  newestSegment,
  parseManifestSettings,
  renderPlaylist,
  segmentServed,
  sequenceOf,
  startOverWindow,
  type Timeline,
} from '../../local/live/playout';

const TIMELINE: Timeline = { segmentSeconds: 2, loopLength: 8, windowSegments: 5, startOverSegments: 100 };
const at = (seconds: number) => seconds * 1000;
const uris = (playlist: string) => playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('live window', () => {
  test('a segment is published once its two seconds have passed, not before', () => {
    expect(newestSegment(TIMELINE, at(1.999))).toBe(-1);
    expect(newestSegment(TIMELINE, at(2))).toBe(0);
    expect(newestSegment(TIMELINE, at(21.5))).toBe(9);
  });

  test('the window holds the newest five and slides one segment every two seconds', () => {
    expect(liveWindow(TIMELINE, at(21.5))).toEqual({ first: 5, last: 9 });
    expect(liveWindow(TIMELINE, at(23.5))).toEqual({ first: 6, last: 10 });
    expect(liveWindow(TIMELINE, at(4))).toEqual({ first: 0, last: 1 }); // shorter at the channel's very start
  });

  test('an epoch moves the whole timeline', () => {
    expect(liveWindow({ ...TIMELINE, epochSeconds: 1000 }, at(1021.5))).toEqual({ first: 5, last: 9 });
  });

  test('segments loop over the source', () => {
    expect([7, 8, 9, 16].map((sequence) => loopIndex(TIMELINE, sequence))).toEqual([7, 0, 1, 0]);
  });
});

describe('playlist', () => {
  const playlist = renderPlaylist(TIMELINE, { first: 6, last: 10 });

  test('is live: a media sequence, a target duration, no ENDLIST, no playlist type', () => {
    expect(playlist).toMatch(/^#EXTM3U\n/);
    expect(playlist).toContain('#EXT-X-MEDIA-SEQUENCE:6\n');
    expect(playlist).toContain('#EXT-X-TARGETDURATION:2\n');
    expect(playlist).not.toContain('#EXT-X-ENDLIST');
    expect(playlist).not.toContain('#EXT-X-PLAYLIST-TYPE');
    expect(uris(playlist)).toEqual([6, 7, 8, 9, 10].map((n) => `segment-${n}.ts`));
  });

  test('marks the loop point with a discontinuity and counts earlier ones in the discontinuity sequence', () => {
    const lines = playlist.split('\n');
    expect(lines[lines.indexOf('segment-7.ts') + 1]).toBe('#EXT-X-DISCONTINUITY');
    expect(playlist.match(/#EXT-X-DISCONTINUITY\n/g)?.length).toBe(1);
    expect(playlist).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:0\n');
    // Once the loop point is the first segment, its discontinuity is counted, not listed.
    const later = renderPlaylist(TIMELINE, { first: 8, last: 12 });
    expect(later).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    expect(later).not.toContain('#EXT-X-DISCONTINUITY\n');
    expect(renderPlaylist(TIMELINE, { first: 17, last: 21 })).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:2\n');
  });

  test('dates every segment from the epoch (wall clock with the default epoch)', () => {
    expect(playlist).toContain(
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(12000).toISOString()}\n#EXTINF:2.000,\nsegment-6.ts`,
    );
    const dated = renderPlaylist({ ...TIMELINE, epochSeconds: 1_765_000_000 }, { first: 0, last: 0 });
    expect(dated).toContain('#EXT-X-PROGRAM-DATE-TIME:2025-12-06T05:46:40.000Z');
  });
});

describe('segments', () => {
  test('a segment is served from publication until it falls out of what the endpoint keeps', () => {
    const now = at(21.5); // newest 9
    expect(segmentServed(TIMELINE, 10, now, 10)).toBe(false); // not yet published
    expect(segmentServed(TIMELINE, 9, now, 10)).toBe(true);
    expect(segmentServed(TIMELINE, 0, now, 10)).toBe(true);
    expect(segmentServed(TIMELINE, 0, at(23.5), 10)).toBe(false); // expired
    expect(segmentServed(TIMELINE, -1, now, 10)).toBe(false);
  });

  test('one name per segment', () => {
    expect(sequenceOf('segment-12.ts')).toBe(12);
    expect(sequenceOf('segment-012.ts')).toBeUndefined();
    expect(sequenceOf('segment-12.ts.bak')).toBeUndefined();
    expect(sequenceOf('segment-1e3.ts')).toBeUndefined();
    expect(sequenceOf('index.m3u8')).toBeUndefined();
  });
});

describe('start-over', () => {
  test('parses MediaPackage start settings as epoch seconds or ISO 8601', () => {
    expect(parseManifestSettings(undefined)).toEqual({ kind: 'live' });
    expect(parseManifestSettings('start:1765000000')).toEqual({ kind: 'start', epochSeconds: 1765000000 });
    expect(parseManifestSettings('start:2025-12-06T05:46:40Z')).toEqual({ kind: 'start', epochSeconds: 1765000000 });
    expect(parseManifestSettings('start:yesterday').kind).toBe('invalid');
    expect(parseManifestSettings('end:1765000000').kind).toBe('invalid');
  });

  test('the window runs from the start to the live edge, inside the start-over window only', () => {
    const now = at(1000.5); // newest 499
    expect(startOverWindow(TIMELINE, 900, now)).toEqual({ first: 450, last: 499 });
    expect(startOverWindow(TIMELINE, 1100, now)).toBe('start is after the live edge');
    expect(startOverWindow(TIMELINE, 700, now)).toBe('start is before the start-over window');
    expect(startOverWindow({ ...TIMELINE, epochSeconds: 990 }, 980, now)).toBe('start is before the channel began');
  });
});
