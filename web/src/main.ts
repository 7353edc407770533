/**
 * The streamgate player page, on streamgate-client and hls.js (native HLS where hls.js cannot
 * run, e.g. iPhone Safari without Managed Media Source). Two builds of this one source
 * (web/build.ts): `local` signs demo viewers in at the dev IdP and lists `/local/catalog.json`;
 * `deploy` has neither: it plays `?v=<videoId>` with the token the host application hands over
 * (host-token.ts). Any denial or stop is shown over the video, in words, with the action that helps.
 */
import Hls, { type HlsConfig } from 'hls.js';
import {
  attachHlsJsDrm,
  attachNative,
  canPlayNativeHls,
  createPlaybackSession,
  hlsJsConfig,
  isRetryable,
  type Delivery,
  type DenialAction,
  type DenialKind,
  type PlaybackSession,
  type StreamgateDenial,
} from '../../client/src';
import { isVideoId } from '../../lambda/core/entitlement-rules';
import { DEMO_VIEWERS, devIdpAdminToken, devIdpStepUpToken, devIdpToken, localCatalog } from './dev-idp';
import { hostOrigins, linkToHost } from './host-token';

/** True in the local build, false in the deploy build (esbuild `define`): the other branch is left out of the bundle. */
declare const STREAMGATE_LOCAL: boolean;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T | null;
const ui = {
  video: byId<HTMLVideoElement>('video') as HTMLVideoElement,
  notice: byId('notice') as HTMLElement,
  noticeMessage: byId('notice-message') as HTMLElement,
  noticeAction: byId<HTMLButtonElement>('notice-action') as HTMLButtonElement,
  status: byId('status') as HTMLElement,
  expiry: byId('cookie-expiry') as HTMLElement,
  lastApi: byId('last-api') as HTMLElement,
  error: byId('error') as HTMLElement,
  refresh: byId<HTMLButtonElement>('refresh') as HTMLButtonElement,
  stepUp: byId<HTMLFormElement>('step-up') as HTMLFormElement,
  stepUpCode: byId<HTMLInputElement>('step-up-code') as HTMLInputElement,
  stop: byId<HTMLButtonElement>('stop') as HTMLButtonElement,
};

/** Short words for the status line; the denial's own `message` goes over the video. */
const STOPPED: Record<DenialKind, string> = {
  'signed-out': 'Stopped: not signed in',
  revoked: 'Stopped: access revoked',
  'session-ended': 'Stopped: session ended on another device',
  'not-entitled': 'Not entitled to this video',
  'step-up': 'Stopped: this video needs a stronger sign-in',
  'rental-expired': 'Stopped: the rental has ended',
  'too-many-streams': 'Stopped: too many devices',
  sharing: 'Stopped: account sharing suspected',
  'rate-limited': 'Stopped: too many requests',
  unavailable: 'Stopped: service unavailable',
  'bad-request': 'Stopped: video unavailable',
  'media-denied': 'Stopped: media refused',
  cors: 'Stopped: this origin is not allowed (CORS)',
  network: 'Stopped: no connection',
};
const ACTION_LABEL: Record<Exclude<DenialAction, 'none'>, string> = {
  'sign-in': 'Sign in again',
  'step-up': 'Confirm your sign-in',
  'pick-another': 'Pick another video',
  'retry-later': 'Try again',
};

interface Playback {
  session: PlaybackSession;
  videoId: string;
  delivery: Delivery;
  hls: Hls | undefined;
  countdown: number;
  recoveredMediaError: boolean;
}
let current: Playback | undefined;
let noticeAction: (() => void) | undefined;
/** The denial the session last stopped on (a step-up carries what to ask the IdP for). */
let lastDenial: StreamgateDenial | undefined;

// ---- what the page shows ---------------------------------------------------------------------

const showStatus = (text: string) => {
  ui.status.textContent = text;
};

