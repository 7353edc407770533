/**
 * video.js 8 with its bundled VHS (@videojs/http-streaming 3.x), through VHS's documented hooks,
 * feature-detected:
 * - the player fires `xhr-hooks-ready` once `player.tech().vhs.xhr` exists for a source;
 * - `vhs.xhr.onRequest(fn)` / `offRequest(fn)` (VHS 3.x): `fn(options)` may change
 *   `options.uri` and `options.withCredentials`; older VHS only has `vhs.xhr.beforeRequest`;
 * - `vhs.xhr.onResponse(fn)` / `offResponse(fn)` (VHS 3.x): a 403 goes to the session, which asks
 *   the API again; VHS retries its only playlist by itself, with the fresh grant.
 * The first manifest request goes out before any per-player hook exists: in URL mode it is
 * already signed (it is the grant's `manifestUrl`); in cookie mode `withCredentials` is put on
 * the source object, which VHS honours for every request of that source.
 */
import type { PlaybackSession } from '../client';
import { watchMediaDenied } from './media-denied';

interface VhsRequestOptions {
  uri: string;
  withCredentials?: boolean;
}
type VhsHook = (options: VhsRequestOptions) => VhsRequestOptions | void;
type VhsResponseHook = (
  request: { uri?: string },
  error: unknown,
  response: { statusCode?: number } | undefined,
) => void;

interface VhsXhr {
  onRequest?(hook: VhsHook): void;
  offRequest?(hook: VhsHook): void;
  onResponse?(hook: VhsResponseHook): void;
  offResponse?(hook: VhsResponseHook): void;
  beforeRequest?: VhsHook;
}

/** The few video.js members used here (video.js itself is not imported). */
export interface VideoJsPlayerLike {
  on(event: string, listener: () => void): void;
  off(event: string, listener: () => void): void;
  tech(options?: unknown): { vhs?: { xhr?: VhsXhr } } | undefined;
  src(source: { src: string; type: string; withCredentials?: boolean }): void;
  /** The player's error; VHS puts the HTTP status of a failed request on it. */
  error?(): { status?: number } | null;
}

/** The VHS request hook for this session. */
export function vhsRequestHook(session: PlaybackSession): VhsHook {
  return (options) => {
    options.uri = session.withSignedQuery(options.uri);
    if (session.delivery === 'cookie' && session.isMediaUrl(options.uri)) options.withCredentials = true;
    return options;
  };
}

/**
 * Installs the hook whenever VHS announces its xhr hooks, waits for the first grant and sets the
 * source. Returns a function that removes the hook.
 */
export async function attachVideoJs(player: VideoJsPlayerLike, session: PlaybackSession): Promise<() => void> {
  const hook = vhsRequestHook(session);
  const watch = watchMediaDenied(session);
  const onResponse: VhsResponseHook = (request, _error, response) => {
    if (response?.statusCode === 403) watch.forbidden(request.uri);
  };
  let installed: VhsXhr | undefined;
  const install = () => {
    const xhr = player.tech({ IWillNotUseThisInPlugins: true })?.vhs?.xhr;
    if (xhr === undefined || xhr === installed) return;
    if (typeof xhr.onRequest === 'function') xhr.onRequest(hook);
    else xhr.beforeRequest = hook;
    xhr.onResponse?.(onResponse);
    installed = xhr;
  };
  const remove = () => {
    player.off('xhr-hooks-ready', install);
    player.off('error', onError);
    watch.close();
    if (installed === undefined) return;
    installed.offResponse?.(onResponse);
    if (typeof installed.offRequest === 'function') installed.offRequest(hook);
    else if (installed.beforeRequest === hook) installed.beforeRequest = undefined;
    installed = undefined;
  };
  // A 403 VHS gave up on (the first manifest request, which no hook sees) stops the player with
  // an error carrying the status: report it, and set the source again once a fresh grant is in.
  const setSource = (manifestUrl: string) =>
    player.src({
      src: manifestUrl,
      type: 'application/x-mpegURL',
      ...(session.delivery === 'cookie' ? { withCredentials: true } : {}),
    });
  const onError = () => {
    if (player.error?.()?.status !== 403) return;
    watch.forbidden(undefined);
    watch.gaveUp(() => {
      if (!session.stopped && session.manifestUrl !== undefined) setSource(session.manifestUrl);
    });
  };
  player.on('xhr-hooks-ready', install);
  player.on('error', onError);
  const grant = await session.ready.catch((error: unknown) => {
    remove();
    throw error;
  });
  setSource(grant.manifestUrl);
  install(); // if VHS was already there
  return remove;
}
