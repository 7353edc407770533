/**
 * Native HLS (Safari, iOS, some smart TVs): `video.src = manifestUrl`. The browser fetches the
 * playlists, keys and segments itself, sending the signed cookies of the media folder. That
 * works in cookie mode only: with signed URLs the segment and key URIs in the playlists are
 * relative and do not inherit the manifest's query, and no hook lets a page add it.
 */
import type { PlaybackSession } from '../client';

export const NATIVE_URL_MODE_ERROR =
  "streamgate-client: native HLS cannot append the signed query to segment and key requests; use delivery: 'cookie' with native HLS, or play URL mode through hls.js, Shaka or video.js";

/** The media element can play HLS by itself. */
export function canPlayNativeHls(video: HTMLMediaElement): boolean {
  return video.canPlayType('application/vnd.apple.mpegurl') !== '' || video.canPlayType('application/x-mpegURL') !== '';
}

/** Waits for the first grant and sets `video.src`. Throws at once (not a rejection) for a URL-mode session. */
export function attachNative(video: HTMLMediaElement, session: PlaybackSession): Promise<void> {
  if (session.delivery !== 'cookie') throw new Error(NATIVE_URL_MODE_ERROR);
  return session.ready.then((grant) => {
    video.src = grant.manifestUrl;
  });
}
