/**
 * `npm start --config <file>` with the edge's access layers on (docs/access-layers.md): the team's
 * file turns on domain restriction and device binding in local mode as it does deployed. Over real
 * HTTP to the local edge running the real viewer-request function: a media request showing a
 * foreign Origin is refused, the team's listed site and the local page itself play, and grants are
 * device-bound (a copy sent with another User-Agent is refused).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLocalConfig } from '../../local/config-file';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { grantCookies } from '../support/local-grants';

const REPO = resolve(__dirname, '..', '..');
const TEAM_SITE = 'https://www.team.example';
const work = mkdtempSync(join(tmpdir(), 'streamgate-config-layers-'));
const SEGMENT = 'media/demo-1/segment_001.m2ts';

let stack: LocalStack;
let logs: LogCapture;
let grants = 0;

beforeAll(async () => {
  // config/example.json as a team copies it, with both layers on; no jwksUrl: the dev IdP signs.
  const config = JSON.parse(readFileSync(join(REPO, 'config', 'example.json'), 'utf8')) as Record<string, never>;
  const file = join(work, 'team.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...config,
      jwt: { ...(config.jwt as object), jwksUrl: '' },
      deployment: 'test',
      domainRestriction: { enabled: true, sites: [TEAM_SITE], missingHeaders: 'allow' },
      deviceBinding: { enabled: true },
    }),
  );
  logs = new LogCapture();
  stack = await startLocalStack({
    dir: join(work, '.local'),
    port: 0,
    config: loadLocalConfig(file),
    logger: logs.logger,
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  logs?.stop();
});

const media = (cookie: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${stack.url}${SEGMENT}`, { headers: { cookie, 'user-agent': 'TeamBrowser/1.0', ...headers } });

test('a foreign Origin on a media request is refused at the edge (403 foreign-site), with a valid grant', async () => {
  const cookie = await grantCookies(stack, 'demo-1');
  const refused = await media(cookie, { origin: 'https://pirate.example.org', 'sec-fetch-site': 'cross-site' });
  expect(refused.status).toBe(403);
  expect(refused.headers.get('x-streamgate-denied')).toBe('foreign-site');
});

test("the file's listed site and the local page's own origin play; so does a request carrying no site (missingHeaders allow)", async () => {
  // The grant is bound to the device that asked for it: the media requests send the same traits.
  const cookie = await grantCookiesAs('TeamBrowser/1.0');
  const cases: Record<string, string>[] = [{ origin: TEAM_SITE }, { origin: new URL(stack.url).origin }, {}];
  for (const headers of cases) {
    const played = await media(cookie, headers);
    expect([played.status, played.headers.get('x-streamgate-denied')]).toEqual([200, null]);
  }
});

test("device binding from the file: the grant's copy sent by another browser is refused (403 device)", async () => {
  const cookie = await grantCookiesAs('TeamBrowser/1.0');
  const copied = await media(cookie, { 'user-agent': 'OtherBrowser/2.0' });
  expect(copied.status).toBe(403);
  expect(copied.headers.get('x-streamgate-denied')).toBe('device');
  expect(stack.deviceKeys).toBeDefined();
});

/** Signed cookies granted to a browser with this User-Agent (the traits the device tag is made over). */
async function grantCookiesAs(userAgent: string): Promise<string> {
  const videoId = 'demo-1';
  const granted = await fetch(`${stack.url}api/v1/playback/${videoId}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await stack.idp.issueToken({ sub: `device-${(grants += 1)}`, videos: [videoId] })}`,
      'user-agent': userAgent,
    },
  });
  expect(granted.status).toBe(200);
  return granted.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}
