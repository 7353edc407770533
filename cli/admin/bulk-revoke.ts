/**
 * `streamgate revoke-users --file users.txt`: every user in a file revoked (a cut-off each),
 * paced to a rate the API's limits allow, resumable: each outcome is appended to a progress file
 * as it happens, and a later run skips the users it records as done (a failure is tried again).
 * Ends with a summary of what was done, failed and skipped.
 */
import { appendFileSync, readFileSync } from 'node:fs';

export interface BulkOptions {
  subs: readonly string[];
  revoke: (sub: string) => Promise<unknown>;
  /** JSON lines, one per outcome: `{"sub", "outcome": "ok" | "failed", "error"?}`. */
  progressFile: string;
  /** Calls started per second at most. */
  ratePerSecond: number;
  /** Calls in flight at most. */
  concurrency: number;
  onFailure?: (sub: string, message: string) => void;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BulkSummary {
  ok: number;
  failed: number;
  /** Done in an earlier run (the progress file says so). */
  skipped: number;
  /** Lines naming a user already named above in the file. */
  duplicates: number;
  elapsedMs: number;
}

/** The users of a list file: one `sub` per line; blank lines and `#` comments ignored; repeats dropped. */
export function readUserList(path: string): { subs: string[]; duplicates: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const sub = line.trim();
    if (sub === '' || sub.startsWith('#')) continue;
    if (seen.has(sub)) duplicates += 1;
    else seen.add(sub);
  }
  return { subs: [...seen], duplicates };
}

/** The users a progress file records as revoked. */
export function doneIn(progressFile: string): Set<string> {
  const done = new Set<string>();
  let text: string;
  try {
    text = readFileSync(progressFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return done;
    throw error;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const entry = JSON.parse(line) as { sub?: unknown; outcome?: unknown };
      if (typeof entry.sub === 'string' && entry.outcome === 'ok') done.add(entry.sub);
    } catch {
      // A line cut short by an interrupted run: its user is simply tried again.
    }
  }
  return done;
}

function endsLine(path: string): boolean {
  try {
    const text = readFileSync(path, 'utf8');
    return text === '' || text.endsWith('\n');
  } catch {
    return true; // no file yet
  }
}

export async function revokeAll(options: BulkOptions): Promise<Omit<BulkSummary, 'duplicates'>> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const started = now();
  const done = doneIn(options.progressFile);
  // A run cut short mid-line leaves no newline: start ours on a fresh line, or the first would be lost.
  if (!endsLine(options.progressFile)) appendFileSync(options.progressFile, '\n');
  const todo = options.subs.filter((sub) => !done.has(sub));
  const summary = { ok: 0, failed: 0, skipped: options.subs.length - todo.length };
  const spacingMs = 1000 / options.ratePerSecond;
  let next = 0;
  let nextStartAt = started;
  const worker = async () => {
    for (;;) {
      const index = next;
      next += 1;
      if (index >= todo.length) return;
      // Each call takes the next start slot: never more than the rate, whatever the concurrency.
      const slot = nextStartAt;
      nextStartAt = Math.max(slot, now()) + spacingMs;
      const wait = slot - now();
      if (wait > 0) await sleep(wait);
      const sub = todo[index];
      try {
        await options.revoke(sub);
        summary.ok += 1;
        appendFileSync(options.progressFile, `${JSON.stringify({ sub, outcome: 'ok' })}\n`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        summary.failed += 1;
        appendFileSync(options.progressFile, `${JSON.stringify({ sub, outcome: 'failed', error: message })}\n`);
        options.onFailure?.(sub, message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { ...summary, elapsedMs: now() - started };
}
