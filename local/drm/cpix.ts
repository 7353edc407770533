/**
 * CPIX 2.3 documents as SPEKE v2.0 exchanges them (the contract MediaPackage uses with its key
 * provider, https://docs.aws.amazon.com/speke/latest/documentation/the-speke-api-v2.html): the
 * encryptor's request for one video's content key with ClearKey signalling, and reading the key
 * provider's answer. XML is parsed strictly with @xmldom/xmldom: any warning or error, a DTD,
 * or no root element is a refusal.
 */
import { VIDEO_ID } from '../../lambda/core/entitlement-rules';
import { DOMParser } from '@xmldom/xmldom';
import { CLEARKEY_SYSTEM_ID } from './cenc-encrypter';
import { readBoxes } from './mp4-boxes';

export const CPIX_NS = 'urn:dashif:org:cpix';
export const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
export const CPIX_VERSION = '2.3';
export const SPEKE_VERSION = '2.0';
export const CLEARKEY_SYSTEM_ID_UUID = uuidOf(CLEARKEY_SYSTEM_ID);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CpixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CpixError';
  }
}

/** A 16-byte id as CPIX writes it: a UUID. */
export function uuidOf(id: Buffer): string {
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The 16 bytes of a UUID, or undefined when it is not one. */
export function idOfUuid(uuid: string | null | undefined): Buffer | undefined {
  return typeof uuid === 'string' && UUID.test(uuid) ? Buffer.from(uuid.replaceAll('-', ''), 'hex') : undefined;
}

/** Parses `text` as XML, refusing anything xmldom warns about, a DTD (no entity tricks) and an empty document. */
export function parseStrictXml(text: string): Document {
  const fail = (message: string): never => {
    throw new CpixError(`not well-formed XML (${String(message).split('\n')[0].replace(/\s+/g, ' ').slice(0, 120)})`);
  };
  if (/<!DOCTYPE/i.test(text)) throw new CpixError('a DTD is not allowed');
  let doc: Document;
  try {
    doc = new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(
      text,
      'text/xml',
    );
  } catch (error) {
    if (error instanceof CpixError) throw error;
    throw new CpixError(`not well-formed XML (${error instanceof Error ? error.message.slice(0, 120) : 'unknown'})`);
  }
  if (doc.documentElement === null || doc.documentElement === undefined) throw new CpixError('no root element');
  return doc;
}

/** Child elements of `parent` in the CPIX namespace named `localName`. */
export function cpixChildren(parent: Element, localName: string, ns = CPIX_NS): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns)
      found.push(node as Element);
  }
  return found;
}

/**
 * The encryptor's request for `videoId`'s content key `kid` (cenc), with ClearKey signalling: the
 * `pssh` box and the HLS key tags for media and multivariant playlists.
 */
export function keyRequestXml(videoId: string, kid: Buffer): string {
  if (!VIDEO_ID.test(videoId)) throw new CpixError('a content id is 1-128 of A-Z a-z 0-9 _ -');
  if (kid.length !== 16) throw new CpixError('a key id is 16 bytes');
  const id = uuidOf(kid);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<cpix:CPIX contentId="${videoId}" version="${CPIX_VERSION}" xmlns:cpix="${CPIX_NS}" xmlns:pskc="${PSKC_NS}">`,
    '<cpix:ContentKeyList>',
    `<cpix:ContentKey kid="${id}" commonEncryptionScheme="cenc"></cpix:ContentKey>`,
    '</cpix:ContentKeyList>',
    '<cpix:DRMSystemList>',
    `<cpix:DRMSystem kid="${id}" systemId="${CLEARKEY_SYSTEM_ID_UUID}">`,
    '<cpix:PSSH/>',
    '<cpix:ContentProtectionData/>',
    '<cpix:HLSSignalingData playlist="media"></cpix:HLSSignalingData>',
    '<cpix:HLSSignalingData playlist="master"></cpix:HLSSignalingData>',
    '</cpix:DRMSystem>',
    '</cpix:DRMSystemList>',
    '<cpix:ContentKeyPeriodList><cpix:ContentKeyPeriod id="keyPeriod_0" index="0"/></cpix:ContentKeyPeriodList>',
    '<cpix:ContentKeyUsageRuleList>',
    `<cpix:ContentKeyUsageRule kid="${id}" intendedTrackType="VIDEO">`,
    '<cpix:KeyPeriodFilter periodId="keyPeriod_0"/><cpix:VideoFilter/>',
    '</cpix:ContentKeyUsageRule>',
    '</cpix:ContentKeyUsageRuleList>',
    '</cpix:CPIX>',
  ].join('\n');
}

export interface KeyResponse {
  key: Buffer;
  /** The whole `pssh` box to put in the init segment. */
  pssh: Buffer;
  /** The `#EXT-X-KEY` line for the media playlist. */
  hlsKeyTag: string;
}

