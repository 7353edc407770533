/**
 * Runs in a page of an app on another origin than the API (bundled by cross-origin.test.ts with
 * esbuild): one hls.js player wired by streamgate-client to the API at `apiBase`, the token from
 * the test (`window.appToken`, standing in for the app's own backend), and what the test checks
 * recorded as it happens.
 */
import {
  attachHlsJs,
  createPlaybackSession,
  type Delivery,
  hlsJsConfig,
  type StreamgateDenial,
} from '../../client/src';

interface Globals {
  Hls: new (config: object) => Parameters<typeof attachHlsJs>[0] & { destroy(): void };
  appToken: () => Promise<string>;
}
const g = window as unknown as Globals;

export interface CrossOriginRun {
  apiBase: string;
  videoId: string;
  delivery: Delivery;
  /** Load hls.js too (else only the session: its first grant or denial). */
  play: boolean;
}

export interface CrossOriginObserved {
  startedAt: number;
  grants: number;
  retries: number;
  currentTime: number;
  denial: StreamgateDenial | undefined;
  stoppedAt: number | undefined;
}

const observed: CrossOriginObserved = {
  startedAt: 0,
  grants: 0,
  retries: 0,
  currentTime: 0,
  denial: undefined,
  stoppedAt: undefined,
};

async function start(run: CrossOriginRun): Promise<void> {
  observed.startedAt = Date.now();
  const session = createPlaybackSession({
    apiBase: run.apiBase,
    videoId: run.videoId,
    delivery: run.delivery,
    getToken: () => g.appToken(),
  });
  session.on('grant', () => (observed.grants += 1));
  session.on('retry', () => (observed.retries += 1));
  session.on('stop', (denial) => {
    observed.denial = denial;
    observed.stoppedAt = Date.now();
  });
  if (!run.play) return;
  const video = document.body.appendChild(Object.assign(document.createElement('video'), { muted: true }));
  const hls = new g.Hls({ ...hlsJsConfig(session), backBufferLength: 0 });
  try {
    await attachHlsJs(hls, session, video);
  } catch {
    return; // the session stopped: `denial` says why
  }
  void video.play().catch(() => undefined);
  setInterval(() => (observed.currentTime = video.currentTime), 100);
}

(window as unknown as { app: object }).app = { start, observe: () => ({ ...observed }) };
