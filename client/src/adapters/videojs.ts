/**
 * video.js 8 with its bundled VHS (@videojs/http-streaming 3.x). Not installed here, so this
 * relies on VHS's documented hooks, feature-detected:
 * - the player fires `xhr-hooks-ready` once `player.tech().vhs.xhr` exists for a source;
 * - `vhs.xhr.onRequest(fn)` / `offRequest(fn)` (VHS 3.x): `fn(options)` may change
 *   `options.uri` and `options.withCredentials`; older VHS only has `vhs.xhr.beforeRequest`.
 * The first manifest request goes out before any per-player hook exists: in URL mode it is
 * already signed (it is the grant's `manifestUrl`); in cookie mode `withCredentials` is put on
 * the source object, which VHS honours for every request of that source.
 */
import type { PlaybackSession } from '../client';

interface VhsRequestOptions {
  uri: string;
  withCredentials?: boolean;
}
type VhsHook = (options: VhsRequestOptions) => VhsRequestOptions | void;

interface VhsXhr {
  onRequest?(hook: VhsHook): void;
  offRequest?(hook: VhsHook): void;
  beforeRequest?: VhsHook;
}

/** The few video.js members used here (video.js itself is not imported). */
export interface VideoJsPlayerLike {
  on(event: string, listener: () => void): void;
  off(event: string, listener: () => void): void;
  tech(options?: unknown): { vhs?: { xhr?: VhsXhr } } | undefined;
  src(source: { src: string; type: string; withCredentials?: boolean }): void;
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
  let installed: VhsXhr | undefined;
  const install = () => {
    const xhr = player.tech({ IWillNotUseThisInPlugins: true })?.vhs?.xhr;
    if (xhr === undefined || xhr === installed) return;
    if (typeof xhr.onRequest === 'function') xhr.onRequest(hook);
    else xhr.beforeRequest = hook;
    installed = xhr;
  };
  const remove = () => {
    player.off('xhr-hooks-ready', install);
    if (installed === undefined) return;
    if (typeof installed.offRequest === 'function') installed.offRequest(hook);
    else if (installed.beforeRequest === hook) installed.beforeRequest = undefined;
    installed = undefined;
  };
  player.on('xhr-hooks-ready', install);
  const grant = await session.ready.catch((error: unknown) => {
    remove();
    throw error;
  });
  player.src({
    src: grant.manifestUrl,
    type: 'application/x-mpegURL',
    ...(session.delivery === 'cookie' ? { withCredentials: true } : {}),
  });
  install(); // if VHS was already there
  return remove;
}
