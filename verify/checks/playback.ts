/**
 * Playback: a grant plays its own video, manifest, key and segment, with cookies and by signed
 * URL, and nothing else: not another video, not another spelling of a path, not with its policy
 * altered, not after its expiry.
 */
import { videoFolder } from '../../lambda/core/media-paths';
import { type Check, Proof, skipped } from '../check';
import {
  type Credentials,
  credentialsOf,
  type Grant,
  signingValuesOf,
  withPolicyExpiry,
  withSigningValues,
} from '../grant';
import { describeAnswer, header, sleep } from '../http';
import { isRefusal, playGrant, requireRefused, shown } from './media';

/** The attributes every grant cookie carries (docs/api.md "200, cookie delivery"). */
function cookieAttributesHold(line: string, videoId: string): boolean {
  const attributes = line
    .split(';')
    .slice(1)
    .map((part) => part.trim().toLowerCase());
  return (
    attributes.some(
      (attribute) => attribute.startsWith('path=/') && attribute.includes(`/${videoId.toLowerCase()}/`),
    ) &&
    attributes.includes('secure') &&
    attributes.includes('httponly') &&
    attributes.includes('samesite=strict')
  );
}

const plays: Check = {
  id: 'playback.cookies',
  family: 'playback',
  promise: 'A grant plays its video (manifest, key and segment) with signed cookies scoped to that video.',
  doc: 'docs/api.md#200-cookie-delivery-default',
  async run(ctx) {
    const proof = new Proof();
    const token = await ctx.playToken();
    const { answer, grant } = await ctx.play(token, ctx.options.video, 'cookie');
    proof.require(
      answer.status === 200 && grant !== undefined,
      `POST /api/v1/playback/${ctx.options.video} → ${describeAnswer(answer)}`,
    );
    if (grant === undefined) return proof.outcome();
    proof.require(
      header(answer, 'cache-control') === 'no-store',
      `cache-control: ${header(answer, 'cache-control') ?? '(none)'}`,
    );
    const names = [...new Set(grant.cookies.map((cookie) => cookie.name))].sort();
    proof.require(
      ['CloudFront-Key-Pair-Id', 'CloudFront-Policy', 'CloudFront-Signature'].every((name) => names.includes(name)),
      `Set-Cookie: ${names.join(', ')}`,
    );
    proof.require(
      grant.setCookies.every(
        (line) => cookieAttributesHold(line, ctx.options.video) || !line.startsWith('CloudFront-'),
      ),
      `each cookie: Path=/…/${ctx.options.video}/, Secure, HttpOnly, SameSite=Strict`,
    );
    if (token.exp !== undefined)
      proof.require(
        grant.expiresAt <= token.exp,
        `grant expires at ${grant.expiresAt}, the token at ${token.exp}: never later`,
      );
    const files = await playGrant(ctx, proof, grant);
    if (files !== undefined && files.key === undefined)
      proof.note(`the manifest has no EXT-X-KEY: no key fetched (give an encrypted --video to cover keys)`);
    return proof.outcome();
  },
};

const signedUrl: Check = {
  id: 'playback.signed-url',
  family: 'playback',
  promise:
    'A grant by signed URL plays its video, with signedQuery appended to every media request, and sets no cookie.',
  doc: 'docs/api.md#delivery-by-signed-url',
  async run(ctx) {
    const proof = new Proof();
    const token = await ctx.playToken();
    const { answer, grant } = await ctx.play(token, ctx.options.video, 'url');
    proof.require(
      answer.status === 200 && grant !== undefined,
      `POST /api/v1/playback/${ctx.options.video}?delivery=url → ${describeAnswer(answer)}`,
    );
    if (grant === undefined) return proof.outcome();
    proof.require(
      grant.setCookies.length === 0,
      `Set-Cookie: ${grant.setCookies.length === 0 ? 'none' : grant.setCookies.length}`,
    );
    await playGrant(ctx, proof, grant);
    return proof.outcome();
  },
};

