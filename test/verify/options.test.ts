/** The command line: a bad value stops before any request, naming the flag. */
import { parseVerifyArgs, UsageError } from '../../verify/options';

const base = ['--base', 'https://video.example.com/', '--video', 'v1', '--other-video', 'v2'];
const command = ['--viewer-token-cmd', 'echo x'];
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseVerifyArgs(argv, env);
const usageError = (argv: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    parse(argv, env);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('no usage error');
};
// A real ES256-shaped compact JWT (claims only matter here).
const jwt = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'svc', jti: 'j', iat: 1, exp: 2 })).toString('base64url')}.c2ln`;

test("defaults are the deploy config's; the base loses its trailing slash", () => {
  const options = parse([...base, ...command]);
  if (options === 'help') throw new Error('help');
  expect(options.base).toBe('https://video.example.com');
  expect([options.rateLimit, options.rateWindowSeconds, options.streamLimit, options.streamLimitPolicy]).toEqual([
    60,
    60,
    3,
    'reject-newest',
  ]);
  expect([options.edgeRevocation, options.edgeDeadlineSeconds, options.waitExpiry, options.maxRequests]).toEqual([
    true,
    30,
    false,
    3000,
  ]);
  expect(options.viewer).toMatchObject({ description: 'command', mints: true, honoursSub: true });
  expect(options.admin).toBeUndefined();
});

test('each bad value is named', () => {
  expect(usageError(command)).toBe('--base is required');
  expect(usageError(['--base', 'ftp://x', '--video', 'a', '--other-video', 'b', ...command])).toContain(
    '--base: must be http(s)',
  );
  expect(usageError([...base.slice(0, 4), '--other-video', 'v1', ...command])).toBe(
    '--other-video: must differ from --video',
  );
  expect(usageError([...base.slice(0, 2), '--video', '../x', '--other-video', 'v2', ...command])).toContain(
    '--video: 1 to 128',
  );
  expect(usageError([...base, ...command, '--rate-limit', '1.5'])).toContain('--rate-limit: a whole number');
  expect(usageError([...base, ...command, '--stream-limit-policy', 'oldest'])).toContain(
    '--stream-limit-policy: one of reject-newest, evict-oldest',
  );
  expect(usageError([...base, ...command, '--edge-revocation', 'no'])).toBe('--edge-revocation: on or off, got "no"');
  expect(usageError([...base, ...command, '--frobnicate'])).toContain("Unknown option '--frobnicate'");
});

test('exactly one viewer token source; client credentials need all three flags and the secret in the environment', () => {
  expect(usageError(base)).toContain('a viewer token source is required');
  expect(usageError([...base, ...command], { STREAMGATE_VIEWER_TOKEN: jwt })).toBe(
    'one viewer token source, not --viewer-token-cmd and $STREAMGATE_VIEWER_TOKEN',
  );
  expect(usageError([...base, '--token-url', 'https://idp/token', '--client-id', 'c'])).toContain(
    'missing --client-secret-env',
  );
  expect(
    usageError([...base, '--token-url', 'https://idp/token', '--client-id', 'c', '--client-secret-env', 'S']),
  ).toBe('--client-secret-env: the environment variable S is not set');
  const client = parse(
    [
      ...base,
      '--token-url',
      'https://idp/token',
      '--client-id',
      'c',
      '--client-secret-env',
      'S',
      '--admin-scope',
      'streamgate:admin',
    ],
    { S: 'secret' },
  );
  if (client === 'help') throw new Error('help');
  expect(client.viewer).toMatchObject({ mints: true, honoursSub: false });
  expect(client.admin?.description).toContain('client credentials (c at idp)');
  const fixed = parse(base, { STREAMGATE_VIEWER_TOKEN: jwt });
  if (fixed === 'help') throw new Error('help');
  expect(fixed.viewer).toMatchObject({ description: '$STREAMGATE_VIEWER_TOKEN', mints: false });
  expect(usageError(base, { STREAMGATE_VIEWER_TOKEN: 'not-a-jwt' })).toContain('$STREAMGATE_VIEWER_TOKEN');
  expect(usageError([...base, ...command, '--admin-scope', 'a'])).toContain('--admin-scope needs client credentials');
});
