/**
 * Timing as a viewer here sees it: p50 and p99 of playback calls (the API, through the
 * distribution) and of segment requests (the edge), from where the battery runs. Informational
 * unless --max-p99-ms is given. With n samples, p99 is the slowest of them below 100.
 */
import { type Check, Proof } from '../check';
import { credentialsOf } from '../grant';
import { describeAnswer } from '../http';
import { percentile } from '../stats';
import { playGrant } from './media';

const timing: Check = {
  id: 'timing.playback',
  family: 'timing',
  promise:
    'Playback calls and segments answer, and how fast from here: p50 and p99 (failing above --max-p99-ms when given).',
  doc: 'docs/benchmarks.md',
  async run(ctx) {
    const proof = new Proof();
    const samples = ctx.options.timingSamples;
    const token = await ctx.viewerToken('timing');
    const api: number[] = [];
    let segment: string | undefined;
    for (let index = 0; index < samples; index += 1) {
      const { answer, grant } = await ctx.play(token, ctx.options.video, 'cookie');
      if (!proof.require(answer.status === 200, `playback call ${index + 1}: → ${describeAnswer(answer)}`))
        return proof.outcome();
      api.push(answer.ms);
      if (segment === undefined && grant !== undefined) {
        segment = (await playGrant(ctx, proof, grant))?.segment;
        if (segment === undefined) return proof.outcome();
      }
    }
    const grant = await ctx.grant(token, ctx.options.video, 'cookie');
    const media: number[] = [];
    for (let index = 0; index < samples && segment !== undefined; index += 1) {
      const answer = await ctx.media(segment, credentialsOf(grant, segment));
      if (!proof.require(answer.status === 200, `segment ${index + 1}: → ${describeAnswer(answer)}`))
        return proof.outcome();
      media.push(answer.ms);
    }
    const figures = {
      playbackP50Ms: percentile(api, 50),
      playbackP99Ms: percentile(api, 99),
      segmentP50Ms: percentile(media, 50),
      segmentP99Ms: percentile(media, 99),
    };
    for (const [name, value] of Object.entries(figures)) proof.measure(name, value);
    proof.note(
      `${samples} playback calls: p50 ${figures.playbackP50Ms.toFixed(1)} ms, p99 ${figures.playbackP99Ms.toFixed(1)} ms; ${samples} segments: p50 ${figures.segmentP50Ms.toFixed(1)} ms, p99 ${figures.segmentP99Ms.toFixed(1)} ms`,
    );
    const max = ctx.options.maxP99Ms;
    if (max !== undefined) {
      proof.require(
        figures.playbackP99Ms <= max,
        `playback p99 ${figures.playbackP99Ms.toFixed(1)} ms ≤ --max-p99-ms ${max}`,
      );
      proof.require(
        figures.segmentP99Ms <= max,
        `segment p99 ${figures.segmentP99Ms.toFixed(1)} ms ≤ --max-p99-ms ${max}`,
      );
    }
    await ctx.logout(token);
    return proof.outcome();
  },
};

export const TIMING_CHECKS: Check[] = [timing];
