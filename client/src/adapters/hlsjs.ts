/**
 * hls.js (1.x): its loaders call `xhrSetup` (XHR loader, the default) or `fetchSetup` (fetch
 * loader) before every request. URL mode: the signed query is put on media URLs of the video.
 * Cookie mode: credentials are sent (needed only if the media origin differs from the page's).
 * A 403 on a playlist, key or segment (hls.js does not retry 4xx) is reported to the session,
 * and loading restarts once the session has a fresh grant.
 */
import type { PlaybackSession } from '../client';
import { watchMediaDenied } from './media-denied';

/** The parts of hls.js's ERROR event data used here. */
export interface HlsErrorData {
  fatal: boolean;
  details: string;
  response?: { code?: number };
  networkDetails?: { status?: number };
  frag?: { url?: string };
  context?: { url?: string };
  url?: string;
}
type HlsErrorListener = (event: string, data: HlsErrorData) => void;

export interface HlsRequestHooks {
  xhrSetup: (xhr: XMLHttpRequest, url: string) => void | Promise<void>;
  fetchSetup: (context: { url: string }, initParams: RequestInit) => Request | Promise<Request>;
}

/** The few hls.js members used here (hls.js itself is not imported). */
export interface HlsLike {
  /** Gets `xhrSetup`/`fetchSetup` assigned. */
  config: object;
  loadSource(url: string): void;
  attachMedia?(media: HTMLMediaElement): void;
  /** hls.js's `on`/`off` (typed by its Events enum, so only called here, with Events.ERROR's value). */
  on?: unknown;
  off?: unknown;
  startLoad?(startPosition?: number): void;
  readonly media?: HTMLMediaElement | null;
}

/** Config for `new Hls({ ...hlsJsConfig(session), ...yours })`. */
export function hlsJsConfig(session: PlaybackSession): HlsRequestHooks {
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

const HLS_ERROR = 'hlsError'; // Hls.Events.ERROR

/**
 * Reports hls.js's 403s to the session and restarts loading after a fresh grant (the manifest
 * again if it was the manifest that failed). Returns a function that stops watching.
 */
export function watchHlsJs(hls: HlsLike, session: PlaybackSession): () => void {
  const watch = watchMediaDenied(session);
  const listener: HlsErrorListener = (_event, data) => {
    const status = data.response?.code ?? data.networkDetails?.status;
    if (status !== 403) return;
    watch.forbidden(data.frag?.url ?? data.context?.url ?? data.url);
    if (!data.fatal) return;
    const manifest = /^manifest/i.test(data.details);
    watch.gaveUp(() => {
      if (session.stopped) return;
      if (manifest && session.manifestUrl !== undefined) hls.loadSource(session.manifestUrl);
      else hls.startLoad?.(hls.media?.currentTime ?? -1);
    });
  };
  type Subscribe = (this: HlsLike, event: string, listener: HlsErrorListener) => void;
  const call = (method: unknown) =>
    typeof method === 'function' && (method as Subscribe).call(hls, HLS_ERROR, listener);
  call(hls.on);
  return () => {
    call(hls.off);
    watch.close();
  };
}

/**
 * Wires an existing Hls instance to the session (hls.js reads `config.xhrSetup`/`fetchSetup`
 * for each new request, and its 403s go to the session), then loads the manifest once the first
 * grant is in. Resolves with a function that stops watching when `loadSource` was called;
 * rejects with the session's StreamgateError.
 */
export async function attachHlsJs(
  hls: HlsLike,
  session: PlaybackSession,
  media?: HTMLMediaElement,
): Promise<() => void> {
  Object.assign(hls.config, hlsJsConfig(session));
  const grant = await session.ready;
  const unwatch = watchHlsJs(hls, session);
  if (media !== undefined) hls.attachMedia?.(media);
  hls.loadSource(grant.manifestUrl);
  return unwatch;
}
