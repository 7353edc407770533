/**
 * The questions AWS's documentation leaves open, answered by this deployment
 * (docs/cloudfront-rules.md marks each [unverified]): which runs first, the signature check or
 * the viewer-request function; whether a high-S ECDSA signature is accepted and whether a
 * revoked grant's twin is refused; how long a KeyValueStore write takes to reach the edge this
 * runner uses; whether the WAF lets a real-sized licence challenge through to the licence proxy.
 * Against `npm start` they answer for the local edge (its emulation), which the report says.
 */
import { videoFolder } from '../../lambda/core/media-paths';
import { createHash } from 'node:crypto';
import { type Check, Proof, skipped } from '../check';
import type { VerifyContext } from '../context';
import { isHighS, isP256Signature, malleableTwin, parseDerSignature } from '../ecdsa';
import {
  credentialsOf,
  fromCloudFrontBase64,
  type Grant,
  signingValuesOf,
  toCloudFrontBase64,
  withSigningValues,
} from '../grant';
import { apiError, describeAnswer, header, type HttpAnswer } from '../http';
import { isRefusal, shown } from './media';
import { pollUntilRefused } from './revocation';

/** Said of every local answer: the local edge's order and rules are ours, not CloudFront's. */
function localCaveat(ctx: VerifyContext): string {
  return ctx.local ? " (local edge: this is the emulation's behaviour, not CloudFront's; run it deployed to know)" : '';
}

/** Who answered a media refusal: the viewer-request function, or CloudFront's signature check. */
function refusedBy(answer: HttpAnswer): 'function' | 'signature' | 'unknown' {
  const cache = header(answer, 'x-cache') ?? '';
  const code = /<Code>([^<]+)<\/Code>/.exec(answer.body.toString('utf8'))?.[1];
  if (/FunctionGeneratedResponse/i.test(cache)) return 'function';
  if (code === 'MissingKey' || code === 'MalformedSignature' || code === 'MalformedPolicy' || code === 'InvalidKey')
    return 'signature';
  return 'unknown';
}

const checkOrder: Check = {
  id: 'question.check-order',
  family: 'question',
  promise:
    'A non-canonical media path without any signature is refused, and the answer shows who ran first: the viewer-request function or the signature check.',
  doc: 'docs/cloudfront-rules.md#path-normalisation',
  async run(ctx) {
    const proof = new Proof();
    const grant = await ctx.playGrant('cookie');
    const manifest = new URL(grant.manifestUrl).pathname;
    const file = manifest.slice(manifest.lastIndexOf('/') + 1);
    const answers: ReturnType<typeof refusedBy>[] = [];
    for (const path of [
      `${videoFolder(ctx.options.mediaPrefix, ctx.options.video)}./${file}`,
      `${videoFolder(ctx.options.mediaPrefix, ctx.options.video)}/${file}`,
    ]) {
      const answer = await ctx.media(path, {});
      proof.require(isRefusal(answer), `no signature: GET ${path} → ${describeAnswer(answer)}`);
      answers.push(refusedBy(answer));
    }
    const first = answers.every((who) => who === 'function')
      ? 'the viewer-request function runs before the signature check (its 403 answered a request with no signature)'
      : answers.every((who) => who === 'signature')
        ? 'the signature check runs before the viewer-request function (CloudFront answered MissingKey to a path the function refuses)'
        : `not settled by these answers (${answers.join(', ')})`;
    proof.finding = `${first}${localCaveat(ctx)}`;
    return proof.outcome();
  },
};

/** The P-256 signature of a grant, or undefined for an RSA one. */
function ecdsaSignature(grant: Grant): Buffer | undefined {
  const value = signingValuesOf(grant).Signature;
  if (value === undefined) return undefined;
  const bytes = fromCloudFrontBase64(value);
  return isP256Signature(bytes) ? bytes : undefined;
}

function twinOf(grant: Grant, signature: Buffer): Grant {
  return withSigningValues(grant, { Signature: toCloudFrontBase64(malleableTwin(signature)) });
}

