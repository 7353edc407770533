/**
 * Local mode with a team's own deploy config file: the real local stack trusts the IdP the file
 * names through its JWKS URL (a real HTTP fetch from a key server on loopback), reads the file's
 * claim names and plans, serves the file's content folder, and refuses the dev IdP's tokens. A
 * bad file stops `npm start` with the error `cdk synth` gives for it, naming the field.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ConfigValidationError, loadConfigFile } from '../../lib/config';
import { loadLocalConfig } from '../../local/config-file';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { cookieHeaderOf, play } from '../support/local-grants';
import { startFailing } from '../support/npm-start';

const REPO = resolve(__dirname, '..', '..');
const ISSUER = 'https://login.team.example/';
const AUDIENCE = 'team-video-api';
const VIDEOS_CLAIM = 'https://team.example/videos';
const PLAN_CLAIM = 'https://team.example/plan';
const work = mkdtempSync(join(tmpdir(), 'streamgate-config-file-'));

/** config/example.json, as a team would copy it, with `changes` merged one section deep. */
function teamConfigFile(name: string, changes: Record<string, unknown>): string {
  const config = JSON.parse(readFileSync(join(REPO, 'config', 'example.json'), 'utf8')) as Record<string, unknown>;
  for (const [section, value] of Object.entries(changes))
    config[section] =
      typeof value === 'object' && value !== null ? { ...(config[section] as object | undefined), ...value } : value;
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let jwksServer: Server;
let jwksRequests = 0;
let stack: LocalStack;
let logs: LogCapture;

beforeAll(async () => {
  // The team's IdP: a key made here, its public half served as a JWKS over loopback HTTP.
  keys = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(keys.publicKey)), kid: 'team-key-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    jwksRequests += 1;
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((done) => jwksServer.listen(0, '127.0.0.1', done));
  const jwksPort = (jwksServer.address() as AddressInfo).port;

  // The team's content folder: one clear HLS video under the team's own id.
  mkdirSync(join(work, 'content'));
  cpSync(join(REPO, 'local', 'content', 'media', 'demo-1'), join(work, 'content', 'team-trailer'), { recursive: true });

  const file = teamConfigFile('team.json', {
    jwt: {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `http://127.0.0.1:${jwksPort}/jwks.json`,
      algorithms: ['RS256'],
    },
    entitlement: {
      videosClaim: VIDEOS_CLAIM,
      planClaim: PLAN_CLAIM,
      plans: { gold: { videos: ['team-*'] } },
    },
    local: { contentDir: 'content' },
    // A deployment nobody outside the team uses: no custom domain, and a loopback key set allowed.
    deployment: 'test',
  });
  logs = new LogCapture();
  stack = await startLocalStack({
    dir: join(work, '.local'),
    port: 0,
    config: loadLocalConfig(file),
    logger: logs.logger,
  });
}, 60000);

afterAll(async () => {
  await stack?.close();
  logs?.stop();
  await new Promise((done) => jwksServer.close(done));
});

/** A token as the team's IdP signs it: its issuer, audience and claim names. */
function teamToken(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ scope: 'stream:play', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'team-key-1', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('alice')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(keys.privateKey);
}

test("a token from the file's IdP, verified against its JWKS URL, plays the team's video from the team's folder", async () => {
  const granted = await play(stack, await teamToken({ [VIDEOS_CLAIM]: ['team-trailer'] }), 'team-trailer');
  expect(granted.status).toBe(200);
  // The key came over HTTP from the URL in the file (nothing else knows this key).
  expect(jwksRequests).toBeGreaterThan(0);
  const manifest = await fetch(`${stack.url}media/team-trailer/index.m3u8`, {
    headers: { cookie: cookieHeaderOf(granted) },
  });
  expect(manifest.status).toBe(200);
  expect(await manifest.text()).toBe(readFileSync(join(work, 'content', 'team-trailer', 'index.m3u8'), 'utf8'));
  // The player page lists the folder's videos, not the demo's.
  const catalog = (await (await fetch(`${stack.url}local/catalog.json`)).json()) as { id: string }[];
  expect(catalog.map((entry) => entry.id)).toEqual(['team-trailer']);
});

test("the file's claim names decide: the default `videos` claim entitles nothing, the file's plan claim does", async () => {
  const defaultName = await play(stack, await teamToken({ videos: ['team-trailer'] }), 'team-trailer');
  expect(defaultName.status).toBe(403);
  const byPlan = await play(stack, await teamToken({ [PLAN_CLAIM]: 'gold' }), 'team-trailer');
  expect(byPlan.status).toBe(200);
});

test("the dev IdP's token is refused once the file names the team's IdP", async () => {
  const devToken = await stack.idp.issueToken({ sub: 'alice', videos: ['team-trailer'] });
  const refused = await play(stack, devToken, 'team-trailer');
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
});

test('a token signed by another key, with the same kid, is refused', async () => {
  const other = await generateKeyPair('RS256');
  const forged = await new SignJWT({ scope: 'stream:play', [VIDEOS_CLAIM]: ['team-trailer'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'team-key-1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('mallory')
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(other.privateKey);
  expect((await play(stack, forged, 'team-trailer')).status).toBe(401);
});

describe('a bad file', () => {
  const bad = () =>
    teamConfigFile('bad.json', {
      jwt: { clockToleranceSeconds: 301, jwksUrl: 'http://idp.team.example/jwks.json' },
      entitlement: { videosClaim: 'team videos' },
    });

  test('fails with the same error as the deploy loader (cdk synth), naming each field', () => {
    const file = bad();
    const synthError = (() => {
      try {
        loadConfigFile(file);
      } catch (error) {
        return error;
      }
    })();
    expect(synthError).toBeInstanceOf(ConfigValidationError);
    expect(() => loadLocalConfig(file)).toThrow((synthError as Error).message);
    expect((synthError as ConfigValidationError).issues.map((issue) => issue.field)).toEqual(
      expect.arrayContaining(['jwt.clockToleranceSeconds', 'jwt.jwksUrl', 'entitlement.videosClaim']),
    );
  });

  test('stops npm start before anything listens, printing those fields', async () => {
    const file = bad();
    const result = await startFailing(join(work, 'failing-local'), { STREAMGATE_CONFIG: file });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`invalid streamgate config (${file})`);
    expect(result.stderr).toContain('  - jwt.clockToleranceSeconds: must be between 0 and 300, got 301');
    expect(result.stderr).toContain('  - entitlement.videosClaim: must be a claim name such as scope');
  }, 30000);

  test('a content folder that does not exist is named as the field', () => {
    const file = teamConfigFile('no-folder.json', {
      local: { contentDir: 'missing-folder' },
      deployment: 'test',
    });
    expect(() => loadLocalConfig(file)).toThrow(/local\.contentDir: is not a folder/);
  });
});
