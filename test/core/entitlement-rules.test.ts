/**
 * The entitlement contract (lambda/core/entitlement-rules.ts) the tokens, the functions' config
 * and the deploy config share: what a video id is, which entries are well formed, which videos an
 * entry names, and what a plan name may be. How tokens and plans use it is
 * test/core/entitlement.test.ts's.
 */
import { isVideoPattern, matchesVideo, PLAN_NAME, VIDEO_ID } from '../../lambda/core/entitlement-rules';

test('a video id is 1 to 128 of A-Z a-z 0-9 _ -, and nothing that could leave its media folder', () => {
  for (const id of ['demo-1', 'A_b-9', 'x'.repeat(128)]) expect(VIDEO_ID.test(id)).toBe(true);
  for (const id of ['', 'x'.repeat(129), 'a/b', '..', 'demo-1/', 'demo 1', 'démo', 'demo%2f1', 'series-*']) {
    expect(VIDEO_ID.test(id)).toBe(false);
  }
});

test('an entry is an id, an id prefix ending in "*", or "*" alone', () => {
  for (const entry of ['trailer-1', 'series-12-*', '*', `${'x'.repeat(127)}*`])
    expect(isVideoPattern(entry)).toBe(true);
  for (const entry of ['', '**', 'a*b', '*-1', 'series/*', `${'x'.repeat(128)}*`, 'x'.repeat(129), 7, undefined]) {
    expect(isVideoPattern(entry)).toBe(false);
  }
});

test('an id names itself only; a prefix names every id it starts; "*" names every id', () => {
  expect(matchesVideo('trailer-1', 'trailer-1')).toBe(true);
  expect(matchesVideo('trailer-1', 'trailer-10')).toBe(false);
  expect(matchesVideo('trailer-1', 'trailer-')).toBe(false);
  expect(matchesVideo('series-12-*', 'series-12-e01')).toBe(true);
  expect(matchesVideo('series-12-*', 'series-12-')).toBe(true);
  expect(matchesVideo('series-12-*', 'series-13-e01')).toBe(false);
  expect(matchesVideo('series-12-*', 'series-1')).toBe(false);
  expect(matchesVideo('*', 'demo-1')).toBe(true);
});

test('a plan name is 1 to 128 characters with no control character', () => {
  for (const name of ['gold', 'Premium Plus (EU)', 'groupe-é', 'x'.repeat(128)])
    expect(PLAN_NAME.test(name)).toBe(true);
  for (const name of ['', 'x'.repeat(129), 'gold\n', 'a\u0000b', 'tab\there', 'del\u007f']) {
    expect(PLAN_NAME.test(name)).toBe(false);
  }
});
