/**
 * hls.js (1.x): its loaders call `xhrSetup` (XHR loader, the default) or `fetchSetup` (fetch
 * loader) before every request. URL mode: the signed query is put on media URLs of the video.
 * Cookie mode: credentials are sent (needed only if the media origin differs from the page's).
 */
import type { PlaybackSession } from '../client';

/** The few hls.js members used here (hls.js itself is not imported). */
export interface HlsLike {
  config: {
    xhrSetup?: (xhr: XMLHttpRequest, url: string) => void | Promise<void>;
    fetchSetup?: (context: { url: string }, initParams: RequestInit) => Request | Promise<Request>;
  };
  loadSource(url: string): void;
  attachMedia?(media: HTMLMediaElement): void;
}

/** Config for `new Hls({ ...hlsJsConfig(session), ...yours })`. */
export function hlsJsConfig(session: PlaybackSession): Required<HlsLike['config']> {
  const cookies = session.delivery === 'cookie';
  return {
    xhrSetup(xhr, url) {
      // hls.js opens the request itself only when xhrSetup has not (readyState 0).
      xhr.open('GET', session.withSignedQuery(url), true);
      if (cookies && session.isMediaUrl(url)) xhr.withCredentials = true;
    },
    fetchSetup(context, initParams) {
      const init: RequestInit =
        cookies && session.isMediaUrl(context.url) ? { ...initParams, credentials: 'include' } : initParams;
      return new Request(session.withSignedQuery(context.url), init);
    },
  };
}

/**
 * Wires an existing Hls instance to the session (hls.js reads `config.xhrSetup`/`fetchSetup`
 * for each new request), then loads the manifest once the first grant is in.
 * Resolves when `loadSource` was called; rejects with the session's StreamgateError.
 */
export async function attachHlsJs(hls: HlsLike, session: PlaybackSession, media?: HTMLMediaElement): Promise<void> {
  Object.assign(hls.config, hlsJsConfig(session));
  const grant = await session.ready;
  if (media !== undefined) hls.attachMedia?.(media);
  hls.loadSource(grant.manifestUrl);
}
