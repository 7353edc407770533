/**
 * The generic licence upstream: POSTs the player's licence request to a vendor's (or your own)
 * licence server URL, with the credential in one header, and returns its answer. Most DRM
 * vendors take exactly this (an API key or shared secret header); docs/drm.md says how to add
 * one that wants a per-request token instead.
 */
import type { LicenceAnswer, LicenceCall, LicenceUpstream } from '../core/licence-proxy';

export interface HttpLicenceUpstreamOptions {
  /** `{videoId}` in it is replaced by the (validated) video id, percent-encoded. */
  url: string;
  /** The credential's header and value; the value is never logged. */
  credential?: { header: string; value: string };
  /** Answers larger than this are cut off and reported as unusable. */
  maxAnswerBytes: number;
  /** The statuses by which this server refuses the credential (LicenceUpstreamConfig). */
  credentialRefusedStatuses?: readonly number[];
}

export class HttpLicenceUpstream implements LicenceUpstream {
  readonly credentialRefusedStatuses?: readonly number[];
  constructor(private readonly options: HttpLicenceUpstreamOptions) {
    this.credentialRefusedStatuses = options.credentialRefusedStatuses;
  }

  async call(request: LicenceCall): Promise<LicenceAnswer> {
    const url = this.options.url.replaceAll('{videoId}', encodeURIComponent(request.videoId));
    const headers: Record<string, string> = {
      'content-type': request.contentType ?? 'application/octet-stream',
      'x-streamgate-video-id': request.videoId,
    };
    if (this.options.credential !== undefined) headers[this.options.credential.header] = this.options.credential.value;
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: new Uint8Array(request.body),
      signal: request.signal,
      // A redirect is answered as it is (a 3xx, which the proxy refuses), never followed elsewhere.
      redirect: 'manual',
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      body: await boundedBody(response, this.options.maxAnswerBytes),
    };
  }
}

/** The answer's bytes, reading at most one byte past `max` (then the caller refuses it as too large). */
async function boundedBody(response: Response, max: number): Promise<Buffer> {
  if (response.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks);
}
