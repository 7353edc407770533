/**
 * Chromium plays the locally encrypted demo-3 through EME ClearKey with hls.js: the content from
 * the real local stack's edge (signed cookies for /drm/demo-3/*), the licence from the real
 * ClearKey licence server over loopback HTTP (the page's licence request is relayed to it
 * unchanged). Without a licence, or with another video's licence path, no frame is decoded.
 * This proves the content and the licence server; the proxied path with a viewer's token is the
 * player's own browser test.
 */
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { KEY_GROUP_FILE, PRIVATE_KEY_FILE } from '../../local/cloudfront-keys';
import {
  ClearKeyLicenceServer,
  type RunningClearKeyServer,
  startClearKeyServer,
} from '../../local/drm/clearkey-server';
import { randomContentKey } from '../../local/drm/drm-keys';
import { useLocalStackInChromium } from '../support/browser-fixture';

const suite = useLocalStackInChromium();
let licences: RunningClearKeyServer;
beforeAll(async () => {
  licences = await startClearKeyServer(suite.stack.drm.licenceServer);
});
afterAll(async () => {
  await licences?.close();
});

/**
 * The hls.js configuration that plays CENC ClearKey content (hls.js 1.7); in the page,
 * `licenseXhrSetup` adds the viewer's bearer token to the licence request (it must open the
 * request itself: hls.js calls it before `open`, and a header cannot be set before that).
 */
const HLS_CONFIG = (licenseUrl: string) => ({
  emeEnabled: true,
  drmSystems: { 'org.w3.clearkey': { licenseUrl } },
});
const VIEWER_TOKEN = 'viewer-token-for-the-proxy';

interface Outcome {
  currentTime: number;
  frames: number;
  errors: string[];
  licenceRequests: { path: string; body: string; status: number; authorization?: string }[];
}

async function playDemo3(licencePath: string, server: RunningClearKeyServer = licences): Promise<Outcome> {
  const origin = `http://localhost:${suite.stack.port}`;
  const context = await suite.browser.newContext();
  const keyPairId = (JSON.parse(readFileSync(join(suite.dir, KEY_GROUP_FILE), 'utf8')) as { keys: { id: string }[] })
    .keys[0].id;
  const policy = JSON.stringify({
    Statement: [
      {
        Resource: `${origin}/drm/demo-3/*`,
        Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 300 } },
      },
    ],
  });
  const signed = getSignedCookies({
    policy,
    keyPairId,
    privateKey: readFileSync(join(suite.dir, PRIVATE_KEY_FILE), 'utf8'),
  });
  await context.addCookies(
    Object.entries(signed).map(([name, value]) => ({ name, value, domain: 'localhost', path: '/drm/demo-3/' })),
  );
  const page: Page = await context.newPage();
  const licenceRequests: Outcome['licenceRequests'] = [];
  // Relay the page's licence request to the real licence server, as the proxy would after its checks.
  await page.route(`${origin}/licence/**`, async (route) => {
    const body = route.request().postData() ?? '';
    const path = new URL(route.request().url()).pathname.replace('/licence', '');
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body });
    const text = await response.text();
    licenceRequests.push({
      path,
      body,
      status: response.status,
      authorization: route.request().headers().authorization,
    });
    await route.fulfill({ status: response.status, contentType: 'application/json', body: text });
  });
  await page.route(`${origin}/drm-check.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><video id="video" muted></video><script src="/vendor/hls.min.js"></script>',
    }),
  );
  await page.goto(`${origin}/drm-check.html`);
  await page.evaluate(
    ({ config, token }) => {
      const state = { errors: [] as string[] };
      (window as unknown as { drm: typeof state }).drm = state;
      const video = document.getElementById('video') as HTMLVideoElement;
      const Hls = (window as unknown as { Hls: any }).Hls;
      const hls = new Hls({
        ...config,
        licenseXhrSetup: (xhr: XMLHttpRequest, url: string) => {
          xhr.open('POST', url, true);
          xhr.setRequestHeader('authorization', `Bearer ${token}`);
        },
      });
      hls.on(Hls.Events.ERROR, (_event: unknown, data: { details: string; fatal: boolean }) => {
        state.errors.push(`${data.details}${data.fatal ? ' (fatal)' : ''}`);
      });
      video.addEventListener('error', () => state.errors.push(`media error ${video.error?.code}`));
      hls.loadSource('/drm/demo-3/index.m3u8');
      hls.attachMedia(video);
      video.play().catch(() => undefined);
    },
    { config: HLS_CONFIG(`${origin}/licence${licencePath}`), token: VIEWER_TOKEN },
  );
  await page
    .waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 2, undefined, {
      timeout: 8000,
    })
    .catch(() => undefined);
  const result = await page.evaluate(() => {
    const video = document.getElementById('video') as HTMLVideoElement;
    return {
      currentTime: video.currentTime,
      frames: video.getVideoPlaybackQuality().totalVideoFrames,
      errors: (window as unknown as { drm: { errors: string[] } }).drm.errors,
    };
  });
  await context.close();
  return { ...result, licenceRequests };
}

test('Chromium plays the CENC demo-3 with the ClearKey licence for demo-3', async () => {
  const outcome = await playDemo3('/clearkey/demo-3');
  expect(outcome.currentTime).toBeGreaterThan(2);
  expect(outcome.frames).toBeGreaterThan(24);
  const kid = suite.stack.drm.keys.keysOf('demo-3')?.[0].kid.toString('base64url');
  expect(outcome.licenceRequests).toEqual([
    {
      path: '/clearkey/demo-3',
      body: expect.stringContaining(`"kids":["${kid}"]`),
      status: 200,
      authorization: `Bearer ${VIEWER_TOKEN}`,
    },
  ]);
});

test('without a licence (another video’s licence path refuses the key id) nothing plays', async () => {
  const outcome = await playDemo3('/clearkey/demo-1');
  expect(outcome.licenceRequests.map((request) => request.status)).toContain(404);
  // hls.js may move the playhead to where the first (composition-delayed) frame starts, ~0.2 s;
  // it goes no further, and not one frame is decoded.
  expect(outcome.currentTime).toBeLessThan(0.5);
  expect(outcome.frames).toBe(0);
  expect(outcome.errors).toContain('keySystemLicenseRequestFailed (fatal)');
});

test('with a licence carrying another key for the same key id, Chromium fails to decode', async () => {
  const kid = suite.stack.drm.keys.keysOf('demo-3')?.[0].kid as Buffer;
  const wrong = await startClearKeyServer(new ClearKeyLicenceServer(() => [{ kid, key: randomContentKey().key }]));
  try {
    const outcome = await playDemo3('/clearkey/demo-3', wrong);
    expect(outcome.licenceRequests.map((request) => request.status)).toEqual([200]);
    expect(outcome.currentTime).toBeLessThan(0.5);
    expect(outcome.errors.join(' ')).toMatch(
      /media error 3|bufferAppendError|mediaSourceRequiresReset|fragParsingError|decode/i,
    );
  } finally {
    await wrong.close();
  }
});