/** The content key and ClearKey signalling for `kid` from a key provider's CPIX answer, checked. */
export function readKeyResponse(xml: string, videoId: string, kid: Buffer): KeyResponse {
  const root = parseStrictXml(xml).documentElement as Element;
  if (root.localName !== 'CPIX' || root.namespaceURI !== CPIX_NS)
    throw new CpixError('the answer is not a CPIX document');
  if (root.getAttribute('contentId') !== videoId) throw new CpixError('the answer is for another contentId');
  const id = uuidOf(kid);
  const [keyList] = cpixChildren(root, 'ContentKeyList');
  const contentKey =
    keyList === undefined ? undefined : cpixChildren(keyList, 'ContentKey').find((e) => e.getAttribute('kid') === id);
  const [data] = contentKey === undefined ? [] : cpixChildren(contentKey, 'Data');
  const [secret] = data === undefined ? [] : cpixChildren(data, 'Secret', PSKC_NS);
  const [plain] = secret === undefined ? [] : cpixChildren(secret, 'PlainValue', PSKC_NS);
  const key = base64Exact(plain?.textContent, 'the content key');
  if (key.length !== 16) throw new CpixError('the content key is not 16 bytes');
  const [systemList] = cpixChildren(root, 'DRMSystemList');
  const system = (systemList === undefined ? [] : cpixChildren(systemList, 'DRMSystem')).find(
    (e) => e.getAttribute('kid') === id && e.getAttribute('systemId')?.toLowerCase() === CLEARKEY_SYSTEM_ID_UUID,
  );
  if (system === undefined) throw new CpixError('no ClearKey DRMSystem for the key id');
  const pssh = base64Exact(cpixChildren(system, 'PSSH')[0]?.textContent, 'the PSSH');
  const boxes = readBoxes(pssh);
  if (boxes.length !== 1 || boxes[0].type !== 'pssh' || !pssh.includes(kid) || !pssh.includes(CLEARKEY_SYSTEM_ID))
    throw new CpixError('the PSSH is not a ClearKey pssh box naming the key id');
  const media = cpixChildren(system, 'HLSSignalingData').find((e) => e.getAttribute('playlist') === 'media');
  const hlsKeyTag = base64Exact(media?.textContent, 'the media HLSSignalingData').toString('utf8');
  if (!hlsKeyTag.startsWith('#EXT-X-KEY:') || !hlsKeyTag.includes(`KEYID=0x${kid.toString('hex')}`))
    throw new CpixError('the media HLSSignalingData is not a key tag naming the key id');
  return { key, pssh, hlsKeyTag };
}

/** Bytes of a base64 text node, refusing anything that does not round-trip. */
function base64Exact(text: string | null | undefined, what: string): Buffer {
  const trimmed = (text ?? '').trim();
  const bytes = Buffer.from(trimmed, 'base64');
  if (trimmed === '' || bytes.toString('base64') !== trimmed) throw new CpixError(`${what} is missing or not base64`);
  return bytes;
}
