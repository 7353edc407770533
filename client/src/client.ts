/**
 * A playback session: one grant request to `POST <apiBase>/api/v1/playback/<videoId>`, kept
 * fresh at each grant's `refreshAfter`, retried with backoff on 429/503/network failures, and
 * stopped on any other denial. No player and no framework: adapters wire it to a player.
 */
import { denial, denialOf, isRetryable, retryAfterSeconds, StreamgateError, type StreamgateDenial } from './denial';
import { appendSignedQuery, inScope, mediaScope } from './signed-url';

export type Delivery = 'cookie' | 'url';

export interface Grant {
  videoId: string;
  delivery: Delivery;
  /** Cookie mode: the manifest (cookies do the rest). URL mode: the signed manifest URL. */
  manifestUrl: string;
  /** URL mode only: the query (without `?`) to append to every media request of the video. */
  signedQuery?: string;
  expiresAt: Date;
  refreshAfter: Date;
  /** A DRM video (the API's DRM catalog lists it): its packaged manifest and licence URLs. */
  drm?: DrmGrant;
}

export interface DrmGrant {
  /** The DRM-packaged manifest under `/drm/` (cookie mode: the grant's cookies cover it too). */
  manifestUrl: string;
  /** Licence proxy URL per DRM system (`clearkey`, `widevine`, `playready`, `fairplay`) configured. */
  licenceUrls: Partial<Record<string, string>>;
}

export interface RetryOptions {
  /** First backoff step. @default 1000 */
  baseDelayMs?: number;
  /** Largest backoff step (a longer Retry-After is still honoured). @default 60000 */
  maxDelayMs?: number;
  /** Consecutive failed attempts before the session stops with the last denial. @default 10 */
  maxRetries?: number;
}

export interface PlaybackSessionOptions {
  /** Origin (and optional path) the API is served under, e.g. `https://video.example.com`; `''` for the page's own origin. */
  apiBase: string;
  videoId: string;
  /** Called before every grant request (first and each refresh): return a current bearer JWT. */
  getToken: () => string | Promise<string>;
  /** @default 'cookie' */
  delivery?: Delivery;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
  /** `Math.random`-like source for backoff jitter. @default Math.random */
  random?: () => number;
  retry?: RetryOptions;
  /**
   * After a media 403 made the session ask the API again and it granted: 403s reported sooner
   * than this are of requests made before the new grant, and are ignored. @default 1000
   */
  mediaGraceMs?: number;
  /** ...and a 403 reported from then until this long after that grant stops the session as `media-denied`. @default 10000 */
  mediaRecheckWindowMs?: number;
  onGrant?: (grant: Grant) => void;
  /** The denial that stopped the session, or undefined when the app called `stop()`. */
  onStop?: (denial: StreamgateDenial | undefined) => void;
}

export interface SessionEvents {
  grant: Grant;
  /** A failed attempt that will be retried after `delayMs`. */
  retry: { denial: StreamgateDenial; delayMs: number; attempt: number };
  stop: StreamgateDenial | undefined;
  /** A media 403 made the session ask the API again now (the answer comes as `grant`, `retry` or `stop`). */
  check: { url: string | undefined };
}

export interface PlaybackSession {
  readonly videoId: string;
  readonly delivery: Delivery;
  /** Resolves with the first grant; rejects with a StreamgateError if the session stops first. */
  readonly ready: Promise<Grant>;
  readonly grant: Grant | undefined;
  readonly manifestUrl: string | undefined;
  readonly signedQuery: string | undefined;
  readonly stopped: boolean;
  /** Why the session stopped (undefined while running or after `stop()`). */
  readonly denial: StreamgateDenial | undefined;
  /**
   * URL mode: `url` with the current signed query when it is under this video's
   * `/media/<videoId>/` folder on the media origin; any other URL unchanged. Cookie mode: `url`.
   */
  withSignedQuery(url: string): string;
  /** True when `url` is a media URL of this video (where cookies or the query apply). */
  isMediaUrl(url: string): boolean;
  /** Asks for a new grant now. */
  refresh(): void;
  /**
   * The player got HTTP 403 on a media request of this video (the adapters call this): the edge
   * refuses the grant (expired, revoked at the edge, IP changed). The session asks the API again
   * at once with a fresh token: a refusal stops it with the API's reason; a grant lets the player
   * retry. A 403 again right after that fresh grant stops it as `media-denied`.
   */
  mediaForbidden(url?: string): void;
  stop(): void;
  on<E extends keyof SessionEvents>(event: E, listener: (value: SessionEvents[E]) => void): () => void;
}

