/** The report: what a person reads and what a machine parses. */
import { formatJson, formatSummary } from '../../verify/report';
import type { VerifyReport } from '../../verify/runner';

const report: VerifyReport = {
  tool: 'streamgate verify',
  reportVersion: 1,
  base: 'https://video.example.com',
  local: false,
  startedAt: '2026-11-26T10:00:00.000Z',
  durationMs: 23_400,
  requests: 412,
  apiRequests: 150,
  testUsers: 'streamgate-verify-0a1b2c3d-*',
  tokenSources: { viewer: 'command' },
  summary: { pass: 2, fail: 1, skip: 1 },
  checks: [
    {
      id: 'playback.cookies',
      family: 'playback',
      promise: 'A grant plays its video.',
      doc: 'docs/api.md#200-cookie-delivery-default',
      status: 'pass',
      evidence: ['✓ GET /media/v/index.m3u8 → 200'],
      durationMs: 120,
    },
    {
      id: 'transport.page-headers',
      family: 'transport',
      promise: 'The page carries every security header.',
      doc: 'docs/security-controls.md#before-and-after',
      status: 'fail',
      evidence: ['✓ x-frame-options: DENY', '✗ content-security-policy: missing'],
      durationMs: 30,
    },
    {
      id: 'origin.bucket',
      family: 'origin',
      promise: 'The bucket refuses direct requests.',
      doc: 'docs/threat-model.md#7-direct-access-to-an-origin',
      status: 'skip',
      reason: 'no --bucket-url given',
      evidence: [],
      durationMs: 0,
    },
    {
      id: 'question.kvs-propagation',
      family: 'question',
      promise: 'How long a revocation takes to reach the edge.',
      doc: 'docs/edge-revocation.md#measured-here-and-what-aws-does-not-publish',
      status: 'pass',
      evidence: ['revocation.logout: 1200 ms'],
      finding: 'revoked grants refused at this edge within 1200 ms',
      measurements: { maxMs: 1200 },
      durationMs: 1,
    },
  ],
};

test('a failed check leads with what broke, then shows its promise, every piece of evidence and its docs section; the summary names it', () => {
  const text = formatSummary(report);
  const lines = text.split('\n');
  const failAt = lines.findIndex((line) =>
    /^ {2}FAIL {2}transport\.page-headers +✗ content-security-policy: missing$/.test(line),
  );
  expect(failAt).toBeGreaterThan(-1);
  expect(lines.slice(failAt + 1, failAt + 5)).toEqual([
    '        promise: The page carries every security header.',
    '        ✓ x-frame-options: DENY',
    '        ✗ content-security-policy: missing',
    '        see docs/security-controls.md#before-and-after',
  ]);
  expect(text).toContain('2 passed, 1 failed, 1 skipped; 412 requests (150 to /api/) in 23.4 s');
  expect(text.trimEnd().split('\n').pop()).toBe('BROKEN: transport.page-headers');
});

test('a passed check is one line (its finding, for a question) unless verbose; a skipped one gives its reason; figures are listed', () => {
  const text = formatSummary(report);
  expect(text).toMatch(/ {2}PASS {2}playback\.cookies +A grant plays its video\.\n/);
  expect(text).not.toContain('GET /media/v/index.m3u8');
  expect(text).toMatch(/ {2}SKIP {2}origin\.bucket +no --bucket-url given\n/);
  expect(text).toMatch(/ {2}PASS {2}question\.kvs-propagation +→ revoked grants refused at this edge within 1200 ms\n/);
  expect(text).toMatch(/measured from here\n {2}question\.kvs-propagation +maxMs 1200\n/);
  expect(formatSummary(report, { verbose: true })).toContain('        ✓ GET /media/v/index.m3u8 → 200');
});

test('every promise holding reads so; the JSON report is the report itself', () => {
  const passing: VerifyReport = {
    ...report,
    summary: { pass: 1, fail: 0, skip: 0 },
    checks: [report.checks[0]],
  };
  expect(formatSummary(passing).trimEnd().split('\n').pop()).toBe('every promise checked holds');
  expect(JSON.parse(formatJson(report))).toEqual(report);
});