const highS: Check = {
  id: 'question.high-s-ecdsa',
  family: 'question',
  promise:
    'A revoked grant stays refused under its twin signature (r, n − s), which any viewer can compute; and whether the edge accepts a high-S ECDSA signature at all.',
  doc: 'docs/edge-revocation.md#which-grant-a-request-uses',
  async run(ctx) {
    if (!ctx.viewer.mints)
      return skipped('needs a token source that issues fresh tokens: its test token is logged out');
    const proof = new Proof();
    const token = await ctx.viewerToken('high-s');
    const grants = [
      await ctx.grant(token, ctx.options.video, 'cookie'),
      await ctx.grant(token, ctx.options.video, 'url'),
    ];
    const signatures = grants.map(ecdsaSignature);
    if (signatures.some((signature) => signature === undefined)) {
      const length = fromCloudFrontBase64(signingValuesOf(grants[0]).Signature ?? '').length;
      await ctx.logout(token);
      return skipped(
        `the deployment signs with RSA (a ${length}-byte signature): the question is about ECDSA P-256 keys`,
      );
    }
    const twins = grants.map((grant, index) => twinOf(grant, signatures[index] as Buffer));
    const accepted: Record<'high' | 'low', boolean[]> = { high: [], low: [] };
    for (const [index, grant] of grants.entries()) {
      const path = new URL(grant.manifestUrl).pathname;
      for (const [label, presented] of [
        ['as issued', grant],
        ['twin', twins[index]],
      ] as const) {
        const signature = label === 'twin' ? malleableTwin(signatures[index] as Buffer) : (signatures[index] as Buffer);
        const high = isHighS(parseDerSignature(signature)?.s ?? 0n);
        const answer = await ctx.media(path, credentialsOf(presented));
        const line = `${grant.delivery}, ${label} (${high ? 'high' : 'low'}-S): GET ${shown(ctx, path)} → ${describeAnswer(answer)}`;
        // The grant as issued must play whatever its S; the twin is the question.
        if (label === 'as issued') proof.require(answer.status === 200, line);
        else proof.note(line);
        accepted[high ? 'high' : 'low'].push(answer.status === 200);
      }
    }
    const highAccepted = accepted.high.every(Boolean);
    if (!ctx.options.edgeRevocation) {
      await ctx.logout(token);
      proof.finding = `high-S signatures are ${highAccepted ? 'accepted' : 'refused'}${localCaveat(ctx)}`;
      return proof.skip(
        'edge revocation is off (--edge-revocation off): a revoked grant plays until it expires, twin or not',
      );
    }
    const startedAt = ctx.nowMs();
    const loggedOut = await ctx.logout(token);
    proof.require(loggedOut.status === 204, `DELETE /api/v1/session → ${describeAnswer(loggedOut)}`);
    const edge = await pollUntilRefused(ctx, grants, startedAt);
    proof.require(edge.refused, `the revoked grants as issued are refused at the edge (${Math.round(edge.ms)} ms)`);
    let twinsRefused = true;
    for (const twin of twins) {
      const path = new URL(twin.manifestUrl).pathname;
      const answer = await ctx.media(path, credentialsOf(twin));
      twinsRefused =
        proof.require(
          isRefusal(answer),
          `revoked, ${twin.delivery} twin: GET ${shown(ctx, path)} → ${describeAnswer(answer)}`,
        ) && twinsRefused;
    }
    proof.finding = `high-S signatures are ${highAccepted ? 'accepted' : 'refused'}; a revoked grant's twin is ${twinsRefused ? 'refused' : 'SERVED'}${localCaveat(ctx)}`;
    return proof.outcome();
  },
};

const propagation: Check = {
  id: 'question.kvs-propagation',
  family: 'question',
  promise:
    'How long a revocation takes to reach the edge this runner uses (API call → KeyValueStore → viewer-request function).',
  doc: 'docs/edge-revocation.md#measured-here-and-what-aws-does-not-publish',
  async run(ctx) {
    if (!ctx.options.edgeRevocation) return skipped('edge revocation is off (--edge-revocation off)');
    const times = ctx.edgeRevocationMs;
    if (times.length === 0)
      return skipped('no edge revocation was measured (the revocation checks were skipped or failed)');
    const proof = new Proof();
    for (const { check, ms } of times) proof.note(`${check}: ${Math.round(ms)} ms`);
    const max = Math.max(...times.map((time) => time.ms));
    proof.measure('maxMs', max);
    proof.measure('minMs', Math.min(...times.map((time) => time.ms)));
    proof.finding = `revoked grants refused at this edge within ${Math.round(max)} ms (${times.length} revocations; one edge location: run from several regions for the spread)${localCaveat(ctx)}`;
    return proof.outcome();
  },
};

/** A licence challenge's stand-in: deterministic bytes that look like one (binary, no text patterns). */
export function challengeBytes(size: number): Buffer {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update('streamgate-verify licence challenge').digest();
  for (let length = 0; length < size; length += block.length) {
    blocks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, size);
}

/** The licence proxy answered (its JSON error or a licence), not something in front of it. */
function proxyAnswered(answer: HttpAnswer): boolean {
  return answer.status === 200 || apiError(answer) !== undefined;
}

const wafLicenceBody: Check = {
  id: 'question.waf-licence-body',
  family: 'question',
  promise:
    "A 12 KB licence challenge reaches the licence proxy: the answer is the proxy's, not the WAF's 403 (AWSManagedRulesCommonRuleSet blocks bodies over 8 KB).",
  doc: 'docs/drm.md#the-licence-proxy',
  async run(ctx) {
    const proof = new Proof();
    const token = await ctx.playToken();
    // --video is not in the DRM catalog, so the proxy answers 404 itself: no licence server is asked.
    const path = `/api/v1/licence/${ctx.options.video}/widevine`;
    for (const size of [1024, 12 * 1024]) {
      const answer = await ctx.http.send({
        method: 'POST',
        url: ctx.url(path),
        headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/octet-stream' },
        body: challengeBytes(size),
      });
      proof.require(
        proxyAnswered(answer),
        `POST ${path} with a ${size / 1024} KB body → ${describeAnswer(answer)}${proxyAnswered(answer) ? ' (the proxy)' : ' (not the API: the WAF?)'}`,
      );
    }
    proof.finding = proof.failed
      ? 'a 12 KB licence body does not reach the proxy: give the licence path a rule action override (docs/drm.md)'
      : `a 12 KB licence body reaches the licence proxy${ctx.local ? ' (local mode has no WAF: run it deployed to know)' : ''}`;
    return proof.outcome();
  },
};

export const QUESTION_CHECKS: Check[] = [checkOrder, highS, wafLicenceBody];
/** Runs after the revocation checks, whose measurements it reports. */
export const PROPAGATION_CHECK = propagation;
