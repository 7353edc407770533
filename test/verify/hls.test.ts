/** What the battery fetches from a playlist: the committed sample playlists and the tags players follow. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlaylist } from '../../verify/hls';

const MEDIA = join(__dirname, '..', '..', 'local', 'content', 'media');

test("demo-2's playlist: its key and its segments, resolved next to it, without the signed manifest URL's query", () => {
  const text = readFileSync(join(MEDIA, 'demo-2', 'index.m3u8'), 'utf8');
  const refs = parsePlaylist(
    text,
    'https://video.example.com/media/demo-2/index.m3u8?Policy=p&Signature=s&Key-Pair-Id=k',
  );
  expect(refs.keys).toEqual(['https://video.example.com/media/demo-2/key.bin']);
  expect(refs.segments).toEqual([0, 1, 2].map((n) => `https://video.example.com/media/demo-2/segment_00${n}.m2ts`));
  expect(refs.playlists).toEqual([]);
});

test('a master playlist lists its variants and renditions; a media playlist its init section; skd: and data: keys are dropped', () => {
  const master = [
    '#EXTM3U',
    '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="en",URI="audio/en.m3u8"',
    '#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO="a"',
    'low/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=2000000',
    '/media/v/high/index.m3u8',
  ].join('\n');
  expect(parsePlaylist(master, 'https://h/media/v/index.m3u8').playlists).toEqual([
    'https://h/media/v/audio/en.m3u8',
    'https://h/media/v/low/index.m3u8',
    'https://h/media/v/high/index.m3u8',
  ]);
  const media = [
    '#EXTM3U',
    '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://key-id",KEYFORMAT="com.apple.streamingkeydelivery"',
    '#EXT-X-KEY:METHOD=AES-128,URI="data:text/plain;base64,AAAA"',
    '#EXT-X-MAP:URI="init.mp4"',
    '#EXTINF:2,',
    'seg1.m4s',
  ].join('\r\n');
  const refs = parsePlaylist(media, 'https://h/drm/v/index.m3u8');
  expect(refs).toEqual({
    playlists: [],
    keys: [],
    maps: ['https://h/drm/v/init.mp4'],
    segments: ['https://h/drm/v/seg1.m4s'],
  });
});

test('anything that is not a playlist is refused, naming why', () => {
  expect(() => parsePlaylist('<?xml version="1.0"?><Error/>', 'https://h/x.m3u8')).toThrow('no #EXTM3U');
});
