/**
 * Shaka Player (4.x): a networking-engine request filter. URL mode: every request URI under the
 * video's media folder gets the signed query. Cookie mode: `allowCrossSiteCredentials` is set on
 * those requests (needed only if the media origin differs from the page's).
 */
import type { PlaybackSession } from '../client';

interface ShakaRequest {
  uris: string[];
  allowCrossSiteCredentials: boolean;
}
type ShakaRequestFilter = (type: number, request: ShakaRequest) => void;

/** The few Shaka members used here (shaka-player itself is not imported). */
export interface ShakaPlayerLike {
  getNetworkingEngine(): {
    registerRequestFilter(filter: ShakaRequestFilter): void;
    unregisterRequestFilter(filter: ShakaRequestFilter): void;
  } | null;
  load(manifestUri: string): Promise<unknown>;
}

/** Registers the filter; returns a function that unregisters it. */
export function shakaRequestFilter(player: ShakaPlayerLike, session: PlaybackSession): () => void {
  const engine = player.getNetworkingEngine();
  if (engine === null) throw new Error('streamgate-client: this Shaka player has no networking engine (destroyed?)');
  const filter: ShakaRequestFilter = (_type, request) => {
    if (session.delivery === 'url') request.uris = request.uris.map((uri) => session.withSignedQuery(uri));
    else if (request.uris.some((uri) => session.isMediaUrl(uri))) request.allowCrossSiteCredentials = true;
  };
  engine.registerRequestFilter(filter);
  return () => engine.unregisterRequestFilter(filter);
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
