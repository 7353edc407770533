/**
 * The key-group file loader: accepts what CloudFront would accept in a key group (SPKI PEM,
 * RSA-2048 or EC P-256, at most 5 keys) and fails with an error naming the file and the entry.
 * Key files are written to a temp directory and hold public keys only.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyGroupError, MAX_KEYS_PER_KEY_GROUP, loadKeyGroupFile, parseKeyGroup } from '../../local/edge/key-group';
import { generateTestKey, publicKeyPemOf } from './edge-test-kit';

const rsa = generateTestKey('RSA-2048', 'K2RSAKEYGROUP');
const ec = generateTestKey('EC P-256', 'K2ECKEYGROUP');
const entry = (id: string, publicKeyPem: string) => ({ id, publicKeyPem });

function spkiPem(kind: 'rsa' | 'ec', size: number | string): string {
  const { publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: Number(size) })
      : generateKeyPairSync('ec', { namedCurve: String(size) });
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function expectKeyGroupError(run: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KeyGroupError);
  const error = caught as KeyGroupError;
  expect(error.code).toBe('ERR_KEY_GROUP');
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

describe('parseKeyGroup', () => {
  it('accepts RSA-2048 and EC P-256 SPKI keys and indexes them by id', () => {
    const keys = parseKeyGroup(
      { keys: [entry(rsa.id, publicKeyPemOf(rsa)), entry(ec.id, publicKeyPemOf(ec))] },
      'kg.json',
    );
    expect([...keys.keys()]).toEqual([rsa.id, ec.id]);
    expect(keys.get(rsa.id)?.publicKey.asymmetricKeyType).toBe('rsa');
    expect(keys.get(ec.id)?.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('accepts CRLF line endings and surrounding whitespace in the PEM', () => {
    const pem = `\n  ${publicKeyPemOf(ec).replace(/\n/g, '\r\n')}  \n`;
    expect(parseKeyGroup({ keys: [entry(ec.id, pem)] }, 'kg.json').size).toBe(1);
  });

  it(`accepts ${MAX_KEYS_PER_KEY_GROUP} keys and refuses ${MAX_KEYS_PER_KEY_GROUP + 1} (CloudFront key group quota)`, () => {
    const pem = publicKeyPemOf(ec);
    const keys = (n: number) => Array.from({ length: n }, (_, i) => entry(`K2EC${i}`, pem));
    expect(parseKeyGroup({ keys: keys(MAX_KEYS_PER_KEY_GROUP) }, 'kg.json').size).toBe(MAX_KEYS_PER_KEY_GROUP);
    expectKeyGroupError(
      () => parseKeyGroup({ keys: keys(MAX_KEYS_PER_KEY_GROUP + 1) }, 'kg.json'),
      'kg.json',
      '6 keys',
      'at most 5',
    );
  });

  it.each([
    ['an RSA-4096 key', () => spkiPem('rsa', 4096), 'RSA-4096'],
    ['an RSA-1024 key', () => spkiPem('rsa', 1024), 'RSA-1024'],
    ['an EC P-384 key', () => spkiPem('ec', 'secp384r1'), 'secp384r1'],
    [
      'an Ed25519 key',
      () => generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'ed25519',
    ],
  ])('refuses %s, naming the file and the entry', (_what, makePem, detail) => {
    const json = { keys: [entry(ec.id, publicKeyPemOf(ec)), entry('K2BADKEY', makePem())] };
    expectKeyGroupError(() => parseKeyGroup(json, 'kg.json'), 'kg.json', 'keys[1] (id "K2BADKEY")', detail);
  });

  it('refuses a PKCS#1 RSA public key: SPKI only', () => {
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    expectKeyGroupError(
      () => parseKeyGroup({ keys: [entry('K2PKCS1', pkcs1)] }, 'kg.json'),
      'keys[0]',
      'BEGIN RSA PUBLIC KEY',
      'SPKI',
    );
  });

  it('refuses a private key without echoing it', () => {
    const privatePem = rsa.privateKeyPem;
    let message = '';
    try {
      parseKeyGroup({ keys: [entry('K2OOPS', privatePem)] }, 'kg.json');
    } catch (err) {
      message = err instanceof Error ? err.message : '';
    }
    expect(message).toContain('PRIVATE key');
    expect(message).not.toContain(privatePem.split('\n')[1]);
  });

  it('refuses two PEM blocks in one entry and text that is not PEM', () => {
    const two = `${publicKeyPemOf(ec)}${publicKeyPemOf(rsa)}`;
    expectKeyGroupError(() => parseKeyGroup({ keys: [entry('K2TWO', two)] }, 'kg.json'), 'more than one block');
    expectKeyGroupError(() => parseKeyGroup({ keys: [entry('K2NONE', 'hello')] }, 'kg.json'), 'no PEM block');
  });

  it('refuses a PEM whose base64 body is not a key', () => {
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----';
    expectKeyGroupError(
      () => parseKeyGroup({ keys: [entry('K2BROKEN', broken)] }, 'kg.json'),
      'keys[0] (id "K2BROKEN")',
      'not a readable public key',
    );
  });

  it.each(['k2lowercase', 'K2-DASH', '', 'K'.repeat(65)])('refuses the id %p', (id) => {
    expectKeyGroupError(
      () => parseKeyGroup({ keys: [entry(id, publicKeyPemOf(ec))] }, 'kg.json'),
      'kg.json',
      'keys[0]',
      '"id" must match',
    );
  });

  it('accepts a 64-character id', () => {
    expect(parseKeyGroup({ keys: [entry('K'.repeat(64), publicKeyPemOf(ec))] }, 'kg.json').size).toBe(1);
  });

  it('refuses a duplicate id', () => {
    const pem = publicKeyPemOf(ec);
    expectKeyGroupError(
      () => parseKeyGroup({ keys: [entry('K2SAME', pem), entry('K2SAME', pem)] }, 'kg.json'),
      'keys[1] (id "K2SAME")',
      'duplicate id',
    );
  });

  it.each<[string, unknown, string]>([
    ['a non-object', [], 'expected a JSON object'],
    ['no keys', {}, '"keys" must be a non-empty array'],
    ['an empty key list', { keys: [] }, '"keys" must be a non-empty array'],
    ['an unknown top-level field', { keys: [], comment: 'x' }, 'unknown field "comment"'],
    ['an entry that is not an object', { keys: ['K2ABC'] }, 'keys[0]'],
    ['an entry with a misspelt field', { keys: [{ id: 'K2ABC', publicKeyPEM: 'x' }] }, 'unknown field "publicKeyPEM"'],
    ['an entry without a PEM', { keys: [{ id: 'K2ABC' }] }, '"publicKeyPem" must be a string'],
  ])('refuses %s', (_what, json, detail) => {
    expectKeyGroupError(() => parseKeyGroup(json, 'kg.json'), 'kg.json', detail);
  });
});

describe('loadKeyGroupFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'streamgate-edge-kg-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the committed fixture key group (the aws-sdk-js-v3 test public key)', () => {
    const keys = loadKeyGroupFile(join(__dirname, '..', 'fixtures', 'edge', 'key-group.sdk-test.json'));
    expect(keys.get('APKAEIBAERJR2EXAMPLE')?.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('loads a file written from generated keys', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(
      path,
      JSON.stringify({ keys: [entry(rsa.id, publicKeyPemOf(rsa)), entry(ec.id, publicKeyPemOf(ec))] }),
    );
    expect([...loadKeyGroupFile(path).keys()]).toEqual([rsa.id, ec.id]);
  });

  it('names the file when it cannot be read', () => {
    const path = join(dir, 'missing.json');
    expectKeyGroupError(() => loadKeyGroupFile(path), path, 'cannot read the file', 'ENOENT');
  });

  it('names the file when it is not JSON', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"keys": [');
    expectKeyGroupError(() => loadKeyGroupFile(path), path, 'not valid JSON');
  });

  it('names the file and the entry when an entry is invalid', () => {
    const path = join(dir, 'weak.json');
    writeFileSync(path, JSON.stringify({ keys: [entry('K2WEAK', spkiPem('rsa', 1024))] }));
    expectKeyGroupError(() => loadKeyGroupFile(path), path, 'keys[0] (id "K2WEAK")', 'RSA-1024');
  });

  it('refuses an empty path (an unset env var)', () => {
    expectKeyGroupError(() => loadKeyGroupFile(''), 'no key-group file path');
  });
});
