/**
 * `npm start` as a real child process, stopped and started again on the same local folder: the
 * edge's deny-list lives in memory, so it is rebuilt from the table at start, and a grant revoked
 * before the restart is refused after it (cookies and signed query, manifest and segment), for
 * each key type local mode signs with. Also: a folder switched from one key type to the other by
 * STREAMGATE_KEY_ALGORITHM.
 */
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUDFRONT_KEY_ALGORITHMS, cloudFrontKeyAlgorithmOf } from '../../lambda/core/cloudfront-key-types';
import { issue, logout, play, type Running, start, startFailing, stop } from '../support/npm-start';
import { rawGet } from '../support/raw-http';

const PATHS = ['/media/demo-1/index.m3u8', '/media/demo-1/segment_001.m2ts'];

interface Grant {
  /** The Host the grant was issued for (its policy's Resource): the first run's, after a restart too. */
  host: string;
  token: string;
  cookie: string;
  query: string;
}

async function grant(url: string, sub: string): Promise<Grant> {
  const token = await issue(url, sub);
  const byCookie = await play(url, token);
  const byUrl = await play(url, token, '?delivery=url');
  if (byCookie.status !== 200 || byUrl.status !== 200) throw new Error(`playback: ${byCookie.status}, ${byUrl.status}`);
  const cookie = byCookie.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
  return {
    host: new URL(url).host,
    token,
    cookie,
    query: ((await byUrl.json()) as { signedQuery: string }).signedQuery,
  };
}

/**
 * Status and deny reason of the manifest and a segment, with the cookies then with the query. The
 * stack restarts on another free port: the request names the first one's host, as a viewer whose
 * page still points there would, so the grant's signature and Resource still hold.
 */
async function media(running: Running, who: Grant): Promise<string[]> {
  const port = Number(new URL(running.url).port);
  const host = who.host;
  const answers = await Promise.all(
    PATHS.flatMap((path) => [
      rawGet(port, path, { host, cookie: who.cookie }),
      rawGet(port, `${path}?${who.query}`, { host }),
    ]),
  );
  return answers.map((answer) => `${answer.status} ${answer.headers['x-streamgate-denied'] ?? ''}`.trim());
}

const PLAYS = ['200', '200', '200', '200'];
const REVOKED = ['403 revoked', '403 revoked', '403 revoked', '403 revoked'];

describe.each(CLOUDFRONT_KEY_ALGORITHMS)('signing with %s', (algorithm) => {
  const env = { STREAMGATE_KEY_ALGORITHM: algorithm };

  test('a grant logged out before a restart is still refused after it; a live one still plays', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'streamgate-restart-')), '.local');
    const first = await start(dir, env);
    const active = JSON.parse(readFileSync(join(dir, 'signing-key.json'), 'utf8')) as { privateKey: string };
    expect(cloudFrontKeyAlgorithmOf(createPrivateKey(active.privateKey))).toBe(algorithm);
    const [revoked, live] = [await grant(first.url, 'restart-alice'), await grant(first.url, 'restart-bob')];
    expect(await media(first, revoked)).toEqual(PLAYS);
    expect((await logout(first.url, revoked.token)).status).toBe(204);
    expect(await media(first, revoked)).toEqual(REVOKED);
    expect(await stop(first)).toBe(0);

    const second = await start(dir, env);
    const after = { revoked: await media(second, revoked), live: await media(second, live) };
    expect(await stop(second)).toBe(0);
    expect(after).toEqual({ revoked: REVOKED, live: PLAYS });
  }, 60000);
});

test('a folder started with one key type and then the other switches by a rotation: old grants keep their verdicts', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'streamgate-switch-')), '.local');
  const first = await start(dir, { STREAMGATE_KEY_ALGORITHM: 'RSA_2048' });
  const [revoked, live] = [await grant(first.url, 'switch-carol'), await grant(first.url, 'switch-dan')];
  expect((await logout(first.url, revoked.token)).status).toBe(204);
  expect(await stop(first)).toBe(0);

  const second = await start(dir, { STREAMGATE_KEY_ALGORITHM: 'ECDSA_P256' });
  const fresh = await grant(second.url, 'switch-erin');
  const verdicts = {
    revoked: await media(second, revoked),
    live: await media(second, live),
    fresh: await media(second, fresh),
  };
  expect(await stop(second)).toBe(0);
  expect(verdicts).toEqual({ revoked: REVOKED, live: PLAYS, fresh: PLAYS });
  const active = JSON.parse(readFileSync(join(dir, 'signing-key.json'), 'utf8')) as { privateKey: string };
  expect(cloudFrontKeyAlgorithmOf(createPrivateKey(active.privateKey))).toBe('ECDSA_P256');
  const keyIds = (JSON.parse(readFileSync(join(dir, 'key-group.json'), 'utf8')) as { keys: unknown[] }).keys;
  expect(keyIds).toHaveLength(2); // the RSA key stays trusted until `npm run rotate-keys` retires it
}, 60000);

test('an unknown STREAMGATE_KEY_ALGORITHM stops npm start with one line naming the variable and the choices', async () => {
  const failed = await startFailing(join(mkdtempSync(join(tmpdir(), 'streamgate-badkey-')), '.local'), {
    STREAMGATE_KEY_ALGORITHM: 'ECDSA_P384',
  });
  expect(failed.code).toBe(1);
  expect(failed.stderr.trim()).toBe(
    'streamgate local failed to start: STREAMGATE_KEY_ALGORITHM: must be one of RSA_2048, ECDSA_P256, got "ECDSA_P384"',
  );
});
