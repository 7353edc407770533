/**
 * The battery's catalogue: each check's id is unique and names its family, and docs/verify.md
 * lists every check with a link to the section that explains its promise (test/docs/links.test.ts
 * then proves each link resolves to a heading).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLocalFault } from '../../local/local-fault';
import { CHECKS } from '../../verify/checks';

const PAGE = readFileSync(join(__dirname, '..', '..', 'docs', 'verify.md'), 'utf8');

test('ids are unique and start with their family', () => {
  expect(new Set(CHECKS.map((check) => check.id)).size).toBe(CHECKS.length);
  for (const check of CHECKS) expect(check.id.startsWith(`${check.family}.`)).toBe(true);
});

test('docs/verify.md has a row for every check, linking the docs section its report cites, and no row for a check that is gone', () => {
  for (const check of CHECKS) {
    const row = PAGE.split('\n').find((line) => line.startsWith(`| \`${check.id}\` `));
    expect(row).toBeDefined();
    expect(row).toContain(`](${check.doc.replace(/^docs\//, '')})`);
  }
  const listed = [...PAGE.matchAll(/^\| `([a-z]+\.[a-z0-9-]+)` /gm)].map((match) => match[1]);
  expect(listed.sort()).toEqual(CHECKS.map((check) => check.id).sort());
});

test('the runs that revoke come after the read-only checks, and the propagation answer after the revocations it reports', () => {
  const order = CHECKS.map((check) => check.id);
  const firstRevoking = order.indexOf('revocation.logout');
  expect(order.slice(0, firstRevoking).every((id) => /^(playback|transport|origin|timing)\./.test(id))).toBe(true);
  expect(order.indexOf('question.kvs-propagation')).toBeGreaterThan(order.indexOf('revocation.admin-user'));
  expect(order.slice(-2)).toEqual(['abuse.stream-limit', 'abuse.rate-limit']);
});

test('STREAMGATE_LOCAL_FAULT takes only its test-only values, and says which when given another', () => {
  expect(parseLocalFault(undefined)).toEqual({ kind: 'none' });
  expect(parseLocalFault('drop-header:Content-Security-Policy')).toEqual({
    kind: 'drop-header',
    header: 'content-security-policy',
  });
  expect(parseLocalFault('expose-route')).toEqual({ kind: 'expose-route' });
  expect(() => parseLocalFault('no-revocation')).toThrow(
    'STREAMGATE_LOCAL_FAULT: one of no-edge-revocation, drop-header:<name>, expose-route (test-only), got "no-revocation"',
  );
});