function showNotice(message: string, action: DenialAction, tone: 'stop' | 'wait' = 'stop'): void {
  ui.notice.hidden = false;
  ui.notice.dataset.tone = tone;
  ui.notice.dataset.action = action;
  ui.noticeMessage.textContent = message;
  noticeAction = action === 'none' ? undefined : () => act(action);
  ui.noticeAction.hidden = noticeAction === undefined;
  ui.noticeAction.textContent = action === 'none' ? '' : ACTION_LABEL[action];
  // A stop is news wherever the viewer had scrolled to (e.g. the Log out button, below on a phone).
  if (tone === 'stop') ui.notice.scrollIntoView({ block: 'nearest' });
}

function clearNotice(): void {
  ui.notice.hidden = true;
  ui.stepUp.hidden = true;
  delete ui.notice.dataset.action;
  ui.noticeMessage.textContent = '';
  noticeAction = undefined;
}

function showExpiry(): void {
  const grant = current?.session.grant;
  if (grant === undefined) {
    ui.expiry.textContent = '—';
    delete ui.expiry.dataset.seconds;
    return;
  }
  const seconds = Math.max(0, Math.ceil((grant.expiresAt.getTime() - Date.now()) / 1000));
  ui.expiry.textContent = seconds > 0 ? `${seconds} s` : 'expired';
  ui.expiry.dataset.seconds = String(seconds);
}

function showControls(): void {
  ui.refresh.disabled = current === undefined;
  ui.stop.disabled = current === undefined;
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.play'))
    button.setAttribute('aria-pressed', String(current?.videoId === button.dataset.video));
}

/** The API calls, as the page's "last API call" line (method, path, status, error and reason codes). */
const recordingFetch: typeof fetch = async (input, init) => {
  const method = init?.method ?? 'GET';
  const url = new URL(input instanceof Request ? input.url : String(input), location.href);
  const show = (status: number, code: string, reason: string) => {
    const answer = status === 0 ? 'network error' : `${status}${code ? ` ${code}` : ''}${reason ? ` (${reason})` : ''}`;
    ui.lastApi.textContent = `${answer}, ${method} ${url.pathname}${url.search}`;
    ui.lastApi.dataset.status = String(status);
    ui.lastApi.dataset.error = code;
    ui.lastApi.dataset.reason = reason;
  };
  try {
    const response = await fetch(input, init);
    const body = (await response
      .clone()
      .json()
      .catch(() => null)) as { error?: unknown; reason?: unknown } | null;
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    show(response.status, text(body?.error), text(body?.reason));
    return response;
  } catch (error) {
    show(0, '', '');
    throw error;
  }
};

// ---- where the token comes from ----------------------------------------------------------------

const viewer: { name: string | undefined; token: string | undefined } = { name: undefined, token: undefined };
const host = STREAMGATE_LOCAL ? undefined : linkToHost(window, hostOrigins(document));

function getToken(): Promise<string> {
  if (host !== undefined) return host.getToken();
  // Local demo: the token lives in this page's memory only, and "Log out" drops it.
  if (viewer.token === undefined) return Promise.reject(new Error('not signed in'));
  return Promise.resolve(viewer.token);
}

/** What the notice's button does. */
function act(action: DenialAction): void {
  const videoId = current?.videoId ?? lastVideoId;
  if (action === 'retry-later') {
    if (videoId !== undefined) play(videoId);
    return;
  }
  if (action === 'step-up') {
    stepUp(videoId);
    return;
  }
  if (host !== undefined) {
    // The host application signs the viewer in again or offers its catalog; then the viewer plays again.
    host.notify({ type: action === 'sign-in' ? 'streamgate:sign-in' : 'streamgate:pick-another', videoId });
    if (action === 'sign-in' && videoId !== undefined) play(videoId);
    return;
  }
  const target =
    action === 'sign-in'
      ? byId('signin-alice')
      : document.querySelector<HTMLButtonElement>(`button.play:not([data-video="${videoId ?? ''}"])`);
  target?.scrollIntoView({ block: 'nearest' });
  target?.focus();
}

/**
 * RFC 9470 step-up: sign in again as the title asked (`acrValues`, `maxAgeSeconds`), then play
 * with the new token. Deployed, the host application does the sign-in; locally, the dev IdP's
 * second-factor step, on this page.
 */
