/**
 * A local SPEKE v2.0 key provider: the encryptor (here the local content packaging, deployed
 * MediaPackage) POSTs a CPIX 2.3 document naming the content (`contentId`, the video id) and the
 * key ids it wants; the provider answers with the same document, each content key filled in
 * (`pskc:PlainValue`) and, for each ClearKey DRM system, the `pssh` box, the DASH
 * ContentProtection data and the HLS key tags. Keys are made on first request and kept in the
 * local key file, where the ClearKey licence server reads them: one store, as a DRM vendor has.
 *
 * Errors follow MediaPackage's SPEKE v2.0 guidance: 422 with the named messages for contract
 * violations (https://docs.aws.amazon.com/mediapackage/latest/userguide/implementing-speke-v2.html).
 * Only `cenc` and the ClearKey system are supported, which is what the local encrypter makes.
 */
import { VIDEO_ID } from '../../lambda/core/entitlement-rules';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLSerializer } from '@xmldom/xmldom';
import { clearKeyHlsKeyTag, clearKeyPsshPayload } from './cenc-encrypter';
import {
  CLEARKEY_SYSTEM_ID_UUID,
  CPIX_NS,
  CPIX_VERSION,
  CpixError,
  cpixChildren,
  idOfUuid,
  PSKC_NS,
  parseStrictXml,
  SPEKE_VERSION,
} from './cpix';
import type { DrmKeyFile } from './drm-keys';
import { readBounded, serveOnLoopback } from './loopback-http';
import { boxBytes } from './mp4-boxes';

export const SPEKE_PATH = '/speke/v2.0/copyProtection';
export const MAX_CPIX_BYTES = 64 * 1024;
export const SPEKE_USER_AGENT = 'streamgate-local-speke/1';
/** A content id is a video id. */
const CONTENT_ID = VIDEO_ID;

export interface SpekeAnswer {
  status: number;
  /** XML for a 200, a one-line message otherwise. */
  body: string;
  headers: Record<string, string>;
}

/** A contract violation: the status and the message MediaPackage documents for it. */
class SpekeRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SpekeKeyProvider {
  constructor(private readonly store: DrmKeyFile) {}

  /** The answer to one CPIX request; `spekeVersion` is the request's X-Speke-Version header. */
  answer(body: string | Uint8Array, spekeVersion: string | undefined): SpekeAnswer {
    try {
      if (spekeVersion !== SPEKE_VERSION) throw new SpekeRefusal(422, 'Unsupported SPEKE version');
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
      if (bytes.length > MAX_CPIX_BYTES)
        throw new SpekeRefusal(413, `a CPIX request is at most ${MAX_CPIX_BYTES} bytes`);
      const xml = this.fill(bytes.toString('utf8'));
      return {
        status: 200,
        body: xml,
        headers: {
          'content-type': 'application/xml',
          'x-speke-version': SPEKE_VERSION,
          'x-speke-user-agent': SPEKE_USER_AGENT,
        },
      };
    } catch (error) {
      const refusal =
        error instanceof SpekeRefusal
          ? error
          : error instanceof CpixError
            ? new SpekeRefusal(400, error.message)
            : new SpekeRefusal(500, 'key provider error');
      return {
        status: refusal.status,
        body: refusal.message,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'x-speke-user-agent': SPEKE_USER_AGENT },
      };
    }
  }

  /** The request document with keys and signalling filled in. */
  private fill(text: string): string {
    const doc = parseStrictXml(text);
    const root = doc.documentElement as Element;
    if (root.localName !== 'CPIX' || root.namespaceURI !== CPIX_NS) throw new SpekeRefusal(400, 'not a CPIX document');
    const contentId = root.getAttribute('contentId');
    if (!contentId) throw new SpekeRefusal(422, 'Missing CPIX@contentId');
    const version = root.getAttribute('version');
    if (!version) throw new SpekeRefusal(422, 'Missing CPIX@version');
    if (version !== CPIX_VERSION) throw new SpekeRefusal(422, 'Unsupported CPIX@version');
    if (!CONTENT_ID.test(contentId))
      throw new SpekeRefusal(422, 'Unsupported CPIX@contentId (1-128 of A-Z a-z 0-9 _ -)');

    const [keyList, ...extraKeyLists] = cpixChildren(root, 'ContentKeyList');
    const contentKeys = keyList === undefined ? [] : cpixChildren(keyList, 'ContentKey');
    if (contentKeys.length === 0 || extraKeyLists.length > 0) throw new SpekeRefusal(422, 'Missing ContentKeyList');
    const schemes = new Set<string>();
    const kids = new Map<string, Buffer>();
    for (const element of contentKeys) {
      const uuid = element.getAttribute('kid') ?? '';
      const kid = idOfUuid(uuid);
      if (kid === undefined) throw new SpekeRefusal(422, `Invalid ContentKey@kid ${uuid.slice(0, 40)}`);
      const scheme = element.getAttribute('commonEncryptionScheme');
      if (!scheme) throw new SpekeRefusal(422, `Missing ContentKey@commonEncryptionScheme for KID ${uuid}`);
      schemes.add(scheme);
      kids.set(uuid.toLowerCase(), kid);
    }
    if (schemes.size > 1) throw new SpekeRefusal(422, 'Non compliant ContentKey@commonEncryptionScheme combination');
    if (!schemes.has('cenc')) throw new SpekeRefusal(422, 'Unsupported ContentKey@commonEncryptionScheme (cenc only)');

    const [systemList] = cpixChildren(root, 'DRMSystemList');
    const systems = systemList === undefined ? [] : cpixChildren(systemList, 'DRMSystem');
    for (const system of systems) {
      if (system.getAttribute('systemId')?.toLowerCase() !== CLEARKEY_SYSTEM_ID_UUID)
        throw new SpekeRefusal(
          422,
          `Unsupported DRMSystem@systemId ${String(system.getAttribute('systemId')).slice(0, 40)}`,
        );
      if (!kids.has(String(system.getAttribute('kid')).toLowerCase()))
        throw new SpekeRefusal(422, 'DRMSystem@kid is not in the ContentKeyList');
    }

    // Every check passed: only now are keys made (and stored).
    for (const element of contentKeys) {
      const kid = kids.get(String(element.getAttribute('kid')).toLowerCase()) as Buffer;
      let key: Buffer;
      try {
        key = this.store.keyFor(contentId, kid).key;
      } catch {
        throw new SpekeRefusal(422, `KID ${element.getAttribute('kid')} is already used by another content`);
      }
      for (const old of cpixChildren(element, 'Data')) element.removeChild(old);
      const data = doc.createElementNS(CPIX_NS, 'cpix:Data');
      const secret = doc.createElementNS(PSKC_NS, 'pskc:Secret');
      const plain = doc.createElementNS(PSKC_NS, 'pskc:PlainValue');
      plain.appendChild(doc.createTextNode(key.toString('base64')));
      secret.appendChild(plain);
      data.appendChild(secret);
      element.appendChild(data);
    }
    for (const system of systems) {
      const kid = kids.get(String(system.getAttribute('kid')).toLowerCase()) as Buffer;
      const pssh = boxBytes('pssh', clearKeyPsshPayload(kid));
      const fillText = (element: Element, bytes: Buffer | string) => {
        while (element.firstChild !== null) element.removeChild(element.firstChild);
        element.appendChild(doc.createTextNode(Buffer.from(bytes).toString('base64')));
      };
      for (const element of cpixChildren(system, 'PSSH')) fillText(element, pssh);
      for (const element of cpixChildren(system, 'ContentProtectionData')) {
        fillText(element, `<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">${pssh.toString('base64')}</cenc:pssh>`);
      }
      for (const element of cpixChildren(system, 'HLSSignalingData')) {
        const playlist = element.getAttribute('playlist');
        fillText(element, clearKeyHlsKeyTag(kid, playlist === 'master' ? 'EXT-X-SESSION-KEY' : 'EXT-X-KEY'));
      }
    }
    return new XMLSerializer().serializeToString(doc);
  }
}

