/**
 * `npm run rotate-keys` waits out the grants the running `npm start` issued, whatever its own
 * environment says: the stack records its SIGNED_TTL_SECONDS in its folder at start
 * (local/stack-settings.ts), the rotation takes it from there and refuses a SIGNED_TTL_SECONDS
 * that disagrees. Run as the real script (tsx local/rotate-keys.ts) against a real local stack.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type LocalStack, startLocalStack } from '../../local/stack';
import {
  readStackSettings,
  recordStackSettings,
  rotationTtlSeconds,
  STACK_SETTINGS_FILE,
} from '../../local/stack-settings';
import { LogCapture } from '../support/harness';

const REPO = resolve(__dirname, '..', '..');
const STACK_TTL = 6;

function rotateKeys(dir: string, env: Record<string, string> = {}, args: string[] = []): ChildProcess {
  const { SIGNED_TTL_SECONDS: _unset, ...inherited } = process.env;
  return spawn(join(REPO, 'node_modules', '.bin', 'tsx'), ['local/rotate-keys.ts', ...args], {
    cwd: REPO,
    env: { ...inherited, STREAMGATE_LOCAL_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, stdout, stderr })));
}

/** Resolves with the first line of the child's stdout matching `pattern` (rejects if it exits first). */
function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match !== null) done(match);
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`rotate-keys exited with ${code} before ${pattern}:\n${output}`)));
  });
}

describe('against a running npm start that signs grants for 6 s', () => {
  let stack: LocalStack;
  let logs: LogCapture;
  let dir: string;
  beforeAll(async () => {
    logs = new LogCapture();
    dir = mkdtempSync(join(tmpdir(), 'streamgate-rotate-settings-'));
    stack = await startLocalStack({ dir, port: 0, signedTtlSeconds: STACK_TTL, logger: logs.logger });
  });
  afterAll(async () => {
    await stack?.close();
    logs?.stop();
  });

  test('the stack records its grant lifetime in its folder', () => {
    expect(readStackSettings(dir)).toEqual({ signedTtlSeconds: STACK_TTL });
  });

  test('a shorter SIGNED_TTL_SECONDS given to rotate-keys is refused before anything changes', async () => {
    const keyBefore = readFileSync(join(dir, 'signing-key.json'), 'utf8');
    const result = await exited(rotateKeys(dir, { SIGNED_TTL_SECONDS: '2' }, ['--no-wait']));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `rotate-keys failed: SIGNED_TTL_SECONDS: 2 s, but npm start on ${dir} signs grants for ${STACK_TTL} s`,
    );
    expect(existsSync(join(dir, 'signing-key.pending.json'))).toBe(false);
    expect(readFileSync(join(dir, 'signing-key.json'), 'utf8')).toBe(keyBefore);
  });

  test("without it, the old key is kept for the stack's grant lifetime after the switch", async () => {
    const child = rotateKeys(dir);
    try {
      const [, seconds] = await lineMatching(child, /waiting (\d+) s for grants signed with the old key to expire/);
      // Activation + signer refresh (1) + the grant lifetime + clock tolerance (1), from a run a second later at most.
      expect(Number(seconds)).toBeGreaterThanOrEqual(STACK_TTL + 1);
      expect(Number(seconds)).toBeLessThanOrEqual(STACK_TTL + 2);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60000);
});

describe('the recorded settings (local/stack-settings.ts)', () => {
  const NOW = 1_800_000_000;
  const folder = () => mkdtempSync(join(tmpdir(), 'streamgate-settings-'));

  test('no stack ever started there: the variable, else the default 300 s', () => {
    expect(rotationTtlSeconds(folder(), undefined, NOW)).toBe(300);
    expect(rotationTtlSeconds(folder(), '45', NOW)).toBe(45);
  });

  test("the stack's value wins; the same value given is accepted, another refused, a malformed one named", () => {
    const dir = folder();
    recordStackSettings(dir, 600, NOW);
    expect(rotationTtlSeconds(dir, undefined, NOW)).toBe(600);
    expect(rotationTtlSeconds(dir, '600', NOW)).toBe(600);
    expect(() => rotationTtlSeconds(dir, '900', NOW)).toThrow(
      /SIGNED_TTL_SECONDS: 900 s, but npm start on .* for 600 s/,
    );
    expect(() => rotationTtlSeconds(dir, '1.5', NOW)).toThrow(/SIGNED_TTL_SECONDS: must be a whole number/);
  });

  test('a restart with a shorter lifetime keeps the longer one until the previous run’s grants have expired', () => {
    const dir = folder();
    recordStackSettings(dir, 3600, NOW);
    recordStackSettings(dir, 60, NOW + 100); // stopped, restarted with 60 s
    expect(rotationTtlSeconds(dir, undefined, NOW + 100)).toBe(3600);
    expect(rotationTtlSeconds(dir, undefined, NOW + 100 + 3599)).toBe(3600);
    expect(rotationTtlSeconds(dir, undefined, NOW + 100 + 3600)).toBe(60);
    // A second restart inside that hour keeps the same deadline, not a later or earlier one.
    recordStackSettings(dir, 60, NOW + 200);
    expect(rotationTtlSeconds(dir, undefined, NOW + 100 + 3599)).toBe(3600);
    // A longer lifetime replaces the record.
    recordStackSettings(dir, 7200, NOW + 300);
    expect(readStackSettings(dir)).toEqual({ signedTtlSeconds: 7200 });
  });

  test('a file that is not what npm start writes is named, not guessed around', () => {
    const dir = folder();
    writeFileSync(join(dir, STACK_SETTINGS_FILE), '{"signedTtlSeconds": "300"}');
    expect(() => rotationTtlSeconds(dir, undefined, NOW)).toThrow(
      `${join(dir, STACK_SETTINGS_FILE)}: not the settings npm start writes`,
    );
  });
});