function stepUp(videoId: string | undefined): void {
  const denial = lastDenial;
  if (host !== undefined) {
    host.notify({
      type: 'streamgate:step-up',
      videoId,
      acrValues: denial?.acrValues,
      maxAgeSeconds: denial?.maxAgeSeconds,
    });
    if (videoId !== undefined) play(videoId);
    return;
  }
  ui.noticeAction.hidden = true;
  ui.stepUp.hidden = false;
  ui.stepUpCode.value = '';
  ui.stepUpCode.focus();
  ui.stepUp.onsubmit = (event) => {
    event.preventDefault();
    const name = viewer.name;
    if (name === undefined || videoId === undefined) return;
    showStatus(`Confirming ${name}'s sign-in…`);
    devIdpStepUpToken(name, denial?.acrValues, ui.stepUpCode.value.trim()).then(
      (token) => {
        viewer.token = token;
        play(videoId);
      },
      (error: unknown) => {
        showStatus('Sign-in not confirmed');
        ui.error.textContent = error instanceof Error ? error.message : String(error);
      },
    );
  };
}

// ---- playback ----------------------------------------------------------------------------------

let lastVideoId: string | undefined;

function play(videoId: string, delivery: Delivery = chosenDelivery()): void {
  stopPlayback();
  clearNotice();
  ui.error.textContent = '';
  lastVideoId = videoId;
  const session = createPlaybackSession({ apiBase: '', videoId, delivery, getToken, fetch: recordingFetch });
  const playback: Playback = {
    session,
    videoId,
    delivery,
    hls: undefined,
    countdown: window.setInterval(showExpiry, 500),
    recoveredMediaError: false,
  };
  current = playback;
  ui.video.dataset.videoId = videoId;
  ui.video.dataset.delivery = delivery;
  showControls();
  showStatus(`Requesting access to ${videoId}…`);

  session.on('grant', () => {
    if (current !== playback) return;
    showExpiry();
    if (ui.notice.dataset.tone === 'wait') clearNotice();
  });
  session.on('retry', ({ denial, delayMs }) => {
    if (current !== playback) return;
    showStatus(`${denial.kind === 'rate-limited' ? 'Too many requests' : 'Service unavailable'}, retrying`);
    showNotice(`${denial.message} (in ${Math.ceil(delayMs / 1000)} s)`, 'none', 'wait');
  });
  session.on('check', () => {
    if (current === playback) showStatus('The video service refused a request: checking access…');
  });
  session.on('stop', (denial) => {
    if (current !== playback || denial === undefined) return;
    stopped(denial);
  });
  void startMedia(playback);
}

function chosenDelivery(): Delivery {
  if (!STREAMGATE_LOCAL) return new URLSearchParams(location.search).get('delivery') === 'url' ? 'url' : 'cookie';
  return byId<HTMLInputElement>('delivery-url')?.checked === true ? 'url' : 'cookie';
}

/** The session stopped on a denial: stop the player and say why, with what to do. */
function stopped(denial: StreamgateDenial): void {
  stopPlayback();
  lastDenial = denial;
  showStatus(STOPPED[denial.kind]);
  ui.error.textContent = denial.message;
  showNotice(denial.message, denial.action);
  host?.notify({ type: 'streamgate:stopped', reason: denial.kind, action: denial.action, message: denial.message });
}

