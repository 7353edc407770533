/**
 * The licence proxy's decisions, apart from authorization (lambda/core/api/licence.ts runs the playback
 * checks first): which video and DRM system a request names, whether its body is acceptable, and
 * what the licence server's answer becomes. The licence server itself sits behind a small
 * interface, LicenceUpstream: a generic HTTP forwarder (lambda/runtime/http-licence-upstream.ts)
 * fits most vendors; local mode plugs in the local ClearKey server.
 *
 * Nothing here logs or returns a request or licence body: they carry key material.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { CLEARKEY_MAX_REQUEST_BYTES, CLEARKEY_REQUEST_SHAPE, parseClearKeyRequest } from './clearkey-request';
import {
  DEFAULT_CREDENTIAL_REFUSED_STATUSES,
  type DrmConfig,
  type DrmSystem,
  type DrmVideo,
  DRM_SYSTEMS,
  isDrmSystem,
} from './drm-config';
import {
  InvalidRequest,
  LicenceRefused,
  NotFound,
  PayloadTooLarge,
  UpstreamBadAnswer,
  UpstreamCredentialRefused,
  UpstreamTimeout,
  UpstreamUnavailable,
} from './errors';
import type { HttpResponse } from './http';

export interface LicenceCall {
  readonly videoId: string;
  readonly drmSystem: DrmSystem;
  /** The player's licence request (a ClearKey JSON request, a Widevine challenge...), as sent. */
  readonly body: Buffer;
  readonly contentType: string | undefined;
  /** Aborted when the proxy's timeout expires: the call must stop then. */
  readonly signal: AbortSignal;
}

export interface LicenceAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/** A licence server. Throws when it cannot be reached; any HTTP answer is returned as is. */
export interface LicenceUpstream {
  call(request: LicenceCall): Promise<LicenceAnswer>;
  /**
   * The statuses by which it refuses the proxy's own credential (an upstream failure, not the
   * viewer's refusal). @default DEFAULT_CREDENTIAL_REFUSED_STATUSES
   */
  readonly credentialRefusedStatuses?: readonly number[];
}

/** What the proxy logs about a forwarded call: never a body. */
export interface LicenceOutcome {
  readonly upstreamStatus: number;
  readonly licenceBytes: number;
  readonly upstreamMs: number;
}

export class LicenceProxy {
  constructor(
    readonly config: DrmConfig,
    private readonly upstreams: Readonly<Partial<Record<DrmSystem, LicenceUpstream>>>,
  ) {}

  /** The DRM systems with an upstream, as the playback answer lists them. */
  systems(): DrmSystem[] {
    return DRM_SYSTEMS.filter((system) => this.upstreams[system] !== undefined);
  }

  /** `drmSystem` path parameter: 400 when it is no DRM system, 404 when this deployment has no upstream for it. */
  drmSystem(raw: string | undefined): DrmSystem {
    if (!isDrmSystem(raw)) throw new InvalidRequest(`drmSystem must be one of ${DRM_SYSTEMS.join(', ')}`);
    if (this.upstreams[raw] === undefined)
      throw new NotFound(
        `no ${raw} licence server is configured here; use one of: ${this.systems().join(', ') || 'none'}`,
      );
    return raw;
  }

  /** 404 for a video the DRM catalog does not list: it has no keys, so no licence. */
  video(videoId: string): DrmVideo {
    const video = this.config.catalog.get(videoId);
    if (video === undefined) throw new NotFound('this video is not DRM-protected: it needs no licence');
    return video;
  }

  /**
   * The request body, decoded; 413 above the cap (checked before anything parses it): the
   * configured one, or for ClearKey the smaller cap of a W3C ClearKey request (a few key ids),
   * which a ClearKey licence server would refuse anyway.
   */
  body(event: APIGatewayProxyEventV2): Buffer {
    const max =
      event.pathParameters?.drmSystem === 'clearkey'
        ? Math.min(CLEARKEY_MAX_REQUEST_BYTES, this.config.maxBodyBytes)
        : this.config.maxBodyBytes;
    const raw = event.body ?? '';
    // A base64 body decodes to at most 3/4 of its length: refuse early on the encoded size too.
    const encodedLimit = event.isBase64Encoded ? Math.ceil((max * 4) / 3) + 4 : max * 4;
    if (raw.length > encodedLimit) throw new PayloadTooLarge(max);
    const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
    if (body.length > max) throw new PayloadTooLarge(max);
    return body;
  }

  /** 400 for an empty body: checked once the caller is authenticated, like every other detail. */
  nonEmpty(body: Buffer): Buffer {
    if (body.length === 0) throw new InvalidRequest("the body must carry the player's licence request");
    return body;
  }

