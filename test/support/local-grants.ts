/**
 * Playback grants from a running local stack's real API: a dev IdP token, then signed cookies
 * (the `Cookie` header a browser would send back) or a signed URL's query.
 */
import type { LocalStack } from '../../local/stack';

export async function play(stack: LocalStack, bearer: string, videoId: string, query = ''): Promise<Response> {
  return fetch(`${stack.url}api/v1/playback/${videoId}${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}` },
  });
}

/** The Cookie header for the Set-Cookie values of a response (attributes dropped). */
export function cookieHeaderOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Signed cookies for one video, as the Cookie header (each grant for its own user: no stream limit met). */
export async function grantCookies(stack: LocalStack, videoId: string): Promise<string> {
  const granted = await play(
    stack,
    await stack.idp.issueToken({ sub: `cookies-${videoId}`, videos: [videoId] }),
    videoId,
  );
  if (granted.status !== 200) throw new Error(`playback grant for ${videoId}: HTTP ${granted.status}`);
  return cookieHeaderOf(granted);
}

/** The signed-URL query (without `?`) the player appends to every media request of one video. */
export async function grantSignedQuery(stack: LocalStack, videoId: string): Promise<string> {
  const granted = await play(
    stack,
    await stack.idp.issueToken({ sub: `url-${videoId}`, videos: [videoId] }),
    videoId,
    '?delivery=url',
  );
  if (granted.status !== 200) throw new Error(`playback grant for ${videoId}: HTTP ${granted.status}`);
  return ((await granted.json()) as { signedQuery: string }).signedQuery;
}
