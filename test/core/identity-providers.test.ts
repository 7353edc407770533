/**
 * Identity providers as they are (docs/identity-providers.md): each recipe, taken from the doc
 * as written, goes through the deploy config's validation and the stack's environment mapping
 * into the real API (jose, dynalite); tokens of exactly that provider's shape, signed with a
 * local key standing in for its JWKS, are accepted and entitled as the recipe says, and the
 * look-alikes an attacker or a misconfigured client would send are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWTPayload } from 'jose';
import { loadConfig } from '../../lambda/core/config';
import { DERIVED_ID_PREFIX, derivedTokenId } from '../../lambda/core/token-verifier';
import { createApi, type ApiHandlers } from '../../lambda/runtime/runtime';
import { validateConfig } from '../../lib/config';
import { apiEnvironment } from '../../lib/api-environment';
import { ensureStateTable, type LocalDynamo, startDynalite } from '../../local/dynamo-server';
import {
  apiEvent,
  bearer,
  cloudFrontKey,
  KEY_PAIR_ID,
  LogCapture,
  MEDIA_BASE_URL,
  playbackEvent,
  TABLE,
} from '../support/harness';
import {
  AUTH0,
  AUTH0_RFC9068,
  COGNITO,
  cognitoIdToken,
  ENTRA_SHAPE,
  GOOGLE_IDENTITY_PLATFORM,
  GOOGLE_SIGN_IN,
  KEYCLOAK_SHAPE,
  OKTA_SHAPE,
  type ProviderKey,
  providerKey,
  type Recipe,
  SHAPES,
  type Shape,
  sign,
  VIDEOS,
} from '../support/idp-shapes';
import { exampleJson, ROOT } from '../infra/synth';

let dynamo: LocalDynamo;
let logs: LogCapture;
const signingKeyFile = cloudFrontKey('ecdsa-p256').file;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  logs = new LogCapture();
});

afterAll(async () => {
  logs.stop();
  await dynamo.stop();
});

/** The recipe as a deploy config (example.json's other sections), mapped as the stack maps it. */
function deployedEnvironment(recipe: Recipe, key: ProviderKey): Record<string, string> {
  const { drm: _drm, ...json } = exampleJson();
  const config = validateConfig({ ...json, jwt: recipe.jwt, entitlement: recipe.entitlement }, 'recipe');
  const { JWT_JWKS_URL: _jwksUrl, ...environment } = apiEnvironment(config, MEDIA_BASE_URL);
  const decoy = providerKey(`${key.kid}-previous`);
  return {
    ...environment,
    // The provider's JWKS (the current key and a previous one), inline instead of fetched.
    JWT_JWKS: JSON.stringify({ keys: [decoy.jwk, key.jwk] }),
    REVOCATION_TABLE_NAME: TABLE,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SIGNING_KEY_PAIR_ID: KEY_PAIR_ID,
    SIGNING_KEY_FILE: signingKeyFile,
    AWS_REGION: 'us-east-1',
  };
}

interface Stack {
  api: ApiHandlers;
  key: ProviderKey;
  maxLifetime: number;
}

async function stackFor(shape: Shape, kid: string): Promise<Stack> {
  const key = providerKey(kid);
  const env = deployedEnvironment(shape.recipe, key);
  const api = await createApi({ env, logger: logs.logger });
  return { api, key, maxLifetime: loadConfig(env).token.maxLifetimeSeconds };
}

const play = (api: ApiHandlers, token: string, videoId: string = VIDEOS.free) =>
  api.playback(playbackEvent(videoId, { authorization: bearer(token) }));

async function refusal(api: ApiHandlers, token: string, videoId: string = VIDEOS.free) {
  const response = await play(api, token, videoId);
  return { status: response.statusCode, error: JSON.parse(response.body ?? '{}').error_description as string };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A token's header and claims. */
const partsOf = (token: string) =>
  token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));

/** A different user for each test, so one test's revocation or stream slots never meet another's. */
let users = 0;
const freshUser = (): JWTPayload => ({ sub: `user-${process.pid}-${(users += 1)}` });

describe('docs/identity-providers.md', () => {
  const docs = readFileSync(join(ROOT, 'docs', 'identity-providers.md'), 'utf8');

  test.each(SHAPES.map((shape) => [shape.heading, shape] as const))(
    'the %s recipe in the doc is the one tested here',
    (heading, shape) => {
      const start = docs.indexOf(`\n## ${heading}\n`);
      expect(start).toBeGreaterThan(-1);
      const section = docs.slice(start + 1).split(/\n## /)[0];
      const block = /```json\n([\s\S]*?)\n```/.exec(section);
      expect(block).not.toBeNull();
      expect(JSON.parse(block?.[1] ?? 'null')).toEqual(shape.recipe);
    },
  );

  test('README lists the doc', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('(docs/identity-providers.md)');
  });
});

