/**
 * The local ClearKey licence server: W3C EME ClearKey licences
 * (https://www.w3.org/TR/encrypted-media/#clear-key-request-format), answering for one video at
 * a time. The caller (the licence proxy, after it has authorised the viewer for that video) names
 * the video; a request naming any key id that is not that video's is refused whole, so a viewer
 * entitled to one video cannot obtain another's key by asking for its key id.
 *
 * Two ways in, same answers: `answer(videoId, body)` in process, and an HTTP endpoint
 * `POST /clearkey/<videoId>` on loopback that can require a credential header (as a vendor's
 * licence server requires the proxy's API key).
 */
import { VIDEO_ID } from '../../lambda/core/entitlement-rules';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLEARKEY_MAX_REQUEST_BYTES, parseClearKeyRequest } from '../../lambda/core/clearkey-request';
import type { ContentKey } from './cenc-encrypter';
import { readBounded, serveOnLoopback } from './loopback-http';

/** The size cap and the request's shape are the proxy's own (lambda/core/clearkey-request.ts). */
export const MAX_LICENCE_REQUEST_BYTES = CLEARKEY_MAX_REQUEST_BYTES;

export type LicenceRefusalKind =
  | 'invalid-video-id'
  | 'malformed-request'
  | 'request-too-large'
  | 'unknown-video'
  | 'key-id-not-for-video'
  | 'unauthorized'
  | 'method-not-allowed'
  | 'not-found';

const STATUS: Record<LicenceRefusalKind, number> = {
  'invalid-video-id': 400,
  'malformed-request': 400,
  'request-too-large': 413,
  'unknown-video': 404,
  'key-id-not-for-video': 403,
  unauthorized: 401,
  'method-not-allowed': 405,
  'not-found': 404,
};

/**
 * The one status by which this server refuses the proxy's credential: its 403 refuses a key id of
 * another video (the viewer's request), which must stay the viewer's refusal at the proxy.
 */
export const CLEARKEY_CREDENTIAL_REFUSED_STATUSES: readonly number[] = [STATUS.unauthorized];

export interface ClearKeyLicence {
  keys: { kty: 'oct'; k: string; kid: string }[];
  type: 'temporary';
}

export type LicenceAnswer =
  | { ok: true; status: 200; licence: ClearKeyLicence; body: string }
  | { ok: false; status: number; refusal: LicenceRefusalKind; message: string; body: string };

function refuse(refusal: LicenceRefusalKind, message: string): LicenceAnswer {
  return {
    ok: false,
    status: STATUS[refusal],
    refusal,
    message,
    body: JSON.stringify({ error: refusal, message }),
  };
}

/** A video's content keys, looked up when a request comes (the key file can change between starts). */
export type KeyLookup = (videoId: string) => readonly ContentKey[] | undefined;

export class ClearKeyLicenceServer {
  constructor(private readonly keysOf: KeyLookup) {}

  /** The licence for `videoId`, or a refusal; never a key of another video. */
  answer(videoId: string, body: Uint8Array | string): LicenceAnswer {
    if (typeof videoId !== 'string' || !VIDEO_ID.test(videoId)) return refuse('invalid-video-id', 'invalid video id');
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
    if (bytes.length > MAX_LICENCE_REQUEST_BYTES)
      return refuse('request-too-large', `a licence request is at most ${MAX_LICENCE_REQUEST_BYTES} bytes`);
    const parsed = parseClearKeyRequest(bytes);
    if (typeof parsed === 'string') return refuse('malformed-request', parsed);
    const keys = this.keysOf(videoId);
    if (keys === undefined || keys.length === 0) return refuse('unknown-video', 'no keys for this video');
    const byKid = new Map(keys.map((key) => [key.kid.toString('base64url'), key]));
    const granted: ClearKeyLicence['keys'] = [];
    for (const kid of parsed) {
      const key = byKid.get(kid);
      if (key === undefined) return refuse('key-id-not-for-video', 'a requested key id is not one of this video’s');
      granted.push({ kty: 'oct', k: key.key.toString('base64url'), kid });
    }
    const licence: ClearKeyLicence = { keys: granted, type: 'temporary' };
    return { ok: true, status: 200, licence, body: JSON.stringify(licence) };
  }
}

// ---- HTTP ----------------------------------------------------------------------------------------

export const CLEARKEY_PATH_PREFIX = '/clearkey/';

export interface ClearKeyHttpOptions {
  /** A header the caller must send with exactly this value (compared in constant time). */
  credential?: { header: string; value: string };
}

/** `POST /clearkey/<videoId>` with a ClearKey request body; JSON answers, refusals included. */
export function clearKeyHttpHandler(
  server: ClearKeyLicenceServer,
  options: ClearKeyHttpOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const send = (answer: LicenceAnswer, extra: Record<string, string> = {}): void => {
      res
        .writeHead(answer.status, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          'content-length': Buffer.byteLength(answer.body),
          ...extra,
        })
        .end(answer.body);
    };
    const path = (req.url ?? '').split('?')[0];
    if (!path.startsWith(CLEARKEY_PATH_PREFIX)) {
      send(refuse('not-found', 'not a licence path'));
      return;
    }
    if (req.method !== 'POST') {
      send(refuse('method-not-allowed', 'POST a ClearKey licence request'), { allow: 'POST' });
      return;
    }
    if (
      options.credential !== undefined &&
      !sameSecret(req.headers[options.credential.header.toLowerCase()], options.credential.value)
    ) {
      req.resume();
      send(refuse('unauthorized', 'missing or wrong upstream credential'));
      return;
    }
    const body = await readBounded(req, MAX_LICENCE_REQUEST_BYTES);
    if (body === undefined) {
      send(refuse('request-too-large', `a licence request is at most ${MAX_LICENCE_REQUEST_BYTES} bytes`), {
        connection: 'close',
      });
      return;
    }
    let videoId: string;
    try {
      videoId = decodeURIComponent(path.slice(CLEARKEY_PATH_PREFIX.length));
    } catch {
      videoId = '';
    }
    send(server.answer(videoId, body));
  };
}

function sameSecret(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RunningClearKeyServer {
  /** Base URL; the licence URL of a video is `${url}/clearkey/<videoId>`. */
  url: string;
  close(): Promise<void>;
}

/** The HTTP endpoint on a loopback port (0: any free one). */
export async function startClearKeyServer(
  server: ClearKeyLicenceServer,
  options: ClearKeyHttpOptions & { port?: number } = {},
): Promise<RunningClearKeyServer> {
  const running = await serveOnLoopback(clearKeyHttpHandler(server, options), options.port);
  return { url: running.origin, close: running.close };
}
