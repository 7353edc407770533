/**
 * Token sources as real identity providers offer them: an OAuth 2.0 token endpoint on loopback
 * (client-credentials grant, RFC 6749 §4.4) and a shell command told which test user to issue for.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { clientCredentialsSource, commandSource, TokenSourceError } from '../../verify/tokens';

let server: Server;
let tokenUrl: string;
const seen: { authorization?: string; contentType?: string; form: URLSearchParams }[] = [];
let token: string;

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('ES256');
  token = await new SignJWT({ scope: 'stream:play' })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('verify-client')
    .setJti('jti-1')
    .setIssuedAt(1_800_000_000)
    .setExpirationTime(1_800_000_900)
    .sign(privateKey);
  server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    seen.push({ authorization: req.headers.authorization, contentType: req.headers['content-type'], form });
    const basic = req.headers.authorization === `Basic ${Buffer.from('verify%20client:s%3Acret').toString('base64')}`;
    const posted = form.get('client_id') === 'verify client' && form.get('client_secret') === 's:cret';
    if (form.get('grant_type') !== 'client_credentials' || !(basic || posted)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ access_token: token, token_type: 'Bearer' }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
});
afterAll(() => new Promise((done) => server.close(done)));

test('client credentials with HTTP Basic (each part form-encoded) and the scope asked for; the claims are read', async () => {
  const source = clientCredentialsSource({
    tokenUrl,
    clientId: 'verify client',
    clientSecret: 's:cret',
    scope: 'stream:play',
  });
  const issued = await source.token({ sub: 'ignored', videos: [] });
  expect(issued).toEqual({ token, sub: 'verify-client', jti: 'jti-1', iat: 1_800_000_000, exp: 1_800_000_900 });
  const request = seen.at(-1);
  expect(request?.contentType).toBe('application/x-www-form-urlencoded');
  expect(request?.form.get('scope')).toBe('stream:play');
  expect(request?.form.get('client_secret')).toBeNull();
  expect(source).toMatchObject({ mints: true, honoursSub: false });
});

test("client credentials in the body, with an audience; a refusal names the endpoint's status and error", async () => {
  const posted = clientCredentialsSource({
    tokenUrl,
    clientId: 'verify client',
    clientSecret: 's:cret',
    auth: 'post',
    audience: 'https://api',
  });
  expect((await posted.token({ sub: 'x', videos: [] })).sub).toBe('verify-client');
  expect(seen.at(-1)?.authorization).toBeUndefined();
  expect(seen.at(-1)?.form.get('audience')).toBe('https://api');
  const wrong = clientCredentialsSource({ tokenUrl, clientId: 'verify client', clientSecret: 'wrong' });
  await expect(wrong.token({ sub: 'x', videos: [] })).rejects.toThrow(
    'token endpoint answered 401: invalid_client (no access_token)',
  );
});

test("a command is told the test user and videos, and its last line is the token; a failing command's stderr is reported", async () => {
  // The command prints a token built from what it was told: a JWT whose payload is the sub and videos.
  const echo = commandSource(
    `payload=$(printf '{"sub":"%s","jti":"%s"}' "$STREAMGATE_VERIFY_SUB" "$STREAMGATE_VERIFY_VIDEOS" | base64 | tr -d '=\\n' | tr '/+' '_-'); echo noise; echo "eyJhbGciOiJFUzI1NiJ9.$payload.c2ln"`,
    { PATH: process.env.PATH },
  );
  const issued = await echo.token({ sub: 'streamgate-verify-1-play', videos: ['v1', 'v2'] });
  expect(issued).toMatchObject({ sub: 'streamgate-verify-1-play', jti: 'v1,v2' });
  const notAToken = commandSource('echo "Bearer: none"', { PATH: process.env.PATH });
  await expect(notAToken.token({ sub: 'x', videos: [] })).rejects.toThrow(TokenSourceError);
  const failing = commandSource('echo "no such user" >&2; exit 3', { PATH: process.env.PATH });
  await expect(failing.token({ sub: 'x', videos: [] })).rejects.toThrow(/token command failed .*: no such user/);
});
