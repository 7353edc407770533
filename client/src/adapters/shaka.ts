/**
 * Shaka Player (4.x, 5.x): a networking-engine request filter. URL mode: every request URI under
 * the video's media folder gets the signed query. Cookie mode: `allowCrossSiteCredentials` is set
 * on those requests (needed only if the media origin differs from the page's). A 403 (Shaka's
 * `downloadfailed` event) is reported to the session; if Shaka gave up streaming on it (`error`
 * 1001 BAD_HTTP_STATUS), streaming is retried once the session has a fresh grant.
 */
import type { PlaybackSession } from '../client';
import { watchMediaDenied } from './media-denied';

interface ShakaRequest {
  uris: string[];
  allowCrossSiteCredentials: boolean;
}
type ShakaRequestFilter = (type: number, request: ShakaRequest) => void;

/** The parts of Shaka's `downloadfailed` and `error` events used here. */
interface ShakaEvent {
  httpResponseCode?: number;
  request?: { uris?: string[] };
  detail?: { code?: number; data?: unknown[] };
}
type ShakaListener = (event: ShakaEvent) => void;

/** The few Shaka members used here (shaka-player itself is not imported). */
export interface ShakaPlayerLike {
  getNetworkingEngine(): {
    registerRequestFilter(filter: ShakaRequestFilter): void;
    unregisterRequestFilter(filter: ShakaRequestFilter): void;
  } | null;
  load(manifestUri: string): Promise<unknown>;
  addEventListener?(type: string, listener: ShakaListener): void;
  removeEventListener?(type: string, listener: ShakaListener): void;
  retryStreaming?(): boolean;
}

/** Shaka's BAD_HTTP_STATUS: `data` is `[uri, status, …]`. */
const BAD_HTTP_STATUS = 1001;

/** Registers the filter and the 403 watch; returns a function that removes both. */
export function shakaRequestFilter(player: ShakaPlayerLike, session: PlaybackSession): () => void {
  const engine = player.getNetworkingEngine();
  if (engine === null) throw new Error('streamgate-client: this Shaka player has no networking engine (destroyed?)');
  const filter: ShakaRequestFilter = (_type, request) => {
    if (session.delivery === 'url') request.uris = request.uris.map((uri) => session.withSignedQuery(uri));
    else if (request.uris.some((uri) => session.isMediaUrl(uri))) request.allowCrossSiteCredentials = true;
  };
  engine.registerRequestFilter(filter);
  const watch = watchMediaDenied(session);
  const failed: ShakaListener = (event) => {
    if (event.httpResponseCode === 403) watch.forbidden(event.request?.uris?.[0]);
  };
  const error: ShakaListener = (event) => {
    const data = event.detail?.data;
    if (event.detail?.code === BAD_HTTP_STATUS && data?.[1] === 403) watch.gaveUp(() => player.retryStreaming?.());
  };
  player.addEventListener?.('downloadfailed', failed);
  player.addEventListener?.('error', error);
  return () => {
    engine.unregisterRequestFilter(filter);
    player.removeEventListener?.('downloadfailed', failed);
    player.removeEventListener?.('error', error);
    watch.close();
  };
}

/** Registers the filter, waits for the first grant and loads its manifest. */
export async function attachShaka(player: ShakaPlayerLike, session: PlaybackSession): Promise<() => void> {
  const detach = shakaRequestFilter(player, session);
  try {
    await player.load((await session.ready).manifestUrl);
  } catch (error) {
    detach();
    throw error;
  }
  return detach;
}