async function startMedia(playback: Playback): Promise<void> {
  const { session, delivery } = playback;
  const video = ui.video;
  try {
    if (Hls.isSupported()) {
      const hls = new Hls({ ...hlsJsConfig(session), ...(STREAMGATE_LOCAL ? DEMO_LOOP_CONFIG : {}) });
      playback.hls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        if (current === playback) video.play().catch(() => undefined);
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (current !== playback || !data.fatal) return;
        const status = data.response?.code;
        if (status === 403) return; // the session asks the API and resumes or stops (streamgate-client)
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !playback.recoveredMediaError) {
          playback.recoveredMediaError = true;
          hls.recoverMediaError();
          return;
        }
        failed(
          `The video could not be ${data.type === Hls.ErrorTypes.NETWORK_ERROR ? 'loaded' : 'decoded'} (${data.details}${status ? `, HTTP ${status}` : ''}).`,
        );
      });
      // A DRM video (the grant lists its /drm/ manifest) plays through EME with licences from the
      // licence proxy; any other as plain hls.js. A refused licence stops playback and says why.
      await attachHlsJsDrm(hls, session, video, {
        getToken,
        onDenied: (denial) => {
          if (current === playback && !isRetryable(denial)) stopped(denial);
        },
      });
    } else if (canPlayNativeHls(video) && delivery === 'cookie') {
      await attachNative(video, session);
      video.play().catch(() => undefined);
    } else {
      failed(
        delivery === 'url'
          ? 'This browser plays HLS by itself and cannot sign each request: use cookie delivery.'
          : 'This browser cannot play HLS video.',
      );
      return;
    }
    if (current === playback) showStatus(`Loading ${playback.videoId}…`);
  } catch {
    // The session stopped before its first grant: its 'stop' listener shows why.
  }
}

/**
 * Local demo: its clips are 6 s long and loop, so after the first pass a player would ask the edge
 * for nothing (the clip is buffered, its segments in the browser's cache) and a revoked grant
 * would never be presented. Like a long video, whose next segments always come from the edge,
 * each loop here asks the edge again: played segments are dropped from the buffer and the
 * browser's copy is revalidated (`max-age=0`), which the edge answers only for a valid grant.
 * streamgate-client keeps this `xhrSetup` and runs it after its own has opened the request.
 */
const DEMO_LOOP_CONFIG: Partial<HlsConfig> = {
  backBufferLength: 0,
  xhrSetup: (xhr) => xhr.setRequestHeader('cache-control', 'max-age=0'),
};

/** The player failed for a reason that is not access: stop, and offer to try again. */
function failed(message: string): void {
  stopPlayback();
  showStatus('Playback error: stopped');
  ui.error.textContent = message;
  showNotice(message, 'retry-later');
}

function stopPlayback(): void {
  const ending = current;
  current = undefined;
  if (ending !== undefined) {
    clearInterval(ending.countdown);
    ending.session.stop();
    ending.hls?.destroy();
    ui.video.pause();
    ui.video.removeAttribute('src');
    ui.video.load();
  }
  delete ui.video.dataset.videoId;
  delete ui.video.dataset.delivery;
  showExpiry();
  showControls();
}

// Status words follow the video element while it plays the current session.
const onVideo = (text: string) => () => {
  if (current !== undefined && current.session.grant !== undefined && ui.notice.hidden) showStatus(text);
};
ui.video.addEventListener('playing', onVideo('Playing'));
ui.video.addEventListener('pause', onVideo('Paused'));
ui.video.addEventListener('waiting', onVideo('Buffering…'));
ui.video.addEventListener('error', () => {
  if (current !== undefined && current.hls === undefined && current.session.grant !== undefined)
    failed('The browser could not play this stream.');
});
ui.noticeAction.addEventListener('click', () => noticeAction?.());
ui.refresh.addEventListener('click', () => current?.session.refresh());
ui.stop.addEventListener('click', () => {
  stopPlayback();
  clearNotice();
  showStatus('Stopped');
});
showControls();

// ---- local demo: dev IdP sign-in and the catalog -------------------------------------------------

