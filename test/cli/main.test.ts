/** `streamgate <command>`: dispatch, and the exit statuses a script relies on. */
import { main } from '../../cli/main';

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {},
  });
  return { code, stdout, stderr };
}

test('no command: the list of commands on stderr, exit 2; help: the same on stdout, exit 0', async () => {
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(
    /^usage: streamgate <command>.*\n\ncommands:\n {2}verify +run the conformance battery.*\n {2}revoke-users +revoke every user listed in a file/s,
  );
  const help = await run(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toBe(none.stderr);
});

test('an unknown command is named, exit 2', async () => {
  const unknown = await run(['deploy']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr.split('\n')[0]).toBe('streamgate: unknown command "deploy"');
});

test('verify: --help prints every flag (exit 0); a bad command line names the flag before any request (exit 2)', async () => {
  const help = await run(['verify', '--help']);
  expect(help.code).toBe(0);
  for (const flag of ['--base', '--viewer-token-cmd', '--token-url', '--client-secret-env', '--wait-expiry', '--json'])
    expect(help.stdout).toContain(flag);
  const bad = await run(['verify', '--video', 'v1', '--other-video', 'v2', '--viewer-token-cmd', 'true']);
  expect(bad).toEqual({
    code: 2,
    stdout: '',
    stderr: 'streamgate verify: --base is required\n(streamgate verify --help for the options)\n',
  });
  const none = await run([
    'verify',
    '--base',
    'http://127.0.0.1:9',
    '--video',
    'a',
    '--other-video',
    'b',
    '--viewer-token-cmd',
    'true',
    '--only',
    'nothing',
  ]);
  expect(none).toMatchObject({ code: 2, stderr: 'streamgate verify: --only/--skip leave no check to run\n' });
});
