/**
 * One table of request paths (without query, percent-encoded as sent) for both layers that judge
 * them: the local edge's own check (local/edge/canonical-path.ts) and the distribution's
 * viewer-request function (edge-function/viewer-request.js).
 */

/** Paths both layers must let through unchanged (apart from the /drm/ rewrite). */
export const CANONICAL_URIS: readonly string[] = [
  '/media/demo-1/index.m3u8',
  '/media/demo-2/key.bin',
  '/media/demo-1/segment_000.m2ts',
  '/media/v/...', // three dots: a name, not a dot segment
  '/media/v/.hidden',
  '/media/v/..b',
  '/media/v/b..',
  '/media/v/%41.ts', // an encoded letter
  '/media/v/100%25.ts', // an encoded percent not followed by hex
  '/media/v/%e2%82%ac.ts', // UTF-8 (euro sign)
  '/media/v/a%20b.ts',
  '/media/v/a+b;c:d~e.ts',
  '/drm/x',
  '/drm/out/index.m3u8',
];

/** Non-canonical paths, each with the rule it breaks. */
export const NON_CANONICAL_URIS: readonly [uri: string, rule: string][] = [
  ['/media/demo-1/../demo-2/key.bin', 'dot segment ..'],
  ['/media/demo-1/./index.m3u8', 'dot segment .'],
  ['/media/demo-1/%2e%2e/demo-2/key.bin', 'encoded dot segment %2e%2e'],
  ['/media/demo-1/%2E%2E/demo-2/key.bin', 'encoded dot segment %2E%2E'],
  ['/media/demo-1/%2e%2E/demo-2/key.bin', 'encoded dot segment, mixed case'],
  ['/media/demo-1/.%2e/demo-2/key.bin', 'half-encoded dot segment .%2e'],
  ['/media/demo-1/%2e./demo-2/key.bin', 'half-encoded dot segment %2e.'],
  ['/media/demo-1/%2e/index.m3u8', 'encoded dot segment %2e'],
  ['/media/demo-1/%2E/index.m3u8', 'encoded dot segment %2E'],
  ['/media/demo-1/x/..', 'trailing dot segment ..'],
  ['/media/demo-1/x/.', 'trailing dot segment .'],
  ['/media/demo-1/x/%2e%2e', 'trailing encoded dot segment'],
  ['/media/demo-1/..%2fdemo-2/key.bin', 'encoded slash %2f'],
  ['/media/demo-1/..%2Fdemo-2/key.bin', 'encoded slash %2F'],
  ['/media/demo-1%2findex.m3u8', 'encoded slash inside a name'],
  ['/media/demo-1/..\\demo-2/key.bin', 'raw backslash'],
  ['/media/demo-1/..%5cdemo-2/key.bin', 'encoded backslash %5c'],
  ['/media/demo-1/..%5Cdemo-2/key.bin', 'encoded backslash %5C'],
  ['/media/demo-1//index.m3u8', 'empty segment //'],
  ['//media/demo-1/index.m3u8', 'leading empty segment'],
  ['/media/demo-1//../demo-2/key.bin', 'empty segment then dot segment'],
  ['/media/demo-1/index.m3u8/', 'trailing slash (empty last segment)'],
  ['/media/demo-1/%00/index.m3u8', 'encoded NUL'],
  ['/media/demo-1/..%00/index.m3u8', 'encoded NUL after dots'],
  ['/media/demo-1/a%0ab', 'encoded line feed'],
  ['/media/demo-1/a%09b', 'encoded tab'],
  ['/media/demo-1/a%7fb', 'encoded DEL'],
  ['/media/demo-1/a%c2%85b', 'encoded C1 control (NEL)'],
  ['/media/demo-1/a\tb', 'raw tab'],
  ['/media/demo-1/a b', 'raw space'],
  ['/media/demo-1/a\u007fb', 'raw DEL'],
  ['/media/demo-1/\u00e9', 'raw non-ASCII'],
  ['/media/demo-1/%', 'lone percent'],
  ['/media/demo-1/%2', 'truncated escape'],
  ['/media/demo-1/%zz', 'non-hex escape'],
  ['/media/demo-1/%%2e%2e', 'percent before an escape'],
  ['/media/demo-1/%c0%ae%c0%ae', 'overlong UTF-8 dots'],
  ['/media/demo-1/%ff', 'invalid UTF-8'],
  ['/media/demo-1/%e2%82', 'truncated UTF-8'],
  ['/media/demo-1/%252e%252e/demo-2/key.bin', 'double-encoded dots'],
  ['/media/demo-1/..%252fdemo-2', 'double-encoded slash'],
  ['/media/demo-1/..%255cdemo-2', 'double-encoded backslash'],
  ['', 'empty path'],
  ['media/demo-1/index.m3u8', 'relative path'],
  ['*', 'asterisk form'],
  ['/drm/../media/demo-2/key.bin', 'dot segment under /drm/'],
  ['/drm/%2e%2e/x', 'encoded dot segment under /drm/'],
];
