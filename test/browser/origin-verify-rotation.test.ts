/**
 * A video keeps playing in real Chromium through an origin-verify rotation run by the same code
 * as `npm run rotate-origin-secret` against the running local stack (edge adds the header, a
 * local authorizer and the API check it): the player's API calls (cookie refreshes) are never
 * refused. A wrong value is refused, so the check is live.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORIGIN_HEADER_FILE, ORIGIN_SECRET_FILE, rotateLocalOriginSecret } from '../../local/origin-secret';
import { openPlayerPage, playUntil, signIn, useLocalStackInChromium } from '../support/browser-fixture';

const SIGNED_TTL_SECONDS = 6;

const suite = useLocalStackInChromium({ signedTtlSeconds: SIGNED_TTL_SECONDS, originVerify: true });

const stages = () =>
  (
    JSON.parse(readFileSync(join(suite.dir, ORIGIN_SECRET_FILE), 'utf8')) as {
      versions: { value: string; stages: string[] }[];
    }
  ).versions;
const valueAt = (stage: string) => stages().find((version) => version.stages.includes(stage))?.value;
const edgeSends = () =>
  (JSON.parse(readFileSync(join(suite.dir, ORIGIN_HEADER_FILE), 'utf8')) as { value: string }).value;

test('the player keeps refreshing and playing through an origin-verify rotation: no API call refused', async () => {
  const seen: { url: string; status: number; at: number }[] = [];
  const { context, page } = await openPlayerPage(suite.browser, suite.stack.url, {
    beforeLoad: (page) =>
      page.on('response', (response) => {
        seen.push({ url: new URL(response.url()).pathname, status: response.status(), at: Date.now() });
      }),
  });
  await signIn(page, 'alice');
  await playUntil(page, 'demo-1', 0.5);
  await page.evaluate(() => {
    (document.querySelector('#video') as HTMLVideoElement).loop = true;
  });

  const before = valueAt('AWSCURRENT');
  expect(edgeSends()).toBe(before);
  const started = Date.now();
  await rotateLocalOriginSecret(suite.dir);
  // Two more cookie refreshes after the switch.
  await page.waitForTimeout(SIGNED_TTL_SECONDS * 1000 * 1.7);

  const after = valueAt('AWSCURRENT');
  expect(after).not.toBe(before);
  expect(valueAt('AWSPREVIOUS')).toBe(before);
  expect(edgeSends()).toBe(after);
  const during = seen.filter((entry) => entry.at >= started);
  const refreshes = during.filter((entry) => entry.url === '/api/v1/playback/demo-1');
  expect(refreshes.length).toBeGreaterThanOrEqual(3);
  expect(during.filter((entry) => entry.status !== 200)).toEqual([]);
  expect(await page.evaluate(() => (document.querySelector('#video') as HTMLVideoElement).error)).toBeNull();

  // The check is live: an edge sending a value the secret does not hold is refused.
  writeFileSync(join(suite.dir, ORIGIN_HEADER_FILE), JSON.stringify({ value: randomBytes(24).toString('hex') }));
  await page.waitForTimeout(1500);
  const refused = await page.evaluate(() =>
    fetch('/api/v1/playback/demo-1', { method: 'POST', headers: { authorization: 'Bearer x' } }).then((r) => r.status),
  );
  expect(refused).toBe(403);
  await context.close();
}, 90000);
