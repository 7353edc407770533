/**
 * DRM with hls.js (1.x): for a video the API lists as DRM, hls.js plays the `/drm/` manifest
 * through EME (`emeEnabled`, `drmSystems` with the licence proxy URLs), each licence request
 * carrying the viewer's token (`licenseXhrSetup`). A refused licence, first or renewal, stops
 * playback and is reported as a StreamgateDenial. A video without DRM is attached as usual.
 */
import type { Grant, PlaybackSession } from '../client';
import { type DrmOptions, drmSystemsOf, type LicenceGuard, licenceGuard, stopsPlayback } from '../drm';
import { attachHlsJs, type HlsLike, sessionHooks } from './hlsjs';

/** hls.js's EME settings used here. */
export interface HlsDrmConfig {
  emeEnabled: boolean;
  drmSystems: Record<string, { licenseUrl: string }>;
  licenseXhrSetup: (xhr: XMLHttpRequest, url: string, keyContext: unknown, challenge: Uint8Array) => Promise<void>;
}

/** The members of hls.js used for DRM, beside those `attachHlsJs` uses. */
export type HlsDrmLike = HlsLike & {
  config: object;
  loadSource(url: string): void;
  attachMedia?(media: HTMLMediaElement): void;
  stopLoad?(): void;
};

/** hls.js's EME config for a DRM grant: the licence proxy per key system, the token on each licence request. */
export function hlsJsDrmConfig(grant: Grant, guard: LicenceGuard): HlsDrmConfig {
  return {
    emeEnabled: true,
    drmSystems: grant.drm === undefined ? {} : drmSystemsOf(grant.drm),
    licenseXhrSetup: (xhr, url, _keyContext, challenge) => guard.setup(xhr, url, challenge),
  };
}

const HLS_ERROR = 'hlsError'; // Hls.Events.ERROR
type ErrorListener = (event: string, data: { fatal?: boolean; type?: string }) => void;

/**
 * `attachHlsJs` for DRM videos: once the first grant is in, a DRM grant is loaded from its `/drm/`
 * manifest with EME and the licence guard; any other is handed to `attachHlsJs`.
 * Resolves when `loadSource` was called; rejects with the session's StreamgateError.
 */
export async function attachHlsJsDrm(
  hls: HlsDrmLike,
  session: PlaybackSession,
  media: HTMLMediaElement | undefined,
  options: DrmOptions,
): Promise<void> {
  const grant = await session.ready;
  if (grant.drm === undefined) {
    await attachHlsJs(hls, session, media);
    return;
  }
  const drm = grant.drm;
  const stop = () => {
    hls.stopLoad?.();
    media?.pause();
    session.stop();
  };
  const guard = licenceGuard({
    ...options,
    onDenied: (reason) => {
      if (stopsPlayback(reason)) stop();
      options.onDenied?.(reason);
    },
  });
  // The usual request hooks (cookies, signed queries) and EME; hls.js reads both per request.
  Object.assign(hls.config, sessionHooks(hls.config, session), hlsJsDrmConfig(grant, guard));
  // A licence hls.js gave up on (e.g. still unavailable after its retries) stops playback too.
  const on = (hls as { on?: unknown }).on;
  if (typeof on === 'function')
    (on as (this: unknown, event: string, listener: ErrorListener) => void).call(hls, HLS_ERROR, (_event, data) => {
      if (data.fatal === true && data.type === 'keySystemError') stop();
    });
  // ClearKey has no renewal of its own: ask again at each grant refresh.
  session.on('grant', () => void guard.renew());
  // The session refused a refresh (revoked, no longer entitled): the keys the CDM holds stop serving too.
  session.on('stop', (reason) => {
    if (reason === undefined) return;
    hls.stopLoad?.();
    media?.pause();
  });
  if (media !== undefined) hls.attachMedia?.(media);
  hls.loadSource(drm.manifestUrl);
}
