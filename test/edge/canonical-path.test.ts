/**
 * The local edge's own canonical-path check and literal object keys, on the same table as the
 * distribution's viewer-request function (test/edge/canonical-uris.ts).
 */
import { mediaObjectKey, nonCanonicalReason } from '../../local/edge/canonical-path';
import { CANONICAL_URIS, NON_CANONICAL_URIS } from './canonical-uris';

describe('nonCanonicalReason', () => {
  it.each(CANONICAL_URIS)('accepts the canonical %j', (uri) => {
    expect(nonCanonicalReason(uri)).toBeUndefined();
  });

  it.each(NON_CANONICAL_URIS)('refuses %j (%s)', (uri) => {
    expect(nonCanonicalReason(uri)).toEqual(expect.any(String));
  });
});

describe('mediaObjectKey', () => {
  it.each([
    ['/media/demo-1/index.m3u8', 'demo-1/index.m3u8'],
    ['/media/v/%41.ts', 'v/A.ts'],
    ['/media/v/100%25.ts', 'v/100%.ts'],
    ['/media/v/a%20b.ts', 'v/a b.ts'],
    ['/media/v/%e2%82%ac.ts', 'v/\u20ac.ts'],
    ['/media/v/...', 'v/...'],
  ])('%j names the key %j, decoded once and never resolved', (path, key) => {
    expect(mediaObjectKey(path)).toBe(key);
  });

  it.each([...NON_CANONICAL_URIS.map(([uri]) => uri), '/media/', '/drm/x', '/mediax/y'])('%j names no key', (path) => {
    expect(mediaObjectKey(path)).toBeUndefined();
  });
});