const noCredentials: Check = {
  id: 'playback.no-credentials',
  family: 'playback',
  promise: 'Media without a grant is refused at the edge.',
  doc: 'docs/cloudfront-rules.md#403-answers',
  async run(ctx) {
    const proof = new Proof();
    const grant = await ctx.playGrant('cookie');
    const manifest = new URL(grant.manifestUrl).pathname;
    await requireRefused(ctx, proof, ctx.url(manifest), {}, 'no cookie, no query');
    return proof.outcome();
  },
};

/** Paths that start under one video's folder and name another's files, or the same file in another spelling. */
export function pathSpellings(mediaPrefix: string, video: string, other: string, file: string): string[] {
  const prefix = videoFolder(mediaPrefix, video).slice(0, -1);
  return [
    `${prefix}/../${other}/${file}`,
    `${prefix}/%2e%2e/${other}/${file}`,
    `${prefix}/%2E%2E/${other}/${file}`,
    `${prefix}/.%2e/${other}/${file}`,
    `${prefix}/..%2f${other}%2f${file}`,
    `${prefix}/%2e%2e%2f${other}%2f${file}`,
    `${prefix}/..\\${other}\\${file}`,
    `${prefix}/..%5c${other}%5c${file}`,
    `${prefix}/%252e%252e/${other}/${file}`,
    `${prefix}/./${file}`,
    `${prefix}//${file}`,
  ];
}

const otherVideo: Check = {
  id: 'playback.other-video',
  family: 'playback',
  promise:
    "A grant opens its own video's folder only: another video's files are refused, with cookies and by signed URL.",
  doc: 'docs/threat-model.md#6-a-viewer-reaches-beyond-their-rights',
  async run(ctx) {
    const proof = new Proof();
    const { video, otherVideo: other } = ctx.options;
    for (const delivery of ['cookie', 'url'] as const) {
      const grant = await ctx.playGrant(delivery);
      const manifest = new URL(grant.manifestUrl).pathname;
      const file = manifest.slice(manifest.lastIndexOf('/') + 1);
      const label = delivery === 'url' ? `${video}'s signed query` : `${video}'s cookies`;
      await requireRefused(
        ctx,
        proof,
        ctx.url(`${videoFolder(ctx.options.mediaPrefix, other)}${file}`),
        credentialsOf(grant),
        label,
      );
    }
    return proof.outcome();
  },
};

const spellings: Check = {
  id: 'playback.path-spellings',
  family: 'playback',
  promise:
    'No dot segment, encoded dot or slash, backslash, double encoding or empty segment gets past the edge, even under a valid grant.',
  doc: 'docs/threat-model.md#8-path-tricks-against-the-origin',
  async run(ctx) {
    const proof = new Proof();
    for (const delivery of ['cookie', 'url'] as const) {
      const grant = await ctx.playGrant(delivery);
      const manifest = new URL(grant.manifestUrl).pathname;
      const file = manifest.slice(manifest.lastIndexOf('/') + 1);
      const label = delivery === 'url' ? 'signed query' : 'cookies';
      for (const path of pathSpellings(ctx.options.mediaPrefix, ctx.options.video, ctx.options.otherVideo, file))
        await requireRefused(ctx, proof, ctx.url(path), credentialsOf(grant), label);
    }
    return proof.outcome();
  },
};

const tamperedExpiry: Check = {
  id: 'playback.tampered-expiry',
  family: 'playback',
  promise:
    "A grant cannot be extended: its policy with a later expiry no longer matches its signature and is refused (this checks the signature's cover, not expiry itself).",
  doc: 'docs/threat-model.md#4-a-forged-or-altered-cloudfront-signature-or-policy',
  async run(ctx) {
    const proof = new Proof();
    for (const delivery of ['cookie', 'url'] as const) {
      const grant = await ctx.playGrant(delivery);
      const policy = signingValuesOf(grant).Policy;
      if (policy === undefined) return proof.skip(`the ${delivery} grant has no custom policy to alter`);
      const manifest = new URL(grant.manifestUrl).pathname;
      const control = await ctx.media(manifest, credentialsOf(grant));
      proof.require(control.status === 200, `${delivery}: as issued, GET ${manifest} → ${describeAnswer(control)}`);
      const extended = withSigningValues(grant, { Policy: withPolicyExpiry(policy, grant.expiresAt + 86_400) });
      await requireRefused(
        ctx,
        proof,
        ctx.url(manifest),
        credentialsOf(extended),
        `${delivery}, expiry moved a day later`,
      );
    }
    return proof.outcome();
  },
};

