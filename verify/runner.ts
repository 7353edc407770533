/**
 * Runs the selected checks one after another (they share test users and a request budget, and
 * timing figures are only worth something unloaded), turns a check that throws into a failed
 * one with what it threw, and stops everything once the request budget is spent.
 */
import { performance } from 'node:perf_hooks';
import type { Check, CheckFamily, CheckOutcome } from './check';
import type { VerifyContext } from './context';
import { RequestBudgetExceeded } from './http';

export interface CheckResult extends CheckOutcome {
  id: string;
  family: CheckFamily;
  promise: string;
  doc: string;
  durationMs: number;
}

export interface VerifyReport {
  tool: 'streamgate verify';
  reportVersion: 1;
  base: string;
  /** The base names a loopback host (npm start). */
  local: boolean;
  startedAt: string;
  durationMs: number;
  requests: number;
  /** Of those, to `/api/`. */
  apiRequests: number;
  /** The prefix of this run's test users' subs (when the token source issues for a named user). */
  testUsers: string;
  tokenSources: { viewer: string; admin?: string };
  summary: Record<'pass' | 'fail' | 'skip', number>;
  checks: CheckResult[];
}

/** The checks `--only` and `--skip` leave, by id prefix. */
export function selectChecks(checks: readonly Check[], only: string[], skip: string[]): Check[] {
  return checks.filter(
    (check) =>
      (only.length === 0 || only.some((prefix) => check.id.startsWith(prefix))) &&
      !skip.some((prefix) => check.id.startsWith(prefix)),
  );
}

export async function runBattery(ctx: VerifyContext, checks: readonly Check[]): Promise<VerifyReport> {
  const startedAt = new Date();
  const started = performance.now();
  const results: CheckResult[] = [];
  let budgetSpent: string | undefined;
  for (const [index, check] of checks.entries()) {
    const began = performance.now();
    let outcome: CheckOutcome;
    if (budgetSpent !== undefined) outcome = { status: 'skip', reason: budgetSpent, evidence: [] };
    else {
      ctx.progress(`[${index + 1}/${checks.length}] ${check.id}`);
      try {
        outcome = await check.run(ctx);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof RequestBudgetExceeded) budgetSpent = `not run: ${message}`;
        outcome = { status: 'fail', reason: `the check could not finish: ${message}`, evidence: [] };
      }
    }
    const result: CheckResult = {
      id: check.id,
      family: check.family,
      promise: check.promise,
      doc: check.doc,
      ...outcome,
      durationMs: Math.round(performance.now() - began),
    };
    ctx.progress(
      `      ${result.status.toUpperCase()} (${result.durationMs} ms)${result.reason ? `: ${result.reason}` : ''}`,
    );
    results.push(result);
  }
  await ctx.cleanup();
  const count = (status: CheckResult['status']) => results.filter((result) => result.status === status).length;
  return {
    tool: 'streamgate verify',
    reportVersion: 1,
    base: ctx.options.base,
    local: ctx.local,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    requests: ctx.http.count,
    apiRequests: ctx.http.apiCount,
    testUsers: `${ctx.runId}-*`,
    tokenSources: {
      viewer: ctx.options.viewer.description,
      ...(ctx.options.admin === undefined ? {} : { admin: ctx.options.admin.description }),
    },
    summary: { pass: count('pass'), fail: count('fail'), skip: count('skip') },
    checks: results,
  };
}
