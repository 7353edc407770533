/**
 * Spellings of one attack: a grant for /media/demo-1/* used on a path that a normalising server
 * (path.normalize, a web server, a percent-decoding proxy) would resolve to another video's file.
 * Each builds, from a file name, a path that starts with the granted prefix, so it passes a
 * wildcard Resource match on the raw URL, and names the other video's file.
 */
export type Spelling = readonly [name: string, pathTo: (video: string, file: string) => string];

const G = '/media/demo-1';

export const TRAVERSAL_SPELLINGS: readonly Spelling[] = [
  ['raw ../', (v, f) => `${G}/../${v}/${f}`],
  ['%2e%2e', (v, f) => `${G}/%2e%2e/${v}/${f}`],
  ['%2E%2E', (v, f) => `${G}/%2E%2E/${v}/${f}`],
  ['%2e%2E (mixed case)', (v, f) => `${G}/%2e%2E/${v}/${f}`],
  ['.%2e', (v, f) => `${G}/.%2e/${v}/${f}`],
  ['%2e.', (v, f) => `${G}/%2e./${v}/${f}`],
  ['..%2f (encoded slash)', (v, f) => `${G}/..%2f${v}/${f}`],
  ['..%2F (encoded slash)', (v, f) => `${G}/..%2F${v}/${f}`],
  ['%2e%2e%2f throughout', (v, f) => `${G}/%2e%2e%2f${v}%2f${f}`],
  ['//../ (empty segment)', (v, f) => `${G}//../${v}/${f}`],
  ['..// (double slash after)', (v, f) => `${G}/..//${v}/${f}`],
  ['/./../', (v, f) => `${G}/./../${v}/${f}`],
  ['/%2e/../', (v, f) => `${G}/%2e/../${v}/${f}`],
  ['x/../../ (deeper)', (v, f) => `${G}/x/../../${v}/${f}`],
  ['..\\ (raw backslash)', (v, f) => `${G}/..\\${v}\\${f}`],
  ['..%5c (encoded backslash)', (v, f) => `${G}/..%5c${v}/${f}`],
  ['..%5C (encoded backslash)', (v, f) => `${G}/..%5C${v}/${f}`],
  ['%5C..%5C', (v, f) => `${G}/%5C..%5C${v}%5C${f}`],
  ['trailing /..', (v, f) => `${G}/../${v}/${f}/x/..`],
  ['trailing /%2e%2e', (v, f) => `${G}/%2e%2e/${v}/${f}/x/%2e%2e`],
  ['%00 (NUL) segment', (v, f) => `${G}/%00/../${v}/${f}`],
  ['..%00', (v, f) => `${G}/..%00/${v}/${f}`],
  ['%09 (tab) in a dot segment', (v, f) => `${G}/..%09/${v}/${f}`],
  ['%c0%ae%c0%ae (overlong UTF-8 dots)', (v, f) => `${G}/%c0%ae%c0%ae/${v}/${f}`],
  ['%252e%252e (double-encoded dots)', (v, f) => `${G}/%252e%252e/${v}/${f}`],
  ['%252f (double-encoded slash)', (v, f) => `${G}/..%252f${v}/${f}`],
  ['invalid percent-encoding (%%2e)', (v, f) => `${G}/%%2e%2e/../${v}/${f}`],
  ['truncated percent-encoding (%2)', (v, f) => `${G}/%2/../${v}/${f}`],
];