describe.each(SHAPES.map((shape) => [shape.heading, shape] as const))('%s', (heading, shape) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackFor(shape, `${heading.replace(/\W+/g, '-').toLowerCase()}-key-1`);
  });

  test('a token of exactly its shape plays what the recipe entitles, and nothing else', async () => {
    const token = await shape.viewer(stack.key, now(), freshUser());
    for (const videoId of shape.plays)
      expect([videoId, (await play(stack.api, token, videoId)).statusCode]).toEqual([videoId, 200]);
    for (const videoId of shape.refused) {
      const response = await play(stack.api, token, videoId);
      expect([videoId, response.statusCode, response.headers?.['www-authenticate']]).toEqual([
        videoId,
        403,
        expect.stringContaining('error="insufficient_scope"'),
      ]);
    }
  });

  test('a token signed by a key outside its JWKS is refused, even under the trusted kid', async () => {
    const impostor = { ...providerKey(stack.key.kid), kid: stack.key.kid };
    expect(await refusal(stack.api, await shape.viewer(impostor, now(), freshUser()))).toEqual({
      status: 401,
      error: 'token signature is invalid',
    });
  });

  test('alg none, and HS256 keyed with the public key, are refused', async () => {
    const token = await shape.viewer(stack.key, now(), freshUser());
    const [header, claims] = partsOf(token);
    const none = `${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.`;
    expect((await refusal(stack.api, none)).status).toBe(401);
    const { createHmac } = await import('node:crypto');
    const input = `${b64url({ ...header, alg: 'HS256' })}.${b64url(claims)}`;
    const hs256 = `${input}.${createHmac('sha256', JSON.stringify(stack.key.jwk)).update(input).digest('base64url')}`;
    expect(await refusal(stack.api, hs256)).toEqual({
      status: 401,
      error: 'token algorithm is not allowed; expected one of RS256',
    });
  });

  test('a token of another issuer is refused (the issuer is compared exactly)', async () => {
    const iss = String(shape.recipe.jwt.issuer);
    const near = iss.endsWith('/') ? iss.slice(0, -1) : `${iss}/`;
    expect(await refusal(stack.api, await shape.viewer(stack.key, now(), { ...freshUser(), iss: near }))).toEqual({
      status: 401,
      error: 'token issuer is not trusted',
    });
  });

  test('a token for another audience (or, without one, another client) is refused', async () => {
    const other: JWTPayload =
      shape.recipe.jwt.audience === undefined
        ? { client_id: 'another-app-client' }
        : { aud: 'https://another.example.com' };
    const { status, error } = await refusal(
      stack.api,
      await shape.viewer(stack.key, now(), { ...freshUser(), ...other }),
    );
    expect(status).toBe(401);
    expect(error).toMatch(/audience does not match|"client_id" does not match/);
  });

  test("a token living longer than the recipe's maxLifetimeSeconds is refused", async () => {
    const issued = now();
    const token = await shape.viewer(stack.key, issued, { ...freshUser(), exp: issued + stack.maxLifetime + 1 });
    expect(await refusal(stack.api, token)).toEqual({
      status: 401,
      error: `token lifetime exceeds ${stack.maxLifetime} seconds`,
    });
  });

  if (shape.premium !== undefined) {
    const premium = shape.premium;
    test("the plan's stream limit applies: basic plays one session at a time, premium more", async () => {
      const user = freshUser();
      const first = await shape.viewer(stack.key, now(), user);
      const second = await shape.viewer(stack.key, now(), { ...user, extra: 'second device' });
      expect((await play(stack.api, first)).statusCode).toBe(200);
      const refused = await play(stack.api, second);
      expect([refused.statusCode, JSON.parse(refused.body ?? '{}').error]).toEqual([403, 'concurrency_limit']);
      const upgraded = { ...freshUser(), ...premium };
      for (const device of ['phone', 'tv', 'laptop', 'tablet']) {
        const token = await shape.viewer(stack.key, now(), { ...upgraded, extra: device });
        expect([device, (await play(stack.api, token, VIDEOS.series13)).statusCode]).toEqual([device, 200]);
      }
      const fifth = await shape.viewer(stack.key, now(), { ...upgraded, extra: 'fifth' });
      expect((await play(stack.api, fifth, VIDEOS.series13)).statusCode).toBe(403);
    });
  }

  test('logout revokes the token, with or without a jti; a new token of the user plays', async () => {
    const user = freshUser();
    const token = await shape.viewer(stack.key, now(), user);
    expect((await play(stack.api, token)).statusCode).toBe(200);
    const out = await stack.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    expect(out.statusCode).toBe(204);
    expect(await refusal(stack.api, token)).toEqual({ status: 401, error: 'token has been revoked' });
    const next = await shape.viewer(stack.key, now() + 1, user);
    expect((await play(stack.api, next)).statusCode).toBe(200);
  });

  if (shape.admin !== undefined) {
    const admin = shape.admin;
    test("an admin's token of the recipe revokes one token by the id its log lines carry, then the user", async () => {
      // Premium: two sessions at once (basic allows one).
      const user = { ...freshUser(), ...shape.premium };
      const token = await shape.viewer(stack.key, now(), user);
      const sibling = await shape.viewer(stack.key, now(), { ...user, extra: 'another session' });
      logs.lines.length = 0;
      expect((await play(stack.api, token)).statusCode).toBe(200);
      // On-call finds the id in the "playback authorized" line: the jti, or the derived id.
      const logged = logs.records().find((record) => record.message === 'playback authorized');
      const claims = partsOf(token)[1] as JWTPayload;
      expect(logged?.jti).toBe(claims.jti ?? derivedTokenId(token));
      const adminToken = await admin(stack.key, now());
      const revoke = (body: unknown) =>
        stack.api.revocations(
          apiEvent('POST', '/api/v1/revocations', { authorization: bearer(adminToken), body: JSON.stringify(body) }),
        );
      expect((await revoke({ sub: user.sub, jti: logged?.jti })).statusCode).toBe(201);
      expect(await refusal(stack.api, token)).toEqual({ status: 401, error: 'token has been revoked' });
      expect((await play(stack.api, sibling)).statusCode).toBe(200);
      expect((await revoke({ sub: user.sub })).statusCode).toBe(201);
      expect(await refusal(stack.api, sibling)).toEqual({ status: 401, error: 'token has been revoked' });
    });
  }
});

