/**
 * Revocation: logout and an admin's revocation (by token, by user) are refused by the API at once,
 * and the grants already issued are refused at the edge within the deadline; the time that took
 * at this deployment, from this runner's edge location, is measured. Only this run's own test
 * users are revoked.
 */
import { type Check, type CheckOutcome, Proof, skipped } from '../check';
import type { VerifyContext } from '../context';
import { credentialsOf, type Grant } from '../grant';
import { apiError, describeAnswer, header, type HttpAnswer, sleep } from '../http';
import type { IssuedToken } from '../tokens';
import { isRefusal } from './media';

/** When the grants were refused at the edge, or why not. */
export interface EdgeRefusal {
  refused: boolean;
  /** From the revocation call's start to the last grant's refusal. */
  ms: number;
  /** The answers that refused (or last served) each grant. */
  evidence: string[];
}

/**
 * Polls each grant's manifest until it is refused, or the deadline passes: every 50 ms, doubling
 * to one request a second, so a 30 s deadline costs at most about 35 requests per grant.
 */
export async function pollUntilRefused(ctx: VerifyContext, grants: Grant[], startedAt: number): Promise<EdgeRefusal> {
  const earliestExpiry = Math.min(...grants.map((grant) => grant.expiresAt)) * 1000;
  // A grant refused once it has expired proves nothing about revocation: stop a second before.
  const deadline = Math.min(startedAt + ctx.options.edgeDeadlineSeconds * 1000, earliestExpiry - 1000);
  const pending = new Map(grants.map((grant) => [grant, '']));
  const evidence: string[] = [];
  let interval = 50;
  for (;;) {
    for (const grant of [...pending.keys()]) {
      const path = new URL(grant.manifestUrl).pathname;
      const answer = await ctx.media(path, credentialsOf(grant));
      const line = `${grant.delivery === 'url' ? 'signed URL' : 'cookies'}: +${Math.round(ctx.nowMs() - startedAt)} ms GET ${path} → ${describeAnswer(answer)}`;
      if (isRefusal(answer)) {
        pending.delete(grant);
        evidence.push(line);
      } else pending.set(grant, line);
    }
    const now = ctx.nowMs();
    if (pending.size === 0) return { refused: true, ms: now - startedAt, evidence };
    if (now + interval > deadline)
      return { refused: false, ms: now - startedAt, evidence: [...evidence, ...pending.values()] };
    await sleep(interval);
    interval = Math.min(interval * 2, 1000);
  }
}

/** What a scenario does to revoke: the call and the status it must answer. */
interface Revoker {
  label: string;
  expected: number;
  revoke(token: IssuedToken): Promise<HttpAnswer>;
}

/**
 * The scenario every revocation check runs: a fresh token plays by cookie and by signed URL; it is
 * revoked; the API refuses it at once (401 invalid_token); its grants are refused at the edge within
 * the deadline, and the time is measured.
 */
async function revocationScenario(
  ctx: VerifyContext,
  proof: Proof,
  check: string,
  token: IssuedToken,
  revoker: Revoker,
) {
  const grants = [
    await ctx.grant(token, ctx.options.video, 'cookie'),
    await ctx.grant(token, ctx.options.video, 'url'),
  ];
  for (const grant of grants) {
    const path = new URL(grant.manifestUrl).pathname;
    const answer = await ctx.media(path, credentialsOf(grant));
    proof.require(answer.status === 200, `before: ${grant.delivery} grant, GET ${path} → ${describeAnswer(answer)}`);
  }
  const startedAt = ctx.nowMs();
  const revoked = await revoker.revoke(token);
  proof.require(revoked.status === revoker.expected, `${revoker.label} → ${describeAnswer(revoked)}`);
  const again = await ctx.play(token, ctx.options.video, 'cookie', 'answer');
  proof.require(
    again.answer.status === 401 &&
      apiError(again.answer) === 'invalid_token' &&
      (header(again.answer, 'www-authenticate') ?? '').startsWith('Bearer'),
    `API at once: POST /api/v1/playback/${ctx.options.video} with the revoked token → ${describeAnswer(again.answer)}`,
  );
  if (!ctx.options.edgeRevocation) {
    proof.note('edge: not checked (--edge-revocation off): the grants play until they expire');
    return;
  }
  const edge = await pollUntilRefused(ctx, grants, startedAt);
  for (const line of edge.evidence) proof.note(line);
  if (
    proof.require(
      edge.refused,
      `edge: both grants refused within ${ctx.options.edgeDeadlineSeconds} s (${edge.refused ? `${Math.round(edge.ms)} ms` : `still served after ${Math.round(edge.ms)} ms`})`,
    )
  ) {
    proof.measure('edgeRefusalMs', edge.ms);
    ctx.edgeRevocationMs.push({ check, ms: edge.ms });
  }
}

