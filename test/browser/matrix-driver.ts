/**
 * What the two player-matrix suites (client-matrix: VOD and DRM; live-matrix: the live channel)
 * share: the players and their scripts, one blank page per player on the stack's origin with the
 * matrix harness (client-matrix-page.ts) loaded, and the calls that start, observe and wait on it.
 */
import { resolve } from 'node:path';
import { buildSync } from 'esbuild';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import type { Observed, PlayerName, Run } from './client-matrix-page';

export const PLAYERS: PlayerName[] = ['hls.js', 'shaka', 'video.js'];
export const DELIVERIES = ['cookie', 'url'] as const;

const SCRIPTS: Record<PlayerName, string> = {
  'hls.js': require.resolve('hls.js/dist/hls.min.js'),
  shaka: require.resolve('shaka-player/dist/shaka-player.compiled.js'),
  'video.js': require.resolve('video.js/dist/video.min.js'),
};

export const MATRIX_PAGE = { contentType: 'text/html', body: '<!doctype html><div id="players"></div>' };

export interface MediaResponse {
  path: string;
  status: number;
  signed: boolean;
  at: number;
  /** A playlist's #EXT-X-MEDIA-SEQUENCE (live). */
  mediaSequence?: number;
  /** For a refusal: what tells an expired grant from a revoked one. */
  detail?: string;
}

export interface PlayerPage {
  context: BrowserContext;
  page: Page;
  media: MediaResponse[];
}

/** A media response as the suites record it. */
export function mediaResponse(response: Response): MediaResponse {
  const url = new URL(response.url());
  return { path: url.pathname, status: response.status(), signed: url.searchParams.has('Signature'), at: Date.now() };
}

/**
 * One page per player at `${apiBase}/matrix.html`, with its player's script and the harness;
 * `onResponse` sees every response with that page's media list (what to record is the suite's).
 */
export async function openPlayerPages(
  browser: Browser,
  apiBase: string,
  onResponse: (response: Response, media: MediaResponse[]) => void | Promise<void>,
): Promise<Map<PlayerName, PlayerPage>> {
  const harness = buildSync({
    entryPoints: [resolve(__dirname, 'client-matrix-page.ts')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    write: false,
  }).outputFiles[0].text;
  const pages = new Map<PlayerName, PlayerPage>();
  for (const player of PLAYERS) {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A blank page of the test's own on the stack's origin (the API's and the media's).
    await page.route(`${apiBase}/matrix.html`, (route) => route.fulfill(MATRIX_PAGE));
    const media: MediaResponse[] = [];
    page.on('response', (response) => onResponse(response, media));
    await page.goto(`${apiBase}/matrix.html`);
    await page.addScriptTag({ path: SCRIPTS[player] });
    await page.addScriptTag({ content: harness });
    pages.set(player, { context, page, media });
  }
  return pages;
}

/** Stops what the page played, forgets its cookies and media, and starts `run` with `player`. */
export async function startRun(
  target: PlayerPage,
  player: PlayerName,
  run: Omit<Run, 'player'>,
  beforeStart?: () => Promise<void>,
): Promise<PlayerPage> {
  await target.page.evaluate(() => (window as unknown as { matrix: { stop(): Promise<void> } }).matrix.stop());
  await beforeStart?.();
  await target.context.clearCookies();
  target.media.length = 0;
  await target.page.evaluate(
    (value) => (window as unknown as { matrix: { start(run: Run): Promise<void> } }).matrix.start(value),
    { ...run, player },
  );
  return target;
}

export const observe = (target: PlayerPage): Promise<Observed> =>
  target.page.evaluate(() => (window as unknown as { matrix: { observe(): Observed } }).matrix.observe());

/** Polls the page until `done`, or throws after `timeoutMs` with the last observation and `diagnosis()`. */
export async function until(
  target: PlayerPage,
  done: (observed: Observed) => boolean,
  timeoutMs: number,
  diagnosis: () => string = () => '',
): Promise<Observed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const observed = await observe(target);
    if (done(observed)) return observed;
    if (Date.now() > deadline) throw new Error(`timed out; last observed: ${JSON.stringify(observed)}${diagnosis()}`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

/** A user id per player, delivery and case, so no two cases share a user's limits. */
export const sub = (...parts: string[]) => parts.join('-').replace(/[^a-z0-9-]/gi, '');
