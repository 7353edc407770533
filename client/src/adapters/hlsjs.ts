/**
 * hls.js (1.x): its loaders call `xhrSetup` (XHR loader, the default) or `fetchSetup` (fetch
 * loader) before every request. URL mode: the signed query is put on media URLs of the video.
 * Cookie mode: credentials are sent (needed only if the media origin differs from the page's).
 *
 * DRM (`options.drm`): for a video the API lists as DRM, hls.js plays the `/drm/` manifest through
 * EME (`emeEnabled`, `drmSystems` with the licence proxy URLs), each licence request carrying the
 * viewer's token (`licenseXhrSetup`). A refused licence, first or renewal, stops playback and is
 * reported as a StreamgateDenial.
 */
import type { Grant, PlaybackSession } from '../client';
import { type DrmOptions, drmSystemsOf, type LicenceGuard, licenceGuard, stopsPlayback } from '../drm';

/** The few hls.js members used here (hls.js itself is not imported). */
export interface HlsLike {
  config: {
    xhrSetup?: (xhr: XMLHttpRequest, url: string) => void | Promise<void>;
    fetchSetup?: (context: { url: string }, initParams: RequestInit) => Request | Promise<Request>;
    emeEnabled?: boolean;
    drmSystems?: Record<string, { licenseUrl: string }>;
    licenseXhrSetup?: (xhr: XMLHttpRequest, url: string, keyContext: unknown, challenge: Uint8Array) => Promise<void>;
  };
  loadSource(url: string): void;
  attachMedia?(media: HTMLMediaElement): void;
  on?(
    event: string,
    listener: (event: string, data: { fatal?: boolean; type?: string; details?: string }) => void,
  ): void;
  stopLoad?(): void;
}

/** Config for `new Hls({ ...hlsJsConfig(session), ...yours })`. */
export function hlsJsConfig(session: PlaybackSession): Required<Pick<HlsLike['config'], 'xhrSetup' | 'fetchSetup'>> {
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

/** hls.js's EME config for a DRM grant: the licence proxy per key system, the token on each licence request. */
export function hlsJsDrmConfig(
  grant: Grant,
  guard: LicenceGuard,
): Pick<HlsLike['config'], 'emeEnabled' | 'drmSystems' | 'licenseXhrSetup'> {
  return {
    emeEnabled: true,
    drmSystems: grant.drm === undefined ? {} : drmSystemsOf(grant.drm),
    licenseXhrSetup: (xhr, url, _keyContext, challenge) => guard.setup(xhr, url, challenge),
  };
}

export interface AttachHlsJsOptions {
  /** Play DRM videos through EME with licences from the licence proxy. */
  drm?: DrmOptions;
}

/**
 * Wires an existing Hls instance to the session (hls.js reads `config.xhrSetup`/`fetchSetup`
 * for each new request), then loads the manifest once the first grant is in: the `/drm/` one
 * when the video is DRM-packaged and `options.drm` is given.
 * Resolves when `loadSource` was called; rejects with the session's StreamgateError.
 */
export async function attachHlsJs(
  hls: HlsLike,
  session: PlaybackSession,
  media?: HTMLMediaElement,
  options: AttachHlsJsOptions = {},
): Promise<void> {
  Object.assign(hls.config, hlsJsConfig(session));
  const grant = await session.ready;
  const drm = options.drm;
  if (drm === undefined || grant.drm === undefined) {
    if (media !== undefined) hls.attachMedia?.(media);
    hls.loadSource(grant.manifestUrl);
    return;
  }
  const stop = () => {
    hls.stopLoad?.();
    media?.pause();
    session.stop();
  };
  const guard = licenceGuard({
    ...drm,
    onDenied: (reason) => {
      if (stopsPlayback(reason)) stop();
      drm.onDenied?.(reason);
    },
  });
  Object.assign(hls.config, hlsJsDrmConfig(grant, guard));
  // A licence hls.js gave up on (e.g. still unavailable after its retries) stops playback too.
  hls.on?.('hlsError', (_event, data) => {
    if (data.fatal === true && data.type === 'keySystemError') stop();
  });
  // ClearKey has no renewal of its own: ask again at each grant refresh.
  session.on('grant', () => void guard.renew());
  if (media !== undefined) hls.attachMedia?.(media);
  hls.loadSource(grant.drm.manifestUrl);
}
