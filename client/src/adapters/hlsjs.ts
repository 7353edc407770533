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

type XhrSetup = HlsRequestHooks['xhrSetup'];
/** The request hooks made here, told apart from an app's own so they are never chained twice. */
const OURS = new WeakSet<object>();
/** A hook made by sessionHooks → the app's own it runs. */
const APP_XHR_SETUP = new WeakMap<object, XhrSetup>();

/** Config for `new Hls({ ...hlsJsConfig(session), ...yours })`. */
export function hlsJsConfig(session: PlaybackSession): HlsRequestHooks {
  const cookies = session.delivery === 'cookie';
  const xhrSetup: XhrSetup = (xhr, url) => {
    // hls.js opens the request itself only when xhrSetup has not (readyState 0).
    xhr.open('GET', session.withSignedQuery(url), true);
    if (cookies && session.isMediaUrl(url)) xhr.withCredentials = true;
  };
  OURS.add(xhrSetup);
  return {
    xhrSetup,
    fetchSetup(context, initParams) {
      const init: RequestInit =
        cookies && session.isMediaUrl(context.url) ? { ...initParams, credentials: 'include' } : initParams;
      return new Request(session.withSignedQuery(context.url), init);
    },
  };
}

/**
 * `hlsJsConfig(session)` to assign over `config`, keeping the app's own `xhrSetup` if it set one
 * (hls.js's default XHR loader): it runs after ours has opened the request, so it can add a
 * header. The app's own `fetchSetup` is replaced (ours builds the request).
 */
export function sessionHooks(config: object, session: PlaybackSession): HlsRequestHooks {
  const hooks = hlsJsConfig(session);
  const current = (config as { xhrSetup?: unknown }).xhrSetup;
  // Attached again: the app's hook behind the one made last time, never ours.
  const own =
    typeof current !== 'function'
      ? undefined
      : (APP_XHR_SETUP.get(current) ?? (OURS.has(current) ? undefined : (current as XhrSetup)));
  if (own === undefined) return hooks;
  const xhrSetup: XhrSetup = (xhr, url) => {
    const opened = hooks.xhrSetup(xhr, url);
    return opened instanceof Promise ? opened.then(() => own(xhr, url)) : own(xhr, url);
  };
  APP_XHR_SETUP.set(xhrSetup, own);
  return { ...hooks, xhrSetup };
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
 * for each new request, the app's own `xhrSetup` kept (sessionHooks), and its 403s go to the
 * session), then loads the manifest once the first
 * grant is in. Resolves with a function that stops watching when `loadSource` was called;
 * rejects with the session's StreamgateError.
 */
export async function attachHlsJs(
  hls: HlsLike,
  session: PlaybackSession,
  media?: HTMLMediaElement,
): Promise<() => void> {
  Object.assign(hls.config, sessionHooks(hls.config, session));
  const grant = await session.ready;
  const unwatch = watchHlsJs(hls, session);
  if (media !== undefined) hls.attachMedia?.(media);
  hls.loadSource(grant.manifestUrl);
  return unwatch;
}
