/** The signed-URL scope the client takes from the manifest URL (client/src/signed-url.ts). */
import { appendSignedQuery, mediaScope } from '../../client/src/signed-url';

describe('mediaScope', () => {
  test("a video's folder", () => {
    expect(mediaScope('https://cdn.example/media/demo-1/index.m3u8', 'demo-1')).toEqual({
      origin: 'https://cdn.example',
      prefix: '/media/demo-1/',
    });
  });

  test("a live channel's endpoint folder, and nothing wider", () => {
    const scope = mediaScope('https://cdn.example/live/live-1/hls/index.m3u8', 'live-1');
    expect(scope.prefix).toBe('/live/live-1/hls/');
    const query = 'Policy=p&Signature=s&Key-Pair-Id=K';
    const base = 'https://cdn.example/live/live-1/hls/index.m3u8';
    expect(appendSignedQuery('segment-12.ts', base, scope, query)).toBe(
      `https://cdn.example/live/live-1/hls/segment-12.ts?${query}`,
    );
    // The start-over folder has a grant of its own: this query never goes there.
    expect(appendSignedQuery('../startover/index.m3u8', base, scope, query)).toBe('../startover/index.m3u8');
  });

  test('a manifest outside its video or channel folder falls back to the bare id folder', () => {
    expect(mediaScope('https://cdn.example/media/index.m3u8', 'demo-1').prefix).toBe('/demo-1/');
    expect(mediaScope('https://cdn.example/live/live-1/a/b/index.m3u8', 'live-1').prefix).toBe('/live-1/');
  });
});