// ---- HTTP ----------------------------------------------------------------------------------------

export interface SpekeHttpOptions {
  /** A header the caller must send with this value (deployed, API Gateway checks SigV4 instead). */
  credential?: { header: string; value: string };
}

export function spekeHttpHandler(
  provider: SpekeKeyProvider,
  options: SpekeHttpOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const send = (answer: SpekeAnswer): void => {
      res
        .writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) })
        .end(answer.body);
    };
    const plain = (status: number, message: string, extra: Record<string, string> = {}) =>
      send({ status, body: message, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra } });
    if ((req.url ?? '').split('?')[0] !== SPEKE_PATH) return plain(404, 'not found');
    if (req.method !== 'POST') return plain(405, 'POST a CPIX document', { allow: 'POST' });
    if (options.credential !== undefined) {
      const sent = req.headers[options.credential.header.toLowerCase()];
      const expected = Buffer.from(options.credential.value);
      if (
        typeof sent !== 'string' ||
        sent.length !== expected.length ||
        !timingSafeEqual(Buffer.from(sent), expected)
      ) {
        req.resume();
        return plain(401, 'missing or wrong credential');
      }
    }
    if (!/^(application|text)\/xml\b/i.test(String(req.headers['content-type'] ?? ''))) {
      req.resume();
      return plain(415, 'Content-Type must be application/xml');
    }
    const body = await readBounded(req, MAX_CPIX_BYTES);
    if (body === undefined)
      return plain(413, `a CPIX request is at most ${MAX_CPIX_BYTES} bytes`, { connection: 'close' });
    const version = req.headers['x-speke-version'];
    send(provider.answer(body, typeof version === 'string' ? version : undefined));
  };
}

export interface RunningSpekeServer {
  /** The copyProtection URL. */
  url: string;
  close(): Promise<void>;
}

export async function startSpekeServer(
  provider: SpekeKeyProvider,
  options: SpekeHttpOptions & { port?: number } = {},
): Promise<RunningSpekeServer> {
  const running = await serveOnLoopback(spekeHttpHandler(provider, options), options.port);
  return { url: `${running.origin}${SPEKE_PATH}`, close: running.close };
}
