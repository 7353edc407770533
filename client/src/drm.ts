/**
 * DRM licences through the licence proxy (`POST <apiBase>/api/v1/licence/<videoId>/<drmSystem>`):
 * every licence request carries the viewer's bearer token, so a revoked, signed-out or
 * non-entitled viewer gets no key, and each refusal becomes a StreamgateDenial the app can show.
 *
 * ClearKey (W3C EME) has no renewal of its own: `renew()` asks again with the last request, and
 * the hls.js adapter does so at every grant refresh, so a viewer revoked mid-play is stopped by
 * the licence route as well as by the playback route.
 */
import type { DrmGrant } from './client';
import { denial, denialOf as apiDenialOf, isRetryable, retryAfterSeconds, type StreamgateDenial } from './denial';

/** EME key system ids per DRM system name of the API. */
export const KEY_SYSTEMS: Record<string, string> = {
  clearkey: 'org.w3.clearkey',
  widevine: 'com.widevine.alpha',
  playready: 'com.microsoft.playready',
  fairplay: 'com.apple.fps',
};

export interface DrmOptions {
  /** The viewer's current bearer JWT, as for the playback session. */
  getToken: () => string | Promise<string>;
  /** Each refused licence request (first, retry or renewal), retryable or not. */
  onDenied?: (denial: StreamgateDenial) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface LicenceGuard {
  /** Sets up a licence XHR (hls.js `licenseXhrSetup`): opens it with the token, reports a refusal. */
  setup(xhr: XMLHttpRequest, url: string, challenge: Uint8Array): Promise<void>;
  /** Asks for the last licence again; resolves with the denial, or undefined when granted. */
  renew(): Promise<StreamgateDenial | undefined>;
  /** The last refusal seen. */
  readonly denial: StreamgateDenial | undefined;
}

export function licenceGuard(options: DrmOptions): LicenceGuard {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  let last: { url: string; challenge: Uint8Array } | undefined;
  let lastDenial: StreamgateDenial | undefined;
  const refused = (reason: StreamgateDenial): StreamgateDenial => {
    lastDenial = reason;
    options.onDenied?.(reason);
    return reason;
  };
  const contentType = (url: string) => (/\/clearkey(\?|$)/.test(url) ? 'application/json' : 'application/octet-stream');
  return {
    get denial() {
      return lastDenial;
    },
    async setup(xhr, url, challenge) {
      last = { url, challenge: challenge.slice() };
      const token = await options.getToken();
      xhr.open('POST', url, true);
      xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.setRequestHeader('content-type', contentType(url));
      xhr.addEventListener('loadend', () => {
        if (xhr.status === 200) return;
        if (xhr.status === 0) return void refused(denial('network'));
        refused(
          denialOf(
            xhr.status,
            parseJson(xhr.response),
            retryAfterSeconds(xhr.getResponseHeader('retry-after'), Date.now()),
          ),
        );
      });
    },
    async renew() {
      if (last === undefined) return undefined;
      let response: Response;
      try {
        response = await doFetch(last.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${await options.getToken()}`, 'content-type': contentType(last.url) },
          body: last.challenge as BodyInit,
          cache: 'no-store',
        });
      } catch (error) {
        return refused(denial('network', { detail: error instanceof Error ? error.message : String(error) }));
      }
      const body = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
      if (response.status === 200) return undefined;
      return refused(
        denialOf(
          response.status,
          parseJson(body.buffer),
          retryAfterSeconds(response.headers.get('retry-after'), Date.now()),
        ),
      );
    },
  };
}

/** hls.js's `drmSystems` for the grant: each DRM system the API offers, with its licence proxy URL. */
export function drmSystemsOf(drm: DrmGrant): Record<string, { licenseUrl: string }> {
  const systems: Record<string, { licenseUrl: string }> = {};
  for (const [name, url] of Object.entries(drm.licenceUrls))
    if (url !== undefined && KEY_SYSTEMS[name] !== undefined) systems[KEY_SYSTEMS[name]] = { licenseUrl: url };
  return systems;
}

/** A licence route's answer as a denial: the API's denials, plus the licence server's own refusal. */
export function licenceDenialOf(status: number, body: unknown, retryAfter: number | undefined): StreamgateDenial {
  const result = apiDenialOf(status, body, retryAfter);
  if ((result.reason ?? result.code) === 'licence_refused')
    return { ...result, action: 'none', message: 'The licence for this video was refused.' };
  return result;
}

const denialOf = licenceDenialOf;

/** Whether a licence refusal should stop playback (a retryable one may clear up by itself). */
export const stopsPlayback = (reason: StreamgateDenial): boolean => !isRetryable(reason);

function parseJson(response: unknown): unknown {
  try {
    const text =
      typeof response === 'string'
        ? response
        : response instanceof ArrayBuffer
          ? new TextDecoder().decode(response)
          : undefined;
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
