/**
 * Media requests the way a player makes them, for the checks: a playlist and what it points to,
 * fetched with a grant's credentials; and what counts as a refusal at the edge.
 */
import type { Proof } from '../check';
import type { VerifyContext } from '../context';
import { type Credentials, type Grant, credentialsOf } from '../grant';
import { parsePlaylist } from '../hls';
import { describeAnswer, type HttpAnswer, redactUrl } from '../http';

/** What one grant opened: the URLs fetched, by kind. */
export interface PlayedFiles {
  manifest: string;
  key?: string;
  segment?: string;
}

/** Refused at the edge: CloudFront's (or the function's) 403, or its 400 for a request it will not parse. */
export function isRefusal(answer: HttpAnswer): boolean {
  return answer.status === 403 || answer.status === 400;
}

/** The path of a URL on the base, for evidence (the query's signing values are credentials). */
export function shown(ctx: VerifyContext, url: string): string {
  const text = url.startsWith(ctx.options.base) ? url.slice(ctx.options.base.length) : url;
  return redactUrl(text);
}

/**
 * Fetches the grant's manifest, its first variant if it is a master playlist, then its first key,
 * init section and segment, requiring each to be served. Returns the files, or undefined when the
 * manifest did not play.
 */
export async function playGrant(
  ctx: VerifyContext,
  proof: Proof,
  grant: Grant,
  manifestUrl = grant.manifestUrl,
  label = grant.delivery === 'url' ? 'signed URL' : 'cookies',
): Promise<PlayedFiles | undefined> {
  const credentials = (url: string) => credentialsOf(grant, url);
  // The signed manifest URL already carries its query; what it points to gets signedQuery appended.
  const first = await ctx.media(
    manifestUrl,
    grant.delivery === 'url' && manifestUrl.includes('?') ? {} : credentials(manifestUrl),
  );
  const text = first.body.toString('utf8');
  if (
    !proof.require(
      first.status === 200 && text.startsWith('#EXTM3U'),
      `${label}: GET ${shown(ctx, manifestUrl)} → ${describeAnswer(first)}`,
    )
  )
    return undefined;
  let playlist = parsePlaylist(text, manifestUrl);
  let playlistUrl = manifestUrl;
  if (playlist.segments.length === 0 && playlist.playlists.length > 0) {
    playlistUrl = playlist.playlists[0];
    const variant = await ctx.media(playlistUrl, credentials(playlistUrl));
    if (
      !proof.require(
        variant.status === 200,
        `${label}: GET ${shown(ctx, playlistUrl)} (first variant) → ${describeAnswer(variant)}`,
      )
    )
      return undefined;
    playlist = parsePlaylist(variant.body.toString('utf8'), playlistUrl);
  }
  const files: PlayedFiles = { manifest: manifestUrl.split('?')[0] };
  const fetchFirst = async (kind: string, urls: string[]): Promise<string | undefined> => {
    if (urls.length === 0) return undefined;
    const answer = await ctx.media(urls[0], credentials(urls[0]));
    proof.require(answer.status === 200, `${label}: GET ${shown(ctx, urls[0])} (${kind}) → ${describeAnswer(answer)}`);
    return urls[0];
  };
  files.key = await fetchFirst('key', playlist.keys);
  await fetchFirst('init section', playlist.maps);
  files.segment = await fetchFirst('segment', playlist.segments);
  if (files.segment === undefined) proof.require(false, `${label}: ${shown(ctx, playlistUrl)} lists no segment`);
  return files;
}

/** GETs a URL with the credentials and requires a refusal; returns whether it was refused. */
export async function requireRefused(
  ctx: VerifyContext,
  proof: Proof,
  url: string,
  credentials: Credentials,
  label: string,
): Promise<boolean> {
  const answer = await ctx.media(url, credentials);
  return proof.require(isRefusal(answer), `${label}: GET ${shown(ctx, url)} → ${describeAnswer(answer)}`);
}
