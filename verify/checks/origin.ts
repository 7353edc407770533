/**
 * The origins refuse anything that did not come through the distribution: the media bucket (OAC
 * only), the HTTP API's own endpoint (origin-verify), MediaPackage's endpoints (CDN
 * authorization). Each is a deployed endpoint the team names; local mode has none.
 */
import { videoFolder } from '../../lambda/core/media-paths';
import { type Check, Proof, skipped } from '../check';
import type { VerifyContext } from '../context';
import { describeAnswer, type HttpAnswer } from '../http';

const LOCAL_ONLY = 'only meaningful deployed: local mode has no separate origin endpoint';

/** A direct request must be refused: 401 or 403, never an answer with content or a redirect to one. */
function refusedAtOrigin(answer: HttpAnswer): boolean {
  return answer.status === 401 || answer.status === 403;
}

function unlessGiven(ctx: VerifyContext, flag: string): string {
  return ctx.local ? `${LOCAL_ONLY} (no ${flag} given)` : `no ${flag} given`;
}

const bucket: Check = {
  id: 'origin.bucket',
  family: 'origin',
  promise: 'The media bucket refuses direct requests: its objects are readable only by the distribution (OAC).',
  doc: 'docs/threat-model.md#7-direct-access-to-an-origin',
  async run(ctx) {
    const base = ctx.options.bucketUrl;
    if (base === undefined) return skipped(unlessGiven(ctx, '--bucket-url'));
    const proof = new Proof();
    for (const path of [
      `${videoFolder(ctx.options.mediaPrefix, ctx.options.video)}index.m3u8`,
      '/index.html',
      '/?list-type=2',
    ]) {
      const answer = await ctx.http.send({ url: `${base}${path}` });
      proof.require(refusedAtOrigin(answer), `GET ${base}${path} → ${describeAnswer(answer)}`);
    }
    return proof.outcome();
  },
};

const apiEndpoint: Check = {
  id: 'origin.api-endpoint',
  family: 'origin',
  promise:
    "The HTTP API's own endpoint refuses a valid viewer token sent around the distribution (no or a guessed x-origin-verify).",
  doc: 'docs/deploy.md#direct-calls-to-the-api-endpoint-what-they-can-still-cost',
  async run(ctx) {
    const base = ctx.options.apiOriginUrl;
    if (base === undefined) return skipped(unlessGiven(ctx, '--api-origin-url'));
    const proof = new Proof();
    const token = await ctx.playToken();
    const url = `${base}/api/v1/playback/${ctx.options.video}`;
    for (const guess of [undefined, 'streamgate-verify-guess']) {
      const answer = await ctx.http.send({
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${token.token}`,
          ...(guess === undefined ? {} : { 'x-origin-verify': guess }),
        },
      });
      proof.require(
        refusedAtOrigin(answer) && answer.headers['set-cookie'] === undefined,
        `POST ${url} with a valid token${guess === undefined ? '' : ' and a guessed x-origin-verify'} → ${describeAnswer(answer)}`,
      );
    }
    return proof.outcome();
  },
};

const mediaPackage: Check = {
  id: 'origin.mediapackage',
  family: 'origin',
  promise: "MediaPackage's endpoints refuse requests that did not come through CloudFront (CDN authorization).",
  doc: 'docs/threat-model.md#7-direct-access-to-an-origin',
  async run(ctx) {
    if (ctx.options.mediaPackageUrls.length === 0) return skipped(unlessGiven(ctx, '--mediapackage-url'));
    const proof = new Proof();
    for (const url of ctx.options.mediaPackageUrls) {
      const answer = await ctx.http.send({ url });
      proof.require(refusedAtOrigin(answer), `GET ${url} → ${describeAnswer(answer)}`);
    }
    return proof.outcome();
  },
};

export const ORIGIN_CHECKS: Check[] = [bucket, apiEndpoint, mediaPackage];
