/**
 * Runs in the matrix's Chromium page (bundled by client-matrix.test.ts with esbuild): one player at a
 * time, wired by streamgate-client's adapter to a session of the local API, with what the test
 * checks recorded as it happens (progress and stalls, grants, checks, the stop and its denial).
 * hls.js, Shaka Player and video.js come from their own dist bundles, loaded as script tags.
 */
import {
  attachHlsJs,
  attachShaka,
  attachVideoJs,
  createPlaybackSession,
  hlsJsConfig,
  type Delivery,
  type HlsLike,
  type PlaybackSession,
  type ShakaPlayerLike,
  type StreamgateDenial,
  type VideoJsPlayerLike,
} from '../../client/src';

export type PlayerName = 'hls.js' | 'shaka' | 'video.js';

export interface Run {
  player: PlayerName;
  delivery: Delivery;
  videoId: string;
  sub: string;
  /** Wait for `release()` between the first grant and loading the player. */
  hold?: boolean;
}

export interface Observed {
  currentTime: number;
  /** Seconds of media played since the start (across loops). */
  progressed: number;
  /** Longest time (ms) currentTime stood still once playing, while the session ran. */
  longestStallMs: number;
  grants: number;
  checks: number;
  stopped: boolean;
  denial: StreamgateDenial | undefined;
  /** When the session stopped (epoch ms). */
  stoppedAt: number | undefined;
  paused: boolean;
  /** The media element's seekable range (a live window slides: both ends move on). */
  seekableStart: number;
  seekableEnd: number;
  errors: string[];
}

interface Globals {
  Hls: { new (config: object): HlsLike & { destroy(): void } };
  shaka: {
    polyfill: { installAll(): void };
    Player: new () => ShakaPlayerLike & { attach(video: HTMLMediaElement): Promise<void>; destroy(): Promise<void> };
  };
  videojs: (element: Element, options: object) => VideoJsPlayerLike & { dispose(): void; el(): Element };
}
const g = window as unknown as Globals;

let current:
  | {
      session: PlaybackSession;
      video: HTMLVideoElement;
      destroy: () => Promise<void>;
      observed: Observed;
      timer: number;
    }
  | undefined;

async function token(sub: string): Promise<string> {
  const response = await fetch('/idp/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, videos: ['demo-1', 'demo-2', 'live-1'] }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function start(run: Run): Promise<void> {
  await stop();
  const observed: Observed = {
    currentTime: 0,
    progressed: 0,
    longestStallMs: 0,
    grants: 0,
    checks: 0,
    stopped: false,
    denial: undefined,
    stoppedAt: undefined,
    paused: true,
    seekableStart: 0,
    seekableEnd: 0,
    errors: [],
  };
  const session = createPlaybackSession({
    apiBase: run.delivery === 'cookie' ? '' : location.origin,
    videoId: run.videoId,
    delivery: run.delivery,
    getToken: () => token(run.sub),
  });
  session.on('grant', () => (observed.grants += 1));
  session.on('check', () => (observed.checks += 1));
  let teardown: () => Promise<void> = async () => undefined;
  let destroyed: Promise<void> | undefined;
  const destroy = () => (destroyed ??= teardown());
  session.on('stop', (denial) => {
    // What an app does: record why, and stop the player.
    observed.stopped = true;
    observed.denial = denial;
    observed.stoppedAt = Date.now();
    void destroy();
  });

  current = { session, video: document.createElement('video'), destroy, observed, timer: 0 };
  if (run.hold) {
    await session.ready;
    void new Promise<void>((resolve) => (release = resolve)).then(() =>
      load(run, session, observed, (next) => (teardown = next)),
    );
    return;
  }
  await load(run, session, observed, (next) => (teardown = next));
}

let release: (() => void) | undefined;

async function load(
  run: Run,
  session: PlaybackSession,
  observed: Observed,
  setTeardown: (teardown: () => Promise<void>) => void,
): Promise<void> {
  const host = document.getElementById('players') as HTMLElement;
  let video: HTMLVideoElement;
  if (run.player === 'hls.js') {
    video = host.appendChild(Object.assign(document.createElement('video'), { muted: true, loop: true }));
    const hls = new g.Hls({ ...hlsJsConfig(session), backBufferLength: 0 });
    setTeardown(async () => {
      video.pause();
      hls.destroy();
    });
    await attachHlsJs(hls, session, video);
  } else if (run.player === 'shaka') {
    g.shaka.polyfill.installAll();
    video = host.appendChild(Object.assign(document.createElement('video'), { muted: true, loop: true }));
    const player = new g.shaka.Player();
    await player.attach(video);
    (player as unknown as EventTarget).addEventListener('error', (event) =>
      observed.errors.push(`shaka ${(event as unknown as { detail?: { code?: number } }).detail?.code}`),
    );
    setTeardown(async () => {
      video.pause();
      await player.destroy();
    });
    await attachShaka(player, session).catch((error: unknown) => observed.errors.push(`load: ${String(error)}`));
  } else {
    const element = host.appendChild(document.createElement('video'));
    element.className = 'video-js';
    const player = g.videojs(element, { muted: true, loop: true, controls: false, preload: 'auto' });
    video = player.el().querySelector('video') as HTMLVideoElement;
    player.on('error', () => observed.errors.push('video.js error'));
    setTeardown(async () => {
      video.pause();
      player.dispose();
    });
    await attachVideoJs(player, session);
  }
  video.muted = true;
  void video.play().catch((error: unknown) => observed.errors.push(`play: ${String(error)}`));

  let last = 0;
  let lastMovedAt = 0;
  const timer = window.setInterval(() => {
    const time = video.currentTime;
    const at = Date.now();
    if (time > last) observed.progressed += time - last;
    else if (time < last - 1) observed.progressed += time; // looped
    if (time !== last) {
      if (lastMovedAt !== 0 && !observed.stopped)
        observed.longestStallMs = Math.max(observed.longestStallMs, at - lastMovedAt);
      lastMovedAt = at;
    } else if (lastMovedAt !== 0 && !observed.stopped) {
      observed.longestStallMs = Math.max(observed.longestStallMs, at - lastMovedAt);
    }
    last = time;
    observed.currentTime = time;
    observed.paused = video.paused;
    if (video.seekable.length > 0) {
      observed.seekableStart = video.seekable.start(0);
      observed.seekableEnd = video.seekable.end(video.seekable.length - 1);
    }
  }, 100);
  if (current?.session === session) Object.assign(current, { video, timer });
  else clearInterval(timer);
}

function observe(): Observed | undefined {
  return current === undefined ? undefined : { ...current.observed };
}

async function stop(): Promise<void> {
  const ending = current;
  current = undefined;
  if (ending === undefined) return;
  clearInterval(ending.timer);
  ending.session.stop();
  await ending.destroy();
  ending.video.remove();
  (document.getElementById('players') as HTMLElement).textContent = '';
}

(window as unknown as { matrix: unknown }).matrix = { start, observe, stop, release: () => release?.() };
