/**
 * The local SPEKE v2.0 key provider over real loopback HTTP: a CPIX 2.3 request in, the same
 * document with the key and ClearKey signalling out, keys kept in the key file the licence
 * server reads; every contract violation refused with MediaPackage's documented message.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { keyRequestXml, readKeyResponse, uuidOf } from '../../local/drm/cpix';
import { DrmKeyFile, readDrmKeys } from '../../local/drm/drm-keys';
import { type RunningSpekeServer, SpekeKeyProvider, startSpekeServer } from '../../local/drm/speke-key-provider';
import { boxesIn } from './cenc-inspect';

const dir = mkdtempSync(join(tmpdir(), 'streamgate-speke-'));
const keyFile = join(dir, 'drm-keys.json');
const store = new DrmKeyFile(keyFile);
const CREDENTIAL = { header: 'x-speke-credential', value: randomBytes(18).toString('base64url') };
let server: RunningSpekeServer;

beforeAll(async () => {
  server = await startSpekeServer(new SpekeKeyProvider(store), { credential: CREDENTIAL });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function speke(
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/xml',
      'x-speke-version': '2.0',
      [CREDENTIAL.header]: CREDENTIAL.value,
      ...headers,
    },
    body,
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const CLEARKEY = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';
const WIDEVINE = 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed';

/** A request like MediaPackage's, with attributes of the root and the content key replaceable. */
function cpix(options: { root?: string; key?: string; systemId?: string; kid?: string } = {}): string {
  const kid = options.kid ?? uuidOf(randomBytes(16));
  const root = options.root ?? 'contentId="demo-7" version="2.3"';
  return `<?xml version="1.0" encoding="UTF-8"?>
<cpix:CPIX ${root} xmlns:cpix="urn:dashif:org:cpix" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">
  <cpix:ContentKeyList><cpix:ContentKey kid="${kid}" ${options.key ?? 'commonEncryptionScheme="cenc"'}></cpix:ContentKey></cpix:ContentKeyList>
  <cpix:DRMSystemList><cpix:DRMSystem kid="${kid}" systemId="${options.systemId ?? CLEARKEY}"><cpix:PSSH/><cpix:HLSSignalingData playlist="media"/></cpix:DRMSystem></cpix:DRMSystemList>
</cpix:CPIX>`;
}

