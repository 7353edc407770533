/**
 * A video keeps playing in real Chromium through a CloudFront signing-key rotation run by the
 * same code as `npm run rotate-keys` against the running local stack: the edge trusts both keys
 * during the overlap, the API switches to the new key, the player's cookie refreshes pick it up,
 * and no media request is refused. Once the old key is retired, cookies signed with it are 403,
 * so the rotation really happened.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import type { RotationStep } from '../../lambda/core/signing-key-rotation';
import { ACTIVE_KEY_FILE, KEY_GROUP_FILE } from '../../local/cloudfront-keys';
import { rotateLocalKeys } from '../../local/rotate-keys';
import { openPlayerPage, playUntil, signIn, useLocalStackInChromium } from '../support/browser-fixture';

const SIGNED_TTL_SECONDS = 6;

const suite = useLocalStackInChromium({ signedTtlSeconds: SIGNED_TTL_SECONDS });

const activeKeyId = () =>
  (JSON.parse(readFileSync(join(suite.dir, ACTIVE_KEY_FILE), 'utf8')) as { keyPairId: string }).keyPairId;
const activeKey = () =>
  JSON.parse(readFileSync(join(suite.dir, ACTIVE_KEY_FILE), 'utf8')) as { keyPairId: string; privateKey: string };

/** A segment fetched with cookies freshly signed by `key` (valid for a minute): 200 or 403. */
async function statusWithFreshGrant(key: { keyPairId: string; privateKey: string }): Promise<number> {
  const origin = suite.stack.url.replace(/\/$/, '');
  const policy = JSON.stringify({
    Statement: [
      {
        Resource: `${origin}/media/demo-1/*`,
        Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 60 } },
      },
    ],
  });
  const cookies = getSignedCookies({ policy, keyPairId: key.keyPairId, privateKey: key.privateKey });
  const header = Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
  const response = await fetch(`${origin}/media/demo-1/segment_000.m2ts`, { headers: { cookie: header } });
  await response.arrayBuffer();
  return response.status;
}

const trustedKeyIds = () =>
  (JSON.parse(readFileSync(join(suite.dir, KEY_GROUP_FILE), 'utf8')) as { keys: { id: string }[] }).keys.map(
    (key) => key.id,
  );

test('playback goes on through a signing-key rotation with no 403, and the old key is retired after', async () => {
  const media: { url: string; status: number; at: number }[] = [];
  const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
    beforeLoad: (page) =>
      page.on('response', (response) => {
        const url = new URL(response.url()).pathname;
        if (url.startsWith('/media/')) media.push({ url, status: response.status(), at: Date.now() });
      }),
  });
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 0.5);
  // The sample is 6 s long: loop it, and fetch a segment every half second with the page's
  // cookies, so media requests go on for the whole rotation.
  await page.evaluate(() => {
    (document.querySelector('#video') as HTMLVideoElement).loop = true;
    let n = 0;
    setInterval(() => {
      fetch(`/media/demo-1/segment_00${n++ % 3}.m2ts`, { cache: 'no-store' });
    }, 500);
  });
  const oldKey = activeKeyId();
  const oldKeyDocument = activeKey();
  expect(await statusWithFreshGrant(oldKeyDocument)).toBe(200);
  const oldCookies = await context.cookies();
  expect(oldCookies.find((c) => c.name === 'CloudFront-Key-Pair-Id')?.value).toBe(oldKey);

  const steps: RotationStep[] = [];
  const started = Date.now();
  const run = await rotateLocalKeys({
    dir: suite.dir,
    signedTtlSeconds: SIGNED_TTL_SECONDS,
    force: true,
    wait: true,
    onStep: (s) => steps.push(s),
  });
  const kinds = steps.map((step) => step.kind);
  expect(kinds).toEqual(
    expect.arrayContaining(['generate', 'publish', 'trust', 'activate', 'untrust', 'delete-public-key']),
  );
  expect(kinds.indexOf('activate')).toBeLessThan(kinds.indexOf('untrust'));
  const newKey = run.activeKeyPairId;
  expect(newKey).toBeDefined();
  expect(newKey).not.toBe(oldKey);
  expect(trustedKeyIds()).toEqual([newKey]);

  // Two more seconds of playback on the new key alone.
  await page.waitForTimeout(2000);
  const during = media.filter((entry) => entry.at >= started);
  expect(during.length).toBeGreaterThan(20);
  expect(during.filter((entry) => entry.status !== 200)).toEqual([]);
  expect((await context.cookies()).find((c) => c.name === 'CloudFront-Key-Pair-Id')?.value).toBe(newKey);
  expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).error)).toBeNull();

  // A grant freshly signed with the retired key is refused; one signed with the new key is not.
  expect(await statusWithFreshGrant(oldKeyDocument)).toBe(403);
  expect(await statusWithFreshGrant(activeKey())).toBe(200);
  await context.close();
}, 90000);