const NEEDS_MINTING =
  'needs a token source that issues fresh tokens (--viewer-token-cmd or client credentials): a fixed token would stay revoked';

const logout: Check = {
  id: 'revocation.logout',
  family: 'revocation',
  promise: 'After logout the token is refused by the API at once, and its grants at the edge within the deadline.',
  doc: 'docs/api.md#delete-apiv1session',
  async run(ctx) {
    if (!ctx.viewer.mints) return skipped(NEEDS_MINTING);
    const proof = new Proof();
    const token = await ctx.viewerToken('logout');
    await revocationScenario(ctx, proof, this.id, token, {
      label: 'DELETE /api/v1/session',
      expected: 204,
      revoke: (held) => ctx.logout(held),
    });
    return proof.outcome();
  },
};

/** The admin token and a viewer token for the role, or the reason the check cannot run. */
async function adminAndViewer(
  ctx: VerifyContext,
  role: string,
): Promise<{ admin: IssuedToken; token: IssuedToken } | CheckOutcome> {
  if (!ctx.viewer.mints) return skipped(NEEDS_MINTING);
  const admin = await ctx.adminToken();
  if (admin === undefined)
    return skipped('no admin token source (--admin-token-cmd, --admin-scope or $STREAMGATE_ADMIN_TOKEN)');
  const token = await ctx.viewerToken(role);
  if (token.sub === undefined || token.jti === undefined) return skipped('the viewer token has no sub or no jti');
  return { admin, token };
}

const adminByToken: Check = {
  id: 'revocation.admin-token',
  family: 'revocation',
  promise:
    "An admin's revocation of one token (sub + jti) is refused by the API at once and at the edge within the deadline; the user's other tokens play on.",
  doc: 'docs/api.md#post-apiv1revocations',
  async run(ctx) {
    const tokens = await adminAndViewer(ctx, 'admin-token');
    if ('status' in tokens) return tokens;
    const { admin, token } = tokens;
    const proof = new Proof();
    const sibling = await ctx.viewerToken('admin-token');
    await revocationScenario(ctx, proof, this.id, token, {
      label: `POST /api/v1/revocations {"sub":"${token.sub}","jti":"…"}`,
      expected: 201,
      revoke: (held) => ctx.revoke(admin, { sub: held.sub as string, jti: held.jti as string }),
    });
    ctx.forget(token);
    const other = await ctx.play(sibling, ctx.options.video, 'cookie');
    proof.require(
      other.answer.status === 200,
      `the same user's other token: POST /api/v1/playback/${ctx.options.video} → ${describeAnswer(other.answer)}`,
    );
    return proof.outcome();
  },
};

const adminByUser: Check = {
  id: 'revocation.admin-user',
  family: 'revocation',
  promise:
    "An admin's revocation of a user (sub, cut-off) is refused by the API at once and at the edge within the deadline.",
  doc: 'docs/api.md#post-apiv1revocations',
  async run(ctx) {
    const tokens = await adminAndViewer(ctx, 'admin-user');
    if ('status' in tokens) return tokens;
    const { admin, token } = tokens;
    const proof = new Proof();
    const sub = token.sub as string;
    if (sub === admin.sub)
      return skipped(`the admin token has the viewer's sub (${sub}): revoking the user would revoke the admin too`);
    // A source that issues for our own test user: the documented default cut-off. One that gives
    // its own fixed subject: a cut-off just after this token, so the tokens issued later still work.
    const before = ctx.viewer.honoursSub || token.iat === undefined ? undefined : token.iat + 1;
    await revocationScenario(ctx, proof, this.id, token, {
      label: `POST /api/v1/revocations {"sub":"${sub}"${before === undefined ? '' : `,"before":${before}`}}`,
      expected: 201,
      revoke: () => ctx.revoke(admin, { sub, ...(before === undefined ? {} : { before }) }),
    });
    ctx.forget(token);
    if (before !== undefined) await sleep(Math.max(0, (before + 1) * 1000 - ctx.nowMs()));
    return proof.outcome();
  },
};

export const REVOCATION_CHECKS: Check[] = [logout, adminByToken, adminByUser];
