/**
 * Abuse defences as configured: the per-user rate limit answers 429 with Retry-After, and the
 * concurrent-stream limit refuses (or evicts) one session too many. Each with its own test user
 * and a bounded number of calls, so no real viewer is touched.
 */
import { type Check, Proof, skipped } from '../check';
import { apiError, describeAnswer, header } from '../http';
import type { IssuedToken } from '../tokens';
import { pollUntilRefused } from './revocation';

/** The most API calls one abuse check may send. */
const MAX_CALLS = 400;
/** The most sessions the stream-limit check opens. */
const MAX_STREAMS = 20;

const streamLimit: Check = {
  id: 'abuse.stream-limit',
  family: 'abuse',
  promise: 'A user gets at most the configured number of concurrent streams; logout frees a slot.',
  doc: 'docs/api.md#abuse-defences',
  async run(ctx) {
    const { streamLimit: limit, streamLimitPolicy: policy } = ctx.options;
    if (limit === 0) return skipped('the stream limit is off (--stream-limit 0)');
    if (limit >= MAX_STREAMS)
      return skipped(`--stream-limit ${limit}: the check opens at most ${MAX_STREAMS} sessions`);
    if (!ctx.viewer.mints) return skipped('needs a token source that issues fresh tokens: one token is one session');
    if (!ctx.viewer.honoursSub)
      return skipped(
        'the token source gives its own fixed subject, whose other sessions in this run would count: use --viewer-token-cmd with $STREAMGATE_VERIFY_SUB',
      );
    const proof = new Proof();
    const tokens: IssuedToken[] = [];
    for (let index = 0; index <= limit; index += 1) tokens.push(await ctx.viewerToken('streams'));
    const grants = [];
    for (const [index, token] of tokens.slice(0, limit).entries()) {
      const { answer, grant } = await ctx.play(token, ctx.options.video, 'cookie');
      proof.require(
        answer.status === 200,
        `session ${index + 1} of ${limit}: POST /api/v1/playback/${ctx.options.video} → ${describeAnswer(answer)}`,
      );
      grants.push(grant);
    }
    const extra = tokens[limit];
    const over = await ctx.play(extra, ctx.options.video, 'cookie', 'answer');
    if (policy === 'reject-newest') {
      proof.require(
        over.answer.status === 403 && apiError(over.answer) === 'concurrency_limit',
        `session ${limit + 1}: → ${describeAnswer(over.answer)}`,
      );
      const freed = await ctx.logout(tokens[0]);
      proof.require(freed.status === 204, `logout of session 1 → ${describeAnswer(freed)}`);
      const after = await ctx.play(extra, ctx.options.video, 'cookie', 'answer');
      proof.require(
        after.answer.status === 200,
        `session ${limit + 1} again, a slot freed: → ${describeAnswer(after.answer)}`,
      );
    } else {
      proof.require(
        over.answer.status === 200,
        `session ${limit + 1} (evict-oldest): → ${describeAnswer(over.answer)}`,
      );
      const oldest = await ctx.play(tokens[0], ctx.options.video, 'cookie', 'answer');
      proof.require(
        oldest.answer.status === 403 && apiError(oldest.answer) === 'session_ended',
        `session 1, evicted: → ${describeAnswer(oldest.answer)}`,
      );
      const evicted = grants[0];
      if (evicted !== undefined && ctx.options.edgeRevocation) {
        const edge = await pollUntilRefused(ctx, [evicted], ctx.nowMs());
        proof.require(edge.refused, `session 1's grant at the edge: ${edge.evidence.at(-1) ?? ''}`);
      }
    }
    return proof.outcome();
  },
};

const rateLimit: Check = {
  id: 'abuse.rate-limit',
  family: 'abuse',
  promise: "A user's calls beyond the configured rate answer 429 rate_limited with Retry-After.",
  doc: 'docs/api.md#abuse-defences',
  async run(ctx) {
    const { rateLimit: limit, rateWindowSeconds: window } = ctx.options;
    if (limit === 0) return skipped('the rate limit is off (--rate-limit 0)');
    // A fixed window: a burst that starts near a window's end needs up to 2 × limit + 1 calls.
    const bound = 2 * limit + 2;
    if (bound > MAX_CALLS)
      return skipped(`--rate-limit ${limit} needs up to ${bound} calls; the check sends at most ${MAX_CALLS}`);
    const proof = new Proof();
    const token = await ctx.viewerToken('rate');
    let calls = 0;
    for (; calls < bound; ) {
      calls += 1;
      const { answer } = await ctx.play(token, ctx.options.video, 'cookie', 'answer');
      if (answer.status === 200) continue;
      const retryAfter = Number(header(answer, 'retry-after'));
      proof.require(
        answer.status === 429 && apiError(answer) === 'rate_limited' && retryAfter >= 1 && retryAfter <= window,
        `call ${calls}: → ${describeAnswer(answer)}, retry-after: ${header(answer, 'retry-after') ?? '(none)'}`,
      );
      proof.note(`limit ${limit} per ${window} s: the first refusal came at call ${calls}`);
      proof.measure('callsUntilRefused', calls);
      return proof.outcome();
    }
    proof.require(false, `${calls} calls in a row were all answered 200 (limit ${limit} per ${window} s)`);
    return proof.outcome();
  },
};

export const ABUSE_CHECKS: Check[] = [streamLimit, rateLimit];