describe('provider look-alikes the recipes refuse', () => {
  test('Auth0 RFC 9068: a token without typ at+jwt (the default profile, or an ID token) is refused', async () => {
    const stack = await stackFor(AUTH0_RFC9068, 'auth0-9068-look-alike');
    const plain = await sign(
      stack.key,
      { typ: 'JWT', kid: stack.key.kid },
      partsOf(await AUTH0_RFC9068.viewer(stack.key, now(), freshUser()))[1],
    );
    expect(await refusal(stack.api, plain)).toEqual({
      status: 401,
      error: 'token header "typ" is not the configured access-token type',
    });
    const issued = now();
    const idToken = await sign(
      stack.key,
      { typ: 'JWT', kid: stack.key.kid },
      {
        iss: 'https://streamgate-test.eu.auth0.com/',
        sub: 'auth0|6650c1f0a2b3c4d5e6f70812',
        aud: 'kD9xN2fQ7rT1vB3mL5pZ8wY4sH6jC0aE',
        iat: issued,
        exp: issued + 36000,
        name: 'Alice',
        nonce: 'n-0S6_WzA2Mj',
      },
    );
    expect((await refusal(stack.api, idToken)).status).toBe(401);
  });

  test('Auth0 default profile: accepted for 24 h only because the recipe says so; the default lifetime cap refuses it', async () => {
    const key = providerKey('auth0-strict');
    const env = { ...deployedEnvironment(AUTH0.recipe, key), JWT_MAX_LIFETIME_SECONDS: '3600' };
    const api = await createApi({ env, logger: logs.logger });
    expect(await refusal(api, await AUTH0.viewer(key, now(), freshUser()))).toEqual({
      status: 401,
      error: 'token lifetime exceeds 3600 seconds',
    });
    const requiring = await createApi({
      env: { ...env, JWT_MAX_LIFETIME_SECONDS: '86400', JWT_REQUIRE_JTI: 'true' },
      logger: logs.logger,
    });
    expect(await refusal(requiring, await AUTH0.viewer(key, now(), freshUser()))).toEqual({
      status: 401,
      error: 'token is missing the "jti" claim',
    });
  });

  test('Cognito: the ID token (token_use id, aud = client id) is refused; so is an access token without token_use', async () => {
    const stack = await stackFor(COGNITO, 'cognito-look-alike');
    expect(await refusal(stack.api, await cognitoIdToken(stack.key, now()))).toEqual({
      status: 401,
      error: 'token "token_use" must be "access" (an access token)',
    });
    expect(
      await refusal(stack.api, await COGNITO.viewer(stack.key, now(), { ...freshUser(), token_use: undefined })),
    ).toEqual({
      status: 401,
      error: 'token is missing the "token_use" claim',
    });
    expect(
      await refusal(stack.api, await COGNITO.viewer(stack.key, now(), { ...freshUser(), client_id: undefined })),
    ).toEqual({
      status: 401,
      error: 'token is missing the "client_id" claim',
    });
  });

  test('Entra ID: a v1 token (sts.windows.net issuer, api:// audience) and a 28 h CAE token are refused', async () => {
    const stack = await stackFor(ENTRA_SHAPE, 'entra-look-alike');
    const v1 = await ENTRA_SHAPE.viewer(stack.key, now(), {
      ...freshUser(),
      iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
      aud: 'api://6e74172b-be56-4843-9ff4-e66a39bb12e3',
      ver: '1.0',
    });
    expect(await refusal(stack.api, v1)).toEqual({ status: 401, error: 'token issuer is not trusted' });
    const issued = now();
    const cae = await ENTRA_SHAPE.viewer(stack.key, issued, {
      ...freshUser(),
      exp: issued + 28 * 3600,
      xms_cc: ['cp1'],
    });
    expect(await refusal(stack.api, cae)).toEqual({ status: 401, error: 'token lifetime exceeds 5400 seconds' });
  });

  test('Keycloak: a token whose aud is only "account" (no Audience mapper for the API) is refused', async () => {
    const stack = await stackFor(KEYCLOAK_SHAPE, 'keycloak-look-alike');
    expect(
      await refusal(stack.api, await KEYCLOAK_SHAPE.viewer(stack.key, now(), { ...freshUser(), aud: 'account' })),
    ).toEqual({
      status: 401,
      error: 'token audience does not match',
    });
  });

  test('Google: the scheme-less issuer "accounts.google.com" and an ID token of another client are refused', async () => {
    const stack = await stackFor(GOOGLE_SIGN_IN, 'google-look-alike');
    expect(
      await refusal(
        stack.api,
        await GOOGLE_SIGN_IN.viewer(stack.key, now(), { ...freshUser(), iss: 'accounts.google.com' }),
      ),
    ).toEqual({
      status: 401,
      error: 'token issuer is not trusted',
    });
    const other = '999999999999-zzz.apps.googleusercontent.com';
    expect(
      await refusal(
        stack.api,
        await GOOGLE_SIGN_IN.viewer(stack.key, now(), { ...freshUser(), aud: other, azp: other }),
      ),
    ).toEqual({
      status: 401,
      error: 'token audience does not match',
    });
    // Identity Platform tokens of another Firebase project carry that project as issuer and audience.
    const firebase = await stackFor(GOOGLE_IDENTITY_PLATFORM, 'firebase-look-alike');
    const elsewhere = await GOOGLE_IDENTITY_PLATFORM.viewer(firebase.key, now(), {
      ...freshUser(),
      iss: 'https://securetoken.google.com/someone-else',
      aud: 'someone-else',
    });
    expect((await refusal(firebase.api, elsewhere)).status).toBe(401);
  });

  test('Okta: a token of the org authorization server (issuer without /oauth2/…) is refused', async () => {
    const stack = await stackFor(OKTA_SHAPE, 'okta-look-alike');
    const org = await OKTA_SHAPE.viewer(stack.key, now(), {
      ...freshUser(),
      iss: 'https://streamgate.okta.com',
      aud: 'https://streamgate.okta.com',
    });
    expect((await refusal(stack.api, org)).status).toBe(401);
  });
});