const expired: Check = {
  id: 'playback.expired-grant',
  family: 'playback',
  promise: 'A grant past its expiry is refused at the edge (cookies and signed URL).',
  doc: 'docs/api.md#post-apiv1playbackvideoid',
  async run(ctx) {
    if (!ctx.options.waitExpiry)
      return skipped(
        'waits a whole grant lifetime (SIGNED_TTL_SECONDS, 300 s by default): pass --wait-expiry to run it',
      );
    const proof = new Proof();
    const token = await ctx.viewerToken('expiry');
    const grants: Grant[] = [
      await ctx.grant(token, ctx.options.video, 'cookie'),
      await ctx.grant(token, ctx.options.video, 'url'),
    ];
    const wait = Math.max(...grants.map((grant) => grant.expiresAt)) * 1000 + 1500 - ctx.nowMs();
    if (wait > ctx.options.maxWaitSeconds * 1000)
      return skipped(
        `the grant lives ${Math.round(wait / 1000)} s, more than --max-wait ${ctx.options.maxWaitSeconds} s`,
      );
    const manifest = (grant: Grant) => new URL(grant.manifestUrl).pathname;
    const credentials: Credentials[] = grants.map((grant) => credentialsOf(grant));
    for (const [index, grant] of grants.entries()) {
      const before = await ctx.media(manifest(grant), credentials[index]);
      proof.require(
        before.status === 200,
        `${grant.delivery}: before expiry, GET ${manifest(grant)} → ${describeAnswer(before)}`,
      );
    }
    ctx.progress(`  waiting ${Math.round(wait / 1000)} s for the grants to expire`);
    await sleep(wait);
    for (const [index, grant] of grants.entries()) {
      const after = await ctx.media(manifest(grant), credentials[index]);
      proof.require(
        isRefusal(after),
        `${grant.delivery}: ${Math.round(ctx.nowMs() / 1000) - grant.expiresAt} s after its expiry, GET ${shown(ctx, manifest(grant))} → ${describeAnswer(after)}`,
      );
    }
    await ctx.logout(token);
    return proof.outcome();
  },
};

const drm: Check = {
  id: 'playback.drm',
  family: 'playback',
  promise: "A DRM video's grant also opens its packaged content under /drm/ and names its licence routes.",
  doc: 'docs/api.md#a-drm-video',
  async run(ctx) {
    const drmVideo = ctx.options.drmVideo;
    if (drmVideo === undefined) return skipped('no --drm-video given');
    const proof = new Proof();
    const token = await ctx.playToken();
    const { answer, grant } = await ctx.play(token, drmVideo, 'cookie');
    proof.require(grant !== undefined, `POST /api/v1/playback/${drmVideo} → ${describeAnswer(answer)}`);
    if (grant === undefined) return proof.outcome();
    if (
      !proof.require(grant.drm !== undefined, `the answer has a drm member: ${grant.drm === undefined ? 'no' : 'yes'}`)
    )
      return proof.outcome();
    const systems = Object.keys(grant.drm?.licenceUrls ?? {});
    proof.require(systems.length > 0, `licence routes for: ${systems.join(', ') || 'none'}`);
    await playGrant(ctx, proof, grant, grant.drm?.manifestUrl, 'cookies (/drm/)');
    return proof.outcome();
  },
};

export const PLAYBACK_CHECKS: Check[] = [
  plays,
  signedUrl,
  noCredentials,
  otherVideo,
  spellings,
  tamperedExpiry,
  drm,
  expired,
];
