/**
 * Step-up and rentals as a person sees them on the local demo page, in real headless Chromium
 * against the local stack (the real API, dynalite, the edge and the dev IdP):
 * - step-up (RFC 9470): demo-1 asks for the dev IdP's second-factor level; alice's plain sign-in
 *   is refused, the page says so and offers to confirm her sign-in; with the dev IdP's code she
 *   gets a new token at that level and the video plays;
 * - rentals: bob rents demo-2 when he signs in, and the deployment rents it for 15 s of play: it
 *   plays, then (on the real clock) the page stops it and says the rental has ended.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { launchChromium } from '../support/browser-fixture';

const SECOND_FACTOR = 'urn:streamgate:loa:2';
const PLAY_FOR_SECONDS = 15;

let stack: LocalStack;
let browser: Browser;
let logs: LogCapture;
beforeAll(async () => {
  logs = new LogCapture();
  stack = await startLocalStack({
    dir: mkdtempSync(join(tmpdir(), 'streamgate-browser-title-rules-')),
    port: 0,
    logger: logs.logger,
    apiEnv: {
      STEP_UP_TITLES: JSON.stringify({ 'demo-1': { acrValues: [SECOND_FACTOR], maxAgeSeconds: 300 } }),
      RENTAL_TITLES: JSON.stringify({ 'demo-2': { startWithinSeconds: 60, playForSeconds: PLAY_FOR_SECONDS } }),
    },
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
  logs?.stop();
});

async function signedIn(name: string): Promise<{ page: Page; playback: Array<{ status: number; reason?: string }> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const playback: Array<{ status: number; reason?: string }> = [];
  page.on('response', async (response) => {
    if (!new URL(response.url()).pathname.startsWith('/api/v1/playback/')) return;
    const body = (await response.json().catch(() => ({}))) as { reason?: string };
    playback.push({ status: response.status(), reason: body.reason });
  });
  await page.goto(stack.url);
  await page.waitForSelector('button.play[data-video="demo-1"]');
  await page.click(`#signin-${name}`);
  await page.waitForFunction((who) => document.querySelector('#signed-in-as')?.textContent === who, name);
  return { page, playback };
}

const playing = (page: Page, timeout = 20000) =>
  page.waitForFunction(() => (document.querySelector('#video') as HTMLVideoElement).currentTime > 0.5, undefined, {
    timeout,
  });

it('step-up: a plain sign-in is refused with the challenge, and plays after the second factor', async () => {
  const { page, playback } = await signedIn('alice');
  await page.click('button.play[data-video="demo-1"]');
  await page.waitForSelector('#notice:not([hidden])');
  expect(await page.textContent('#notice-message')).toBe(
    'This video needs you to confirm your sign-in. Sign in again to watch.',
  );
  expect(await page.textContent('#status')).toBe('Stopped: this video needs a stronger sign-in');
  expect(playback).toEqual([{ status: 401, reason: 'step_up_required' }]);
  expect(await page.getAttribute('#last-api', 'data-error')).toBe('insufficient_user_authentication');
  expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).currentTime)).toBe(0);

  await page.click('#notice-action');
  await page.waitForSelector('#step-up:not([hidden])');
  // A wrong code is a failed sign-in: nothing plays.
  await page.fill('#step-up-code', '000000');
  await page.click('#step-up-confirm');
  await page.waitForFunction(() => document.querySelector('#error')?.textContent?.includes("not the dev IdP's code"));
  expect(playback).toHaveLength(1);

  await page.fill('#step-up-code', '246810');
  await page.click('#step-up-confirm');
  await playing(page);
  expect(playback.at(-1)).toEqual({ status: 200, reason: undefined });
  expect(await page.isHidden('#notice')).toBe(true);
  await page.context().close();
});

it('rentals: a rented title plays, then stops when the rental ends, and the page says why', async () => {
  const { page, playback } = await signedIn('bob');
  const started = Date.now();
  await page.click('button.play[data-video="demo-2"]');
  await playing(page);
  expect(playback[0]).toEqual({ status: 200, reason: undefined });
  // The grant ends with the rental, however long grants are here (5 minutes).
  const expiry = Number(await page.getAttribute('#cookie-expiry', 'data-seconds'));
  expect(expiry).toBeLessThanOrEqual(PLAY_FOR_SECONDS);

  await page.waitForFunction(
    () => document.querySelector('#status')?.textContent === 'Stopped: the rental has ended',
    undefined,
    {
      timeout: (PLAY_FOR_SECONDS + 20) * 1000,
    },
  );
  const stoppedAfter = (Date.now() - started) / 1000;
  expect(stoppedAfter).toBeGreaterThanOrEqual(PLAY_FOR_SECONDS - 2);
  expect(await page.textContent('#notice-message')).toBe(
    'Your rental of this video has ended. Rent it again to watch.',
  );
  expect(playback.at(-1)).toEqual({ status: 403, reason: 'rental_expired' });
  // Every call before the end was admitted; the one after it refused.
  expect(playback.slice(0, -1).every((call) => call.status === 200)).toBe(true);
  await page.context().close();
});