describe('a token without jti', () => {
  test('gets an id derived from its signed content, the same however its signature is re-encoded, so revoking it holds', async () => {
    const stack = await stackFor(AUTH0, 'auth0-reencoded');
    const user = freshUser();
    const token = await AUTH0.viewer(stack.key, now(), user);
    const id = derivedTokenId(token);
    expect(id.startsWith(DERIVED_ID_PREFIX)).toBe(true);
    // The last base64url character of a 256-byte signature carries 4 unused bits: flipping one
    // gives a different text that decodes to the same signature.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = token.at(-1) ?? '';
    const reencoded = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    expect(reencoded).not.toBe(token);
    expect(derivedTokenId(reencoded)).toBe(id);
    expect((await play(stack.api, reencoded)).statusCode).toBe(200);
    const out = await stack.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    expect(out.statusCode).toBe(204);
    for (const presented of [token, reencoded])
      expect(await refusal(stack.api, presented)).toEqual({ status: 401, error: 'token has been revoked' });
  });

  test('two tokens of one user issued in the same second are two sessions: revoking one leaves the other', async () => {
    const stack = await stackFor(ENTRA_SHAPE, 'entra-two-sessions');
    const user = freshUser();
    const issued = now();
    const first = await ENTRA_SHAPE.viewer(stack.key, issued, { ...user, uti: 'first-uti' });
    const second = await ENTRA_SHAPE.viewer(stack.key, issued, { ...user, uti: 'second-uti' });
    expect(derivedTokenId(first)).not.toBe(derivedTokenId(second));
    await stack.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(first) }));
    expect((await refusal(stack.api, first)).status).toBe(401);
    expect((await play(stack.api, second)).statusCode).toBe(200);
  });
});
