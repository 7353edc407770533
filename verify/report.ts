/**
 * The report, for people and for machines: a summary that shows every check's verdict on one
 * line, a failed check's promise, evidence and docs section in full (every check's with
 * --verbose), the figures measured; and the same report as JSON. Pure.
 */
import type { CheckResult, VerifyReport } from './runner';

const LABEL: Record<CheckResult['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

export function formatSummary(report: VerifyReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  lines.push(
    `streamgate verify: ${report.base}${report.local ? ' (local stack: deployed-only checks are skipped)' : ''}`,
  );
  lines.push(
    `test users ${report.testUsers}; viewer tokens: ${report.tokenSources.viewer}; admin tokens: ${report.tokenSources.admin ?? 'none'}`,
  );
  const width = Math.max(...report.checks.map((check) => check.id.length), 0);
  let family = '';
  for (const check of report.checks) {
    if (check.family !== family) {
      family = check.family;
      lines.push('', family);
    }
    // A failure leads with what broke; its promise follows in the details.
    const broken = check.evidence.find((line) => line.startsWith('✗')) ?? check.reason;
    const headline =
      check.status === 'skip'
        ? (check.reason ?? '')
        : check.status === 'fail' && broken !== undefined
          ? broken
          : check.finding !== undefined
            ? `→ ${check.finding}`
            : check.promise;
    lines.push(`  ${LABEL[check.status]}  ${check.id.padEnd(width)}  ${headline}`);
    const detailed = check.status === 'fail' || options.verbose === true;
    if (!detailed) continue;
    const indent = ' '.repeat(8);
    if (check.status === 'fail') lines.push(`${indent}promise: ${check.promise}`);
    if (check.status === 'fail' && check.finding !== undefined) lines.push(`${indent}answer: ${check.finding}`);
    if (check.status !== 'skip' && check.reason !== undefined) lines.push(`${indent}${check.reason}`);
    for (const line of check.evidence) lines.push(`${indent}${line}`);
    lines.push(`${indent}see ${check.doc}`);
  }
  const figures = report.checks.filter((check) => check.measurements !== undefined && check.status === 'pass');
  if (figures.length > 0) {
    lines.push('', 'measured from here');
    for (const check of figures)
      lines.push(
        `  ${check.id.padEnd(width)}  ${Object.entries(check.measurements ?? {})
          .map(([name, value]) => `${name} ${value}`)
          .join(', ')}`,
      );
  }
  const { pass, fail, skip } = report.summary;
  lines.push(
    '',
    `${pass} passed, ${fail} failed, ${skip} skipped; ${report.requests} requests (${report.apiRequests} to /api/) in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
  lines.push(failed.length === 0 ? 'every promise checked holds' : `BROKEN: ${failed.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
