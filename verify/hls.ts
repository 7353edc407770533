/**
 * What an HLS playlist points to, so the battery fetches what a player would: the variant
 * playlists of a master playlist, and the keys, init sections and segments of a media playlist
 * (RFC 8216). Relative URIs are resolved against the playlist's URL without its query: the query
 * a signed URL carries is not inherited (docs/api.md "Delivery by signed URL"). Pure.
 */

export interface PlaylistReferences {
  /** Variant (or rendition) playlists of a master playlist. */
  playlists: string[];
  /** `EXT-X-KEY` / `EXT-X-SESSION-KEY` URIs (`skd:`, `data:` and other non-HTTP ones dropped). */
  keys: string[];
  /** `EXT-X-MAP` init sections. */
  maps: string[];
  segments: string[];
}

export function parsePlaylist(text: string, playlistUrl: string): PlaylistReferences {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('not an HLS playlist (no #EXTM3U first line)');
  const base = playlistUrl.split('?')[0];
  const resolve = (uri: string): string | undefined => {
    const absolute = new URL(uri, base);
    return absolute.protocol === 'http:' || absolute.protocol === 'https:' ? absolute.href : undefined;
  };
  const references: PlaylistReferences = { playlists: [], keys: [], maps: [], segments: [] };
  const add = (list: string[], uri: string | undefined) => {
    const url = uri === undefined ? undefined : resolve(uri);
    if (url !== undefined && !list.includes(url)) list.push(url);
  };
  let nextIsPlaylist = false;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [tag] = line.split(':', 1);
      if (tag === '#EXT-X-STREAM-INF') nextIsPlaylist = true;
      else if (tag === '#EXT-X-MEDIA' || tag === '#EXT-X-I-FRAME-STREAM-INF')
        add(references.playlists, uriAttribute(line));
      else if (tag === '#EXT-X-KEY' || tag === '#EXT-X-SESSION-KEY') add(references.keys, uriAttribute(line));
      else if (tag === '#EXT-X-MAP') add(references.maps, uriAttribute(line));
      continue;
    }
    add(nextIsPlaylist ? references.playlists : references.segments, line);
    nextIsPlaylist = false;
  }
  return references;
}

/** The quoted `URI="…"` attribute of a tag line. */
function uriAttribute(line: string): string | undefined {
  return /(?:^|[:,])URI="([^"]*)"/.exec(line)?.[1];
}