const MAX_TIMER_MS = 2147483647;
/** Never refresh sooner than this after a grant, whatever the clocks say. */
const MIN_REFRESH_MS = 1000;

const MEDIA_GRACE_MS = 1000;
const signatureOf = (url: string): string | undefined => {
  try {
    return new URL(url, 'http://x/').searchParams.get('Signature') ?? undefined;
  } catch {
    return undefined;
  }
};
const MEDIA_RECHECK_WINDOW_MS = 10000;

/** How long the reachability probe may take before the failure counts as the network's. */
const CORS_PROBE_TIMEOUT_MS = 3000;

/**
 * Whether a fetch of the cross-origin `endpoint` failed because the browser refused the answer
 * (the page's origin is not allowed) rather than the network: fetch tells neither apart (both are
 * a TypeError, by the Fetch standard's design), so the API's origin is probed with a `no-cors`
 * request, which needs no CORS answer: it resolves (opaque) when the API is reachable. Only in a
 * page, only for another origin, only after a failure: a same-origin call is never refused by CORS.
 */
async function corsRefused(endpoint: string, error: unknown, doFetch: typeof fetch): Promise<boolean> {
  if (!(error instanceof TypeError) || typeof location !== 'object' || location === null) return false;
  let target: URL;
  try {
    target = new URL(endpoint, location.href);
  } catch {
    return false;
  }
  if (target.origin === location.origin) return false;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), CORS_PROBE_TIMEOUT_MS);
  try {
    // The origin's root: any HTTP answer (a page, a 404) proves it reachable, and no API route,
    // WAF API rule or auth-failure metric sees the probe.
    await doFetch(`${target.origin}/`, {
      mode: 'no-cors',
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function createPlaybackSession(options: PlaybackSessionOptions): PlaybackSession {
  const delivery: Delivery = options.delivery ?? 'cookie';
  const { videoId } = options;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const baseDelay = options.retry?.baseDelayMs ?? 1000;
  const maxDelay = options.retry?.maxDelayMs ?? 60000;
  const maxRetries = options.retry?.maxRetries ?? 10;
  const endpoint = `${options.apiBase.replace(/\/+$/, '')}/api/v1/playback/${encodeURIComponent(videoId)}${delivery === 'url' ? '?delivery=url' : ''}`;

  const listeners: { [E in keyof SessionEvents]?: Array<(value: SessionEvents[E]) => void> } = {};
  const emit = <E extends keyof SessionEvents>(event: E, value: SessionEvents[E]) => {
    for (const listener of [...(listeners[event] ?? [])]) listener(value);
  };

  let grant: Grant | undefined;
  let scope: { origin: string; prefix: string } | undefined;
  let stopped = false;
  let stopDenial: StreamgateDenial | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let inFlight: AbortController | undefined;
  let busy = false;
  let settle!: { resolve: (grant: Grant) => void; reject: (error: unknown) => void };
  const ready = new Promise<Grant>((resolve, reject) => (settle = { resolve, reject }));
  ready.catch(() => undefined); // an app that never awaits `ready` gets no unhandled rejection

  const mediaGrace = options.mediaGraceMs ?? MEDIA_GRACE_MS;
  const mediaWindow = options.mediaRecheckWindowMs ?? MEDIA_RECHECK_WINDOW_MS;
  /** A media 403 is being checked with the API. */
  let checking = false;
  /** When the last check was answered with a grant. */
  let checkedAt: number | undefined;

  let dueAt = 0;
  let offline = false;
  const schedule = (delayMs: number) => {
    clearTimeout(timer);
    dueAt = now() + delayMs;
    timer = setTimeout(() => void request(), Math.min(MAX_TIMER_MS, Math.max(0, delayMs)));
  };

  // Timers of hidden tabs are throttled and a sleeping device fires none: when the page is shown
  // again or the network comes back, catch up at once on a refresh (or a network retry) now due.
  const target =
    typeof window === 'object' && window !== null && typeof window.addEventListener === 'function' ? window : undefined;
  const wake = () => {
    if (typeof document === 'object' && document?.visibilityState === 'hidden') return;
    if (now() >= dueAt || offline) void request();
  };
  target?.addEventListener('online', wake);
  target?.document?.addEventListener('visibilitychange', wake);

  const finish = (reason: StreamgateDenial | undefined) => {
    if (stopped) return;
    stopped = true;
    stopDenial = reason;
    clearTimeout(timer);
    inFlight?.abort();
    target?.removeEventListener('online', wake);
    target?.document?.removeEventListener('visibilitychange', wake);
    settle.reject(new StreamgateError(reason ?? denial('bad-request', { message: 'Playback was stopped.' })));
    options.onStop?.(reason);
    emit('stop', reason);
  };

  const failed = (reason: StreamgateDenial) => {
    checking = false;
    if (!isRetryable(reason) || attempt >= maxRetries) return finish(reason);
    offline = reason.kind === 'network';
    // Full jitter over the upper half of the exponential step; Retry-After is a floor.
    const step = Math.min(maxDelay, baseDelay * 2 ** attempt);
    const delayMs = Math.max((reason.retryAfterSeconds ?? 0) * 1000, step / 2 + (random() * step) / 2);
    attempt += 1;
    emit('retry', { denial: reason, delayMs, attempt });
    schedule(delayMs);
  };

  const granted = (body: Record<string, unknown>, serverDate: number) => {
    const manifestUrl = String(body.manifestUrl);
    const next: Grant = {
      videoId,
      delivery,
      manifestUrl,
      expiresAt: new Date(String(body.expiresAt)),
      refreshAfter: new Date(String(body.refreshAfter)),
    };
    if (typeof body.signedQuery === 'string') next.signedQuery = body.signedQuery;
    const drm = drmGrantOf(body.drm);
    if (drm !== undefined) next.drm = drm;
    grant = next;
    scope = mediaScope(manifestUrl, videoId);
    attempt = 0;
    offline = false;
    if (checking) {
      checking = false;
      checkedAt = now();
    }
    // refreshAfter is on the server's clock: measure from the response's Date when our clock is off.
    const local = now();
    const skew = Number.isNaN(serverDate) || Math.abs(serverDate - local) < 2000 ? 0 : serverDate - local;
    schedule(Math.max(MIN_REFRESH_MS, next.refreshAfter.getTime() - (local + skew)));
    settle.resolve(next);
    options.onGrant?.(next);
    emit('grant', next);
  };

  /** One grant request at a time; its outcome (grant, retry or stop) runs once it is over. */
  async function request(): Promise<void> {
    if (stopped || busy) return;
    clearTimeout(timer);
    busy = true;
    let outcome: (() => void) | undefined;
    try {
      outcome = await attemptGrant();
    } finally {
      busy = false;
    }
    if (!stopped) outcome?.();
  }

  async function attemptGrant(): Promise<(() => void) | undefined> {
    let token: string;
    try {
      token = await options.getToken();
    } catch (error) {
      return () => finish(denial('signed-out', { detail: error instanceof Error ? error.message : String(error) }));
    }
    if (stopped) return undefined;
    const controller = (inFlight = new AbortController());
    let response: Response;
    let body: unknown;
    try {
      response = await doFetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        credentials: 'include', // so the Set-Cookie of a cookie grant is stored
        cache: 'no-store',
        signal: controller.signal,
      });
      body = await response.json().catch(() => undefined);
    } catch (error) {
      if (stopped) return undefined;
      const detail = error instanceof Error ? error.message : String(error);
      // A refused CORS answer and a dead network throw the same TypeError; a reachable API means the former.
      if (await corsRefused(endpoint, error, doFetch)) return () => finish(denial('cors', { detail }));
      if (stopped) return undefined;
      return () => failed(denial('network', { detail }));
    } finally {
      if (inFlight === controller) inFlight = undefined;
    }
    if (stopped) return undefined;
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
    let manifestUrl: string | undefined;
    try {
      // Absolute in every API answer; resolved anyway, against the page for a relative apiBase.
      const page = typeof location === 'object' && location !== null ? location.href : undefined;
      if (response.ok && typeof fields?.manifestUrl === 'string')
        manifestUrl = new URL(fields.manifestUrl, new URL(endpoint, page)).href;
    } catch {
      manifestUrl = undefined;
    }
    if (fields !== undefined && manifestUrl !== undefined) {
      fields.manifestUrl = manifestUrl;
      const serverDate = Date.parse(response.headers.get('date') ?? '');
      return () => granted(fields, serverDate);
    }
    const status = response.ok ? 502 : response.status; // a 2xx without a grant: treat as unavailable
    const reason = denialOf(status, body, retryAfterSeconds(response.headers.get('retry-after'), now()));
    return () => failed(reason);
  }

  void request();

  return {
    videoId,
    delivery,
    ready,
    get grant() {
      return grant;
    },
    get manifestUrl() {
      return grant?.manifestUrl;
    },
    get signedQuery() {
      return grant?.signedQuery;
    },
    get stopped() {
      return stopped;
    },
    get denial() {
      return stopDenial;
    },
    withSignedQuery(url: string): string {
      if (grant?.signedQuery === undefined || scope === undefined) return url;
      return appendSignedQuery(url, grant.manifestUrl, scope, grant.signedQuery);
    },
    isMediaUrl(url: string): boolean {
      return grant !== undefined && scope !== undefined && inScope(url, grant.manifestUrl, scope) !== undefined;
    },
    refresh() {
      void request();
    },
    mediaForbidden(url?: string) {
      if (stopped || grant === undefined || checking) return;
      if (url !== undefined && !this.isMediaUrl(url)) return;
      const since = checkedAt === undefined ? Number.POSITIVE_INFINITY : now() - checkedAt;
      // URL mode tells a request made with the current grant by its signature; cookie mode by time.
      const signature = delivery === 'url' && url !== undefined ? signatureOf(url) : undefined;
      if (signature !== undefined) {
        if (signature !== signatureOf(grant.manifestUrl) && checkedAt !== undefined) return; // an older grant's
      } else if (since < mediaGrace) return; // a request made before the fresh grant
      if (since <= mediaWindow) {
        finish(denial('media-denied', { status: 403, detail: 'media still refused (403) right after a fresh grant' }));
        return;
      }
      checking = true;
      emit('check', { url });
      if (busy) return; // the grant request in flight answers the check
      void request();
    },
    stop() {
      finish(undefined);
    },
    on(event, listener) {
      const list = (listeners[event] ??= []) as Array<typeof listener>;
      list.push(listener);
      return () => {
        const at = list.indexOf(listener);
        if (at >= 0) list.splice(at, 1);
      };
    },
  };
}

/** The answer's `drm` part, when it has a usable one (absolute URLs only). */
function drmGrantOf(value: unknown): DrmGrant | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { manifestUrl, licenceUrls } = value as Record<string, unknown>;
  if (typeof manifestUrl !== 'string' || !/^https?:\/\//.test(manifestUrl)) return undefined;
  const urls: Partial<Record<string, string>> = {};
  if (typeof licenceUrls === 'object' && licenceUrls !== null)
    for (const [system, url] of Object.entries(licenceUrls))
      if (typeof url === 'string' && /^https?:\/\//.test(url)) urls[system] = url;
  return { manifestUrl, licenceUrls: urls };
}
