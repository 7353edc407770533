/**
 * The media path layout (lambda/core/media-paths.ts) every layer shares: which key prefixes a
 * deployment may choose (none that decodes differently on the way, none that shadows a route the
 * distribution already has), and the folder and behaviour patterns a prefix gives.
 */
import {
  DEFAULT_MEDIA_KEY_PREFIX,
  mediaBehaviourPatterns,
  mediaKeyPrefixProblem,
  mediaPathPrefix,
  RESERVED_FIRST_SEGMENTS,
  videoFolder,
} from '../../lambda/core/media-paths';

test('lower-case prefixes of one to four segments, each ending in "/", are accepted', () => {
  for (const prefix of ['media/', 'hls/', 'catalog/v2/', 'a/b/c/d/', 'my_media-1/']) {
    expect(mediaKeyPrefixProblem(prefix)).toBeUndefined();
  }
});

test('a prefix that a path could spell another way, or that is not segments, is refused naming the rule', () => {
  for (const prefix of [
    '',
    'media',
    '/media/',
    'Media/',
    'media//',
    './',
    '../media/',
    'me%64ia/',
    'a b/',
    'a/b/c/d/e/',
    '-x/',
  ]) {
    expect(mediaKeyPrefixProblem(prefix)).toBe(
      `must be one to four lower-case segments of letters, digits, "-" or "_", each ending in "/" (e.g. "media/", "hls/"), got "${prefix}"`,
    );
  }
});

test('a prefix starting with a segment the distribution routes elsewhere is refused, however deep it goes', () => {
  for (const first of RESERVED_FIRST_SEGMENTS) {
    for (const prefix of [`${first}/`, `${first}/videos/`]) {
      expect(mediaKeyPrefixProblem(prefix)).toBe(
        `must not start with "${first}/", which streamgate routes elsewhere (reserved: ${RESERVED_FIRST_SEGMENTS.join(', ')})`,
      );
    }
  }
  // Only the first segment is reserved.
  expect(mediaKeyPrefixProblem('videos/api/')).toBeUndefined();
  expect(mediaKeyPrefixProblem('apis/')).toBeUndefined();
});

test('a prefix gives the public path, the folder one grant opens, and the behaviours, manifests first', () => {
  expect(mediaKeyPrefixProblem(DEFAULT_MEDIA_KEY_PREFIX)).toBeUndefined();
  expect(mediaPathPrefix()).toBe('/media/');
  expect(mediaPathPrefix('catalog/v2/')).toBe('/catalog/v2/');
  expect(videoFolder('/catalog/v2/', 'demo-1')).toBe('/catalog/v2/demo-1/');
  expect(mediaBehaviourPatterns('/hls/')).toEqual({ manifests: ['/hls/*.m3u8', '/hls/*.mpd'], media: '/hls/*' });
});