describe('SPEKE v2.0 key provider', () => {
  it('fills in the content key and ClearKey signalling, with the SPEKE response headers', async () => {
    const kid = randomBytes(16);
    const { status, text, headers } = await speke(keyRequestXml('demo-7', kid));
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/xml');
    expect(headers.get('x-speke-version')).toBe('2.0');
    expect(headers.get('x-speke-user-agent')).toMatch(/streamgate/);
    const answer = readKeyResponse(text, 'demo-7', kid);
    expect(answer.key).toHaveLength(16);
    expect(answer.hlsKeyTag).toBe(
      `#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="org.w3.clearkey",KEYFORMATVERSIONS="1",URI="data:text/plain;base64,${kid.toString('base64')}",KEYID=0x${kid.toString('hex')}`,
    );
    const [pssh] = boxesIn(answer.pssh);
    expect(pssh.type).toBe('pssh');
    expect(answer.pssh.subarray(pssh.body + 4, pssh.body + 20).toString('hex')).toBe(CLEARKEY.replaceAll('-', ''));
    expect(answer.pssh.subarray(pssh.body + 24, pssh.body + 40)).toEqual(kid);
    // The document is the request's, filled in: DASH data and the multivariant playlist's tag too.
    const doc = new DOMParser().parseFromString(text, 'text/xml');
    const decode = (name: string, index = 0) =>
      Buffer.from(
        doc.getElementsByTagNameNS('urn:dashif:org:cpix', name)[index].textContent ?? '',
        'base64',
      ).toString();
    expect(decode('ContentProtectionData')).toContain('<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">');
    expect(decode('HLSSignalingData', 1)).toMatch(/^#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR,/);
    expect(doc.getElementsByTagNameNS('urn:dashif:org:cpix', 'ContentKeyUsageRule')).toHaveLength(1);
  });

  it('keeps the key in the 0600 key file, under the content id, and answers the same key again', async () => {
    const kid = randomBytes(16);
    const first = readKeyResponse((await speke(keyRequestXml('demo-8', kid))).text, 'demo-8', kid);
    const again = readKeyResponse((await speke(keyRequestXml('demo-8', kid))).text, 'demo-8', kid);
    expect(again.key).toEqual(first.key);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readDrmKeys(keyFile)?.get('demo-8')).toEqual([{ kid, key: first.key }]);
  });

  it('refuses, 422, a key id already used by another content', async () => {
    const kid = randomBytes(16);
    expect((await speke(keyRequestXml('demo-7', kid))).status).toBe(200);
    const { status, text } = await speke(keyRequestXml('demo-9', kid));
    expect(status).toBe(422);
    expect(text).toBe(`KID ${uuidOf(kid)} is already used by another content`);
    expect(readDrmKeys(keyFile)?.get('demo-9')).toBeUndefined();
  });

  it.each([
    ['Missing CPIX@contentId', cpix({ root: 'version="2.3"' })],
    ['Missing CPIX@version', cpix({ root: 'contentId="demo-7"' })],
    ['Unsupported CPIX@version', cpix({ root: 'contentId="demo-7" version="2.2"' })],
    ['Unsupported CPIX@contentId', cpix({ root: 'contentId="../demo-7" version="2.3"' })],
    ['Missing ContentKey@commonEncryptionScheme for KID', cpix({ key: '' })],
    ['Unsupported ContentKey@commonEncryptionScheme', cpix({ key: 'commonEncryptionScheme="cbcs"' })],
    ['Unsupported DRMSystem@systemId', cpix({ systemId: WIDEVINE })],
    ['Invalid ContentKey@kid', cpix({ kid: 'not-a-uuid' })],
  ])('refuses, 422 "%s"', async (message, body) => {
    const { status, text } = await speke(body);
    expect(status).toBe(422);
    expect(text.startsWith(message)).toBe(true);
  });

  it('refuses, 422, mixed encryption schemes', async () => {
    const [a, b] = [uuidOf(randomBytes(16)), uuidOf(randomBytes(16))];
    const body = `<cpix:CPIX contentId="demo-7" version="2.3" xmlns:cpix="urn:dashif:org:cpix"><cpix:ContentKeyList>
      <cpix:ContentKey kid="${a}" commonEncryptionScheme="cenc"/><cpix:ContentKey kid="${b}" commonEncryptionScheme="cbcs"/>
      </cpix:ContentKeyList></cpix:CPIX>`;
    expect(await speke(body)).toEqual(
      expect.objectContaining({ status: 422, text: 'Non compliant ContentKey@commonEncryptionScheme combination' }),
    );
  });

  it('refuses, 422 "Unsupported SPEKE version", a missing or other X-Speke-Version, before reading the document', async () => {
    for (const version of ['1.0', '2.1', '']) {
      const { status, text } = await speke(keyRequestXml('demo-7', randomBytes(16)), { 'x-speke-version': version });
      expect([status, text]).toEqual([422, 'Unsupported SPEKE version']);
    }
  });

  it.each([
    ['not XML', 'hello'],
    ['unclosed elements', '<cpix:CPIX xmlns:cpix="urn:dashif:org:cpix"><cpix:ContentKeyList>'],
    ['a DTD (entity expansion)', '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'],
    ['another root element', '<CPIX contentId="demo-7" version="2.3"/>'],
    ['an empty body', ''],
  ])('refuses, 400, %s', async (_name, body) => {
    expect((await speke(body)).status).toBe(400);
  });

  it('refuses 401 without the credential, 405 for GET, 415 without an XML content type, 413 over 64 KiB', async () => {
    expect((await speke(keyRequestXml('demo-7', randomBytes(16)), { [CREDENTIAL.header]: 'wrong' })).status).toBe(401);
    expect((await fetch(server.url, { headers: { [CREDENTIAL.header]: CREDENTIAL.value } })).status).toBe(405);
    expect((await speke(keyRequestXml('demo-7', randomBytes(16)), { 'content-type': 'application/json' })).status).toBe(
      415,
    );
    expect((await speke(`${keyRequestXml('demo-7', randomBytes(16))}<!--${'x'.repeat(70_000)}-->`)).status).toBe(413);
  });

  it('makes no key for a refused request', async () => {
    const before = JSON.stringify([...(readDrmKeys(keyFile) ?? [])].map(([id, keys]) => [id, keys.length]));
    await speke(cpix({ systemId: WIDEVINE }));
    await speke(cpix({ root: 'contentId="demo-7" version="2.2"' }));
    const after = JSON.stringify([...(readDrmKeys(keyFile) ?? [])].map(([id, keys]) => [id, keys.length]));
    expect(after).toBe(before);
  });
});
