/**
 * Live channels' configuration, grant scope and refresh jitter (lambda/core/live-grants.ts).
 */
import { ConfigError } from '../../lambda/core/config';
import {
  LIVE_REFRESH_WINDOW,
  liveChannels,
  liveRefreshAfter,
  liveScope,
  loadLiveConfig,
} from '../../lambda/core/live-grants';

const CHANNEL = { path: '/live/news/hls/', manifest: 'index.m3u8', startOverPath: '/live/news/startover/' };

describe('LIVE_CHANNELS', () => {
  test('reads channels by id', () => {
    const channels = liveChannels(
      JSON.stringify({ news: CHANNEL, sport: { path: '/live/sport/hls/', manifest: 'main.m3u8' } }),
    );
    expect(channels.get('news')).toEqual(CHANNEL);
    expect(channels.get('sport')).toEqual({ path: '/live/sport/hls/', manifest: 'main.m3u8' });
    expect(liveChannels(undefined).size).toBe(0);
  });

  test.each([
    ['not JSON', '{', /LIVE_CHANNELS: is not valid JSON/],
    ['an array', '[]', /JSON object of channels/],
    ['a bad id', JSON.stringify({ 'a b': CHANNEL }), /channel "a b": not an id/],
    [
      'a folder outside /live/',
      JSON.stringify({ news: { ...CHANNEL, path: '/media/news/' } }),
      /"path" must be a folder under \/live\//,
    ],
    ['a dot segment', JSON.stringify({ news: { ...CHANNEL, path: '/live/../hls/' } }), /"path" must be a folder/],
    ['no trailing slash', JSON.stringify({ news: { ...CHANNEL, path: '/live/news/hls' } }), /"path" must be a folder/],
    [
      'start-over inside the live folder',
      JSON.stringify({ news: { ...CHANNEL, startOverPath: '/live/news/hls/so/' } }),
      /"startOverPath" \/live\/news\/hls\/so\/ overlaps \/live\/news\/hls\//,
    ],
    [
      'two channels on one folder',
      JSON.stringify({ news: CHANNEL, copy: { path: '/live/news/', manifest: 'index.m3u8' } }),
      /channel "copy": "path" \/live\/news\/ overlaps/,
    ],
    [
      'a manifest path',
      JSON.stringify({ news: { ...CHANNEL, manifest: '../index.m3u8' } }),
      /"manifest" must be a plain file name/,
    ],
    ['an unknown field', JSON.stringify({ news: { ...CHANNEL, startover: true } }), /unknown field "startover"/],
  ])('refuses %s, naming the variable and the entry', (_case, raw, message) => {
    expect(() => liveChannels(raw)).toThrow(ConfigError);
    expect(() => liveChannels(raw)).toThrow(message);
  });

  test('a live folder may not overlap the media or DRM prefix', () => {
    const raw = JSON.stringify({ news: { path: '/live/news/hls/', manifest: 'index.m3u8' } });
    expect(() => liveChannels(raw, ['/live/'])).toThrow(/overlaps \/live\//);
  });

  test('START_OVER_SCOPE: one scope, default stream:startover', () => {
    expect(loadLiveConfig({}, []).startOverScope).toBe('stream:startover');
    expect(loadLiveConfig({ START_OVER_SCOPE: 'events:rewind' }, []).startOverScope).toBe('events:rewind');
    expect(() => loadLiveConfig({ START_OVER_SCOPE: 'a b' }, [])).toThrow(/START_OVER_SCOPE: must be one scope/);
  });
});

describe('grant scope', () => {
  test('the live folder only, unless start-over is allowed', () => {
    expect(liveScope(CHANNEL, false)).toEqual({ paths: ['/live/news/hls/'], manifest: '/live/news/hls/index.m3u8' });
    expect(liveScope(CHANNEL, true)).toEqual({
      paths: ['/live/news/hls/', '/live/news/startover/'],
      manifest: '/live/news/hls/index.m3u8',
      startOverManifest: '/live/news/startover/index.m3u8',
    });
    const { startOverPath: _none, ...withoutStartOver } = CHANNEL;
    expect(liveScope(withoutStartOver, true).paths).toEqual(['/live/news/hls/']);
  });
});

describe('refresh jitter', () => {
  const issued = 1_765_000_000;
  const expires = issued + 300;
  const sessions = Array.from({ length: 1000 }, (_unused, i) => `session-${i}`);

  test('falls between 50 % and 80 % of the lifetime', () => {
    for (const session of sessions) {
      const at = liveRefreshAfter(issued, expires, session) - issued;
      expect(at).toBeGreaterThanOrEqual(300 * LIVE_REFRESH_WINDOW.earliest);
      expect(at).toBeLessThan(300 * LIVE_REFRESH_WINDOW.latest);
    }
  });

  test('is the same for the same session and grant date (a refresh inside an interval changes nothing)', () => {
    expect(liveRefreshAfter(issued, expires, 'session-1')).toBe(liveRefreshAfter(issued, expires, 'session-1'));
  });

  test('spreads an audience that joined together over the window', () => {
    const distinct = new Set(sessions.map((session) => liveRefreshAfter(issued, expires, session)));
    // 90 whole seconds in the window; 1,000 sessions fill nearly every one of them.
    expect(distinct.size).toBeGreaterThan(85);
    const counts = new Map<number, number>();
    for (const session of sessions) {
      const at = liveRefreshAfter(issued, expires, session);
      counts.set(at, (counts.get(at) ?? 0) + 1);
    }
    expect(Math.max(...counts.values())).toBeLessThan(30); // vs 1,000 in the same second without jitter
  });

  test('stays inside a very short lifetime', () => {
    expect(liveRefreshAfter(issued, issued + 2, 's')).toBe(issued + 1);
    expect(liveRefreshAfter(issued, issued + 5, 's')).toBeGreaterThanOrEqual(issued + 2);
    expect(liveRefreshAfter(issued, issued + 5, 's')).toBeLessThanOrEqual(issued + 4);
  });
});
