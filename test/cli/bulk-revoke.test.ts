/**
 * revoke-users' pacing, resumption and summary (cli/admin/bulk-revoke.ts), on a clock the test
 * drives: calls start no faster than the rate whatever the concurrency, a progress file makes a
 * second run skip what the first did and retry what failed, and a cut-short line is tolerated.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doneIn, readUserList, revokeAll } from '../../cli/admin/bulk-revoke';

/**
 * A clock that moves only to wake sleepers: each sleep is a timer at now + ms, and the earliest
 * timer fires next (time jumps to it), after the woken code has run up to its next wait.
 */
function driven() {
  let now = 1_000_000;
  const timers: { at: number; wake: () => void }[] = [];
  let scheduled = false;
  const tick = () => {
    scheduled = false;
    timers.sort((a, b) => a.at - b.at);
    const next = timers.shift();
    if (next === undefined) return;
    now = Math.max(now, next.at);
    next.wake();
    if (timers.length > 0 && !scheduled) {
      scheduled = true;
      setImmediate(tick);
    }
  };
  const sleep = (ms: number) =>
    new Promise<void>((wake) => {
      timers.push({ at: now + ms, wake });
      if (!scheduled) {
        scheduled = true;
        setImmediate(tick);
      }
    });
  return { now: () => now, sleep };
}

const progressFile = () => join(mkdtempSync(join(tmpdir(), 'streamgate-bulk-')), 'progress');

test('calls start at most `rate` per second, with 4 in flight', async () => {
  const clock = driven();
  const starts: number[] = [];
  const subs = Array.from({ length: 50 }, (_, index) => `u${index}`);
  const summary = await revokeAll({
    subs,
    revoke: async () => void starts.push(clock.now()),
    progressFile: progressFile(),
    ratePerSecond: 10,
    concurrency: 4,
    ...clock,
  });
  expect(summary).toMatchObject({ ok: 50, failed: 0, skipped: 0 });
  const gaps = starts.slice(1).map((at, index) => at - starts[index]);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
  expect(starts[49] - starts[0]).toBeGreaterThanOrEqual(4900);
});

test('a second run skips the users done, retries the failed, and says so', async () => {
  const file = progressFile();
  const failing = new Set(['b', 'd']);
  const first = await revokeAll({
    subs: ['a', 'b', 'c', 'd'],
    revoke: async (sub) => {
      if (failing.has(sub)) throw new Error(`503 for ${sub}`);
    },
    progressFile: file,
    ratePerSecond: 1000,
    concurrency: 1,
    ...driven(),
  });
  expect(first).toMatchObject({ ok: 2, failed: 2, skipped: 0 });
  // An interrupted run leaves a cut-short last line: its user is simply tried again.
  appendFileSync(file, '{"sub":"e","outc');
  const called: string[] = [];
  const second = await revokeAll({
    subs: ['a', 'b', 'c', 'd', 'e'],
    revoke: async (sub) => void called.push(sub),
    progressFile: file,
    ratePerSecond: 1000,
    concurrency: 2,
    ...driven(),
  });
  expect(second).toMatchObject({ ok: 3, failed: 0, skipped: 2 });
  expect(called.sort()).toEqual(['b', 'd', 'e']);
  expect([...doneIn(file)].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(readFileSync(file, 'utf8')).toContain('"outcome":"failed","error":"503 for b"');
});

test('a user list ignores blank lines and comments and drops repeats', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'streamgate-bulk-')), 'users.txt');
  writeFileSync(file, '# incident 42\nalice\r\n\n  bob  \nalice\nauth0|123\n');
  expect(readUserList(file)).toEqual({ subs: ['alice', 'bob', 'auth0|123'], duplicates: 1 });
});