if (STREAMGATE_LOCAL) {
  const signedInAs = byId('signed-in-as') as HTMLElement;
  const logout = byId<HTMLButtonElement>('logout') as HTMLButtonElement;
  const revokeEverywhere = byId<HTMLButtonElement>('revoke-everywhere') as HTMLButtonElement;
  const showViewer = () => {
    signedInAs.textContent = viewer.name ?? 'nobody';
    logout.disabled = viewer.token === undefined;
    revokeEverywhere.disabled = viewer.token === undefined;
  };
  const signIn = async (name: string) => {
    stopPlayback();
    clearNotice();
    showStatus(`Signing in as ${name}…`);
    try {
      viewer.token = await devIdpToken(name);
      viewer.name = name;
      showViewer();
      showStatus(`Signed in as ${name}, pick a video`);
    } catch (error) {
      showStatus('Sign-in failed');
      ui.error.textContent = error instanceof Error ? error.message : String(error);
    }
  };
  for (const name of Object.keys(DEMO_VIEWERS))
    byId(`signin-${name}`)?.addEventListener('click', () => void signIn(name));
  // Logging out stops this player at once (its buffered video must not play on), drops the
  // token, and revokes it: anything that still holds it is refused by the API and at the edge.
  logout.addEventListener('click', async () => {
    const { name, token } = viewer;
    if (token === undefined) return;
    stopPlayback();
    clearNotice();
    ui.error.textContent = '';
    viewer.token = undefined;
    viewer.name = undefined;
    showViewer();
    showStatus('Signing out…');
    const response = await recordingFetch('/api/v1/session', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
    }).catch(() => undefined);
    if (response?.status !== 204) {
      // Not revoked: keep the token, so Log out can be tried again.
      if (viewer.token === undefined) Object.assign(viewer, { name, token });
      showViewer();
      showStatus('Log out failed: try again');
      return;
    }
    showStatus('Signed out');
    showNotice('You signed out. Sign in to watch.', 'sign-in');
  });

  // Demo of edge revocation: as an operator would (POST /api/v1/revocations with an admin token),
  // revoke every token of this viewer. Each of the viewer's players, in this window or another,
  // is refused at the edge at its next media request, long before its grant expires.
  revokeEverywhere.addEventListener('click', async () => {
    const name = viewer.name;
    if (name === undefined) return;
    try {
      const admin = await devIdpAdminToken();
      // Tokens issued up to now; the API's default reaches 31 s ahead (an IdP clock running fast),
      // which would also refuse the demo viewer signing in again within that half minute.
      const before = Math.floor(Date.now() / 1000) + 1;
      const response = await recordingFetch('/api/v1/revocations', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub: name, before }),
        cache: 'no-store',
      });
      if (response.status !== 201) throw new Error(`the revocation was refused (HTTP ${response.status})`);
      showStatus(`Revoked ${name} everywhere: each of ${name}'s players stops at its next media request`);
    } catch (error) {
      showStatus('Revocation failed');
      ui.error.textContent = error instanceof Error ? error.message : String(error);
    }
  });
  showViewer();

  const list = byId('videos') as HTMLElement;
  localCatalog().then(
    (entries) => {
      list.textContent = '';
      list.removeAttribute('aria-busy');
      for (const entry of entries) {
        const item = document.createElement('li');
        const title = item.appendChild(document.createElement('span'));
        title.className = 'title';
        title.textContent = entry.title;
        if (entry.encrypted) {
          const badge = item.appendChild(document.createElement('span'));
          badge.className = 'badge';
          badge.textContent = entry.drm === undefined ? 'AES-128' : `DRM (${entry.drm})`;
        }
        const button = item.appendChild(document.createElement('button'));
        button.type = 'button';
        button.className = 'play';
        button.dataset.video = entry.id;
        button.textContent = 'Play';
        button.setAttribute('aria-label', `Play ${entry.title}`);
        button.setAttribute('aria-pressed', 'false');
        button.addEventListener('click', () => {
          if (viewer.token === undefined) {
            showStatus('Not signed in');
            showNotice('Please sign in to watch.', 'sign-in');
            return;
          }
          play(entry.id);
        });
        list.appendChild(item);
      }
    },
    (error: unknown) => {
      list.removeAttribute('aria-busy');
      list.textContent = '';
      showStatus('Could not load the video list');
      ui.error.textContent = error instanceof Error ? error.message : String(error);
    },
  );
} else {
  // Deployed: the video is in the page's query (`?v=<videoId>[&delivery=url]`), the token with the host.
  const videoId = new URLSearchParams(location.search).get('v');
  if (videoId === null || !isVideoId(videoId)) {
    showStatus('No video chosen');
    showNotice('No video was chosen. Pick a video in the app.', 'pick-another');
  } else if (host?.connected !== true) {
    showStatus('Not signed in');
    showNotice('Open this player from your app, where you are signed in.', 'none');
  } else play(videoId);
}
