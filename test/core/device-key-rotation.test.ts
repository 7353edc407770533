/**
 * The device key rotation's four steps (lambda/core/device-key-rotation.ts) over a secret's
 * versions and the edge's store, with the real viewer-request function reading that store: a tag
 * made before a rotation keeps playing after it, a tag two rotations old does not, and a secret
 * that holds no ring yet (its random first value) rotates to one.
 */
import { deviceKeyName, deviceTag, deviceTraits, parseDeviceKeyRing } from '../../lambda/core/device-binding';
import { DEVICE_KEY_STEPS, rotateDeviceKeyStep } from '../../lambda/core/device-key-rotation';
import type { OriginSecretStore } from '../../lambda/core/origin-secret-rotation';
import { LocalKeyValueStore } from '../../local/edge/key-value-store';
import { ViewerRequestFunction } from '../../local/edge/viewer-request-function';

/** Secrets Manager's versions and stages, in memory (the AWS boundary). */
class Versions implements OriginSecretStore {
  values = new Map<string, string>();
  current: string | undefined;
  constructor(initial: string) {
    this.values.set('v0', initial);
    this.current = 'v0';
  }
  async versionValue(token: string) {
    return this.values.get(token);
  }
  async versionCreatedAt() {
    return 0;
  }
  async putPending(token: string, value: string) {
    this.values.set(token, value);
  }
  async currentVersion() {
    return this.current;
  }
  async promote(token: string) {
    this.current = token;
  }
}

const POLICY = 'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly92LmV4YW1wbGUuY29tL21lZGlhL2RlbW8tMS8qIn1dfQ__';
const HEADERS = { 'user-agent': 'Mozilla/5.0 Chrome/156.0', 'accept-language': 'en' };
const traits = deviceTraits((name) => HEADERS[name as keyof typeof HEADERS]);

test('tags play through one rotation, not two; the first rotation turns the random value into a ring', async () => {
  const secret = new Versions('random-first-value-that-is-not-a-ring-000000');
  const store = new LocalKeyValueStore();
  const edge = {
    putValues: async (entries: readonly { key: string; value: string }[]) => {
      for (const { key, value } of entries) store.setKey(key, value);
    },
    delete: async (keys: readonly string[]) => {
      for (const key of keys) store.deleteKey(key);
    },
  };
  const fn = ViewerRequestFunction.fromFile(undefined, {
    settings: { sites: null, missing: 'allow', device: true },
    keyValueStore: store,
  });
  const plays = async (tag: string) =>
    (
      await fn.run({
        version: '1.0',
        context: { eventType: 'viewer-request' },
        viewer: { ip: '203.0.113.7' },
        request: {
          method: 'GET',
          uri: '/media/demo-1/segment_001.m2ts',
          querystring: {},
          headers: {
            host: { value: 'v.example.com' },
            'user-agent': { value: HEADERS['user-agent'] },
            'accept-language': { value: HEADERS['accept-language'] },
          },
          cookies: { 'CloudFront-Policy': { value: POLICY }, 'Streamgate-Device': { value: tag } },
        },
      })
    ).kind === 'request';
  const rotate = async (token: string) => {
    for (const step of DEVICE_KEY_STEPS) {
      await rotateDeviceKeyStep(step, token, secret, edge);
      await rotateDeviceKeyStep(step, token, secret, edge); // Secrets Manager may repeat a step
    }
    const ring = parseDeviceKeyRing((await secret.versionValue(secret.current as string)) ?? '');
    if (typeof ring === 'string') throw new Error(ring);
    return ring;
  };

  const first = await rotate('t1');
  expect(first.previous).toBeUndefined();
  expect(store.get(deviceKeyName(first.current.kid))).toBe(first.current.secret);
  const tagged = deviceTag(first.current, POLICY, traits);
  expect(await plays(tagged)).toBe(true);

  const second = await rotate('t2');
  expect(second.previous).toEqual(first.current);
  expect(await plays(tagged)).toBe(true);
  expect(await plays(deviceTag(second.current, POLICY, traits))).toBe(true);

  const third = await rotate('t3');
  expect(third.previous).toEqual(second.current);
  expect(store.get(deviceKeyName(first.current.kid))).toBeUndefined();
  expect(await plays(tagged)).toBe(false);
  expect(store.size).toBe(2);
});