  /**
   * For ClearKey, the request must be a W3C EME ClearKey request (400 otherwise, before any licence
   * server sees it: lambda/core/clearkey-request.ts) and its key ids are readable: each must belong
   * to the video (when the catalog lists its key ids), so a token for one video can never fetch
   * another's key. Other systems' challenges are opaque: their licence server applies the same
   * rule (docs/drm.md, per-request tokens).
   */
  checkKeyIds(video: DrmVideo, drmSystem: DrmSystem, body: Buffer): void {
    if (drmSystem !== 'clearkey') return;
    const kids = clearKeyIds(body);
    if (video.keyIds === undefined) return;
    const foreign = kids.filter((kid) => !video.keyIds?.includes(kid));
    if (foreign.length > 0)
      throw new LicenceRefused('the licence request names a key that does not belong to this video');
  }

  /** Forwards to the system's licence server within the timeout, and maps its answer. */
  async forward(
    call: Omit<LicenceCall, 'signal'>,
    onOutcome: (outcome: LicenceOutcome) => void,
  ): Promise<HttpResponse> {
    const upstream = this.upstreams[call.drmSystem];
    if (upstream === undefined) throw new NotFound(`no ${call.drmSystem} licence server is configured here`);
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    const started = performance.now();
    let answer: LicenceAnswer;
    try {
      // The race makes the bound hold even for an upstream that ignores its signal.
      answer = await Promise.race([upstream.call({ ...call, signal }), aborted(signal)]);
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeout(this.config.timeoutMs);
      throw new UpstreamUnavailable({ cause: error });
    }
    onOutcome({
      upstreamStatus: answer.status,
      licenceBytes: answer.body.length,
      upstreamMs: Math.round(performance.now() - started),
    });
    const credentialRefused = upstream.credentialRefusedStatuses ?? DEFAULT_CREDENTIAL_REFUSED_STATUSES;
    if (credentialRefused.includes(answer.status)) throw new UpstreamCredentialRefused();
    if (answer.status >= 500) throw new UpstreamBadAnswer(`the licence server failed (HTTP ${answer.status})`);
    if (answer.status === 400)
      throw new InvalidRequest('the licence server found the licence request malformed (HTTP 400)');
    if (answer.status === 413) throw new PayloadTooLarge();
    if (answer.status >= 400)
      throw new LicenceRefused(`the licence server refused this request (HTTP ${answer.status})`);
    if (answer.status !== 200)
      throw new UpstreamBadAnswer(`the licence server answered HTTP ${answer.status}, not a licence`);
    if (answer.body.length === 0) throw new UpstreamBadAnswer('the licence server answered an empty licence');
    if (answer.body.length > this.config.maxAnswerBytes)
      throw new UpstreamBadAnswer(`the licence server answered more than ${this.config.maxAnswerBytes} bytes`);
    if (call.drmSystem === 'clearkey') checkClearKeyLicence(call.body, answer.body);
    const contentType = answer.contentType ?? 'application/octet-stream';
    const textual = /^application\/json\b|^text\//i.test(contentType);
    return {
      statusCode: 200,
      headers: { 'content-type': contentType, 'cache-control': 'no-store' },
      body: answer.body.toString(textual ? 'utf8' : 'base64'),
      isBase64Encoded: !textual,
    };
  }
}

/** The key ids (lower-case hex) of a W3C EME ClearKey licence request; 400 for anything else. */
export function clearKeyIds(body: Buffer): string[] {
  const kids = parseClearKeyRequest(body);
  if (typeof kids === 'string')
    throw new InvalidRequest(`not a W3C ClearKey licence request (${kids}); send ${CLEARKEY_REQUEST_SHAPE}`);
  return kids.map((kid) => Buffer.from(kid, 'base64url').toString('hex'));
}

/**
 * A ClearKey licence must hold keys of the requested key ids only: a licence server that answers
 * more (a bug, a misrouted video) must not hand a viewer keys nobody asked the proxy for.
 */
function checkClearKeyLicence(request: Buffer, licence: Buffer): void {
  const asked = new Set(clearKeyIds(request));
  let keys: unknown;
  try {
    keys = (JSON.parse(licence.toString('utf8')) as { keys?: unknown }).keys;
  } catch {
    throw new UpstreamBadAnswer('the licence server answered something that is not a ClearKey licence');
  }
  if (!Array.isArray(keys) || keys.length === 0)
    throw new UpstreamBadAnswer('the licence server answered a ClearKey licence without keys');
  for (const key of keys) {
    const kid = (key as { kid?: unknown } | null)?.kid;
    if (typeof kid !== 'string' || !asked.has(Buffer.from(kid, 'base64url').toString('hex')))
      throw new UpstreamBadAnswer('the licence server answered a key that was not asked for');
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
