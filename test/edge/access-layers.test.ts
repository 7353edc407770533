/**
 * Domain restriction and device binding in the viewer-request function as deployed (the minified
 * build with the deployment's settings, lib/viewer-request-code.ts), against the API's own
 * modules: the function and lambda/core/domain-restriction.ts decide every case alike, and a
 * device tag made by lambda/core/device-binding.ts opens only the grant and browser it was made for.
 */
import { type DomainRestriction, foreignSite } from '../../lambda/core/domain-restriction';
import { type DeviceKey, deviceKeyName, deviceTag, deviceTraits } from '../../lambda/core/device-binding';
import { type EdgeFunctionSettings, viewerRequestCode } from '../../lib/viewer-request-code';
import { unsupportedSyntax } from '../../local/edge/cloudfront-js-syntax';
import {
  type FieldValue,
  ViewerRequestFunction,
  type ViewerRequestEvent,
  type ViewerRequestOutcome,
} from '../../local/edge/viewer-request-function';

const HOST = 'video.example.com';
const SITES = ['https://www.example.com', 'https://partner.example.net:8443'];
const POLICY = 'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly92aWRlby5leGFtcGxlLmNvbS9tZWRpYS9kZW1vLTEvKiJ9XX0_';
const OTHER_POLICY = 'eyJTdGF0ZW1lbnQiOlt7IlJlc291cmNlIjoiaHR0cHM6Ly92aWRlby5leGFtcGxlLmNvbS9tZWRpYS9kZW1vLTIvKiJ9XX0_';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';

function fields(values: Record<string, string | undefined>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) out[name] = { value };
  return out;
}

function event(
  headers: Record<string, string | undefined>,
  extra: { cookies?: Record<string, string>; query?: Record<string, string> } = {},
): ViewerRequestEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '203.0.113.7' },
    request: {
      method: 'GET',
      uri: '/media/demo-1/segment_001.m2ts',
      querystring: fields(extra.query ?? {}),
      headers: fields({ host: HOST, ...headers }),
      cookies: fields(extra.cookies ?? {}),
    },
  };
}

function load(settings: EdgeFunctionSettings, store = new Map<string, string>()): ViewerRequestFunction {
  return ViewerRequestFunction.fromFile(undefined, { settings, keyValueStore: { get: (key) => store.get(key) } });
}

function denied(outcome: ViewerRequestOutcome): string | undefined {
  if (outcome.kind === 'request') return undefined;
  if (outcome.kind === 'error') throw new Error(outcome.reason);
  expect(outcome.statusCode).toBe(403);
  return outcome.headers.find(([name]) => name === 'x-streamgate-denied')?.[1] ?? '';
}

/** [name, headers] cases over every combination the rules read. */
const SITE_CASES: [string, { origin?: string; referer?: string; 'sec-fetch-site'?: string }][] = [
  ['an allowed Origin (cross-site)', { origin: 'https://www.example.com', 'sec-fetch-site': 'cross-site' }],
  ['an allowed Origin with its port', { origin: 'https://partner.example.net:8443' }],
  ['the same site on another port', { origin: 'https://partner.example.net' }],
  ['a foreign Origin', { origin: 'https://pirate.example.org', 'sec-fetch-site': 'cross-site' }],
  ['Origin null (sandboxed page)', { origin: 'null' }],
  ['an allowed Origin in upper case', { origin: 'HTTPS://WWW.EXAMPLE.COM' }],
  ['http instead of https for a listed site', { origin: 'http://www.example.com' }],
  [
    "the service's own page, same-origin (Referer only)",
    { referer: `https://${HOST}/player`, 'sec-fetch-site': 'same-origin' },
  ],
  ['an allowed Referer, origin-only', { referer: 'https://www.example.com/' }],
  ['a foreign Referer', { referer: 'https://pirate.example.org/watch?v=1' }],
  [
    'an allowed Origin but a foreign Referer',
    { origin: 'https://www.example.com', referer: 'https://pirate.example.org/' },
  ],
  ['a lookalike host', { origin: 'https://www.example.com.pirate.example.org' }],
  ['cross-site with no Origin or Referer (no-referrer page)', { 'sec-fetch-site': 'cross-site' }],
  ['same-site with no Origin or Referer', { 'sec-fetch-site': 'same-site' }],
  ['same-origin with no Origin or Referer', { 'sec-fetch-site': 'same-origin' }],
  ['a typed URL (Sec-Fetch-Site none)', { 'sec-fetch-site': 'none' }],
  ['none of the three headers (native app)', {}],
];

describe.each(['allow', 'deny'] as const)('domain restriction, missing headers: %s', (missing) => {
  const restriction: DomainRestriction = { sites: SITES, missing };
  const fn = load({ sites: SITES, missing, device: false });

  it.each(SITE_CASES)('decides %s as the API does', async (_name, headers) => {
    const api = foreignSite(
      { origin: headers.origin, referer: headers.referer, secFetchSite: headers['sec-fetch-site'], host: HOST },
      restriction,
    );
    const edge = denied(await fn.run(event(headers)));
    expect(edge).toBe(api === undefined ? undefined : 'foreign-site');
  });

  it('refuses a foreign page and plays the allowed one, and its own', async () => {
    expect(denied(await fn.run(event({ origin: 'https://pirate.example.org' })))).toBe('foreign-site');
    expect(denied(await fn.run(event({ origin: 'https://www.example.com' })))).toBeUndefined();
    expect(denied(await fn.run(event({ referer: `https://${HOST}/` })))).toBeUndefined();
  });

  it(`${missing === 'allow' ? 'plays' : 'refuses'} a request that carries none of the three headers`, async () => {
    expect(denied(await fn.run(event({})))).toBe(missing === 'allow' ? undefined : 'foreign-site');
  });
});

test('with domain restriction off, a foreign page plays (the function as before)', async () => {
  const fn = load({ sites: null, missing: 'deny', device: false });
  expect(denied(await fn.run(event({ origin: 'https://pirate.example.org', 'sec-fetch-site': 'cross-site' })))).toBe(
    undefined,
  );
});

test("an empty site list allows only the service's own host", async () => {
  const fn = load({ sites: [], missing: 'allow', device: false });
  expect(denied(await fn.run(event({ origin: 'https://www.example.com' })))).toBe('foreign-site');
  expect(denied(await fn.run(event({ referer: `https://${HOST}/` })))).toBeUndefined();
});

describe('device binding', () => {
  const current: DeviceKey = { kid: 'k2', secret: 'c'.repeat(43) };
  const previous: DeviceKey = { kid: 'k1', secret: 'p'.repeat(43) };
  const store = new Map([
    [deviceKeyName(current.kid), current.secret],
    [deviceKeyName(previous.kid), previous.secret],
  ]);
  const fn = load({ sites: null, missing: 'allow', device: true }, store);
  const browser = { 'user-agent': CHROME, 'accept-language': 'en-GB,en;q=0.9' };
  const traits = (headers: Record<string, string>) => deviceTraits((name) => headers[name]);
  const cookieRequest = (headers: Record<string, string>, tag: string | undefined, policy = POLICY) =>
    event(headers, {
      cookies: { 'CloudFront-Policy': policy, ...(tag === undefined ? {} : { 'Streamgate-Device': tag }) },
    });
  const urlRequest = (headers: Record<string, string>, tag: string | undefined, policy = POLICY) =>
    event(headers, {
      query: {
        ...(tag === undefined ? {} : { 'streamgate-device': tag }),
        Policy: policy,
        Signature: 'x',
        'Key-Pair-Id': 'K1',
      },
    });

  describe.each([
    ['signed cookies', cookieRequest],
    ['a signed URL', urlRequest],
  ] as const)('%s', (_mode, request) => {
    const tag = deviceTag(current, POLICY, traits(browser));

    it('plays in the browser that asked for the grant', async () => {
      expect(denied(await fn.run(request(browser, tag)))).toBeUndefined();
    });

    it('refuses the grant copied into another browser (other User-Agent), or another language', async () => {
      expect(denied(await fn.run(request({ ...browser, 'user-agent': FIREFOX }, tag)))).toBe('device');
      expect(denied(await fn.run(request({ ...browser, 'accept-language': 'fr-FR' }, tag)))).toBe('device');
      expect(denied(await fn.run(request({}, tag)))).toBe('device');
    });

    it('refuses a grant without its tag, a tag of another grant, a forged or unknown-key tag', async () => {
      expect(denied(await fn.run(request(browser, undefined)))).toBe('device');
      expect(denied(await fn.run(request(browser, tag, OTHER_POLICY)))).toBe('device');
      expect(denied(await fn.run(request(browser, `${current.kid}.${'A'.repeat(22)}`)))).toBe('device');
      const unknown = deviceTag({ kid: 'k9', secret: 'u'.repeat(43) }, POLICY, traits(browser));
      expect(denied(await fn.run(request(browser, unknown)))).toBe('device');
      expect(denied(await fn.run(request(browser, `../${tag}`)))).toBe('device');
    });

    it('plays a tag made with the previous key (a rotation overlap), not once that key is gone', async () => {
      const old = deviceTag(previous, POLICY, traits(browser));
      expect(denied(await fn.run(request(browser, old)))).toBeUndefined();
      const rotated = load(
        { sites: null, missing: 'allow', device: true },
        new Map([[deviceKeyName(current.kid), current.secret]]),
      );
      expect(denied(await rotated.run(request(browser, old)))).toBe('device');
    });
  });

  it('a signed URL decides by its own policy: a valid cookie tag does not open an untagged URL', async () => {
    const tag = deviceTag(current, POLICY, traits(browser));
    const mixed = event(browser, {
      cookies: { 'CloudFront-Policy': POLICY, 'Streamgate-Device': tag },
      query: { Policy: OTHER_POLICY, Signature: 'x', 'Key-Pair-Id': 'K1' },
    });
    expect(denied(await fn.run(mixed))).toBe('device');
  });

  it('refuses every grant when no KeyValueStore is associated (fail closed)', async () => {
    const alone = ViewerRequestFunction.fromFile(undefined, {
      settings: { sites: null, missing: 'allow', device: true },
    });
    expect(denied(await alone.run(cookieRequest(browser, deviceTag(current, POLICY, traits(browser)))))).toBe('device');
  });
});

describe('the deployed code', () => {
  const largest: EdgeFunctionSettings = {
    sites: Array.from({ length: 20 }, (_, i) => `https://site-${i}.${'a'.repeat(40)}.example.com:8443`),
    missing: 'deny',
    device: true,
  };

  it.each([
    ['every layer off', { sites: null, missing: 'allow', device: false }],
    ['every layer on, 20 long sites', largest],
  ] as const)(
    "with %s: under 10 KB, in cloudfront-js-2.0 syntax, the runtime's two imports only",
    (_name, settings) => {
      const code = viewerRequestCode(settings);
      expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
      expect(unsupportedSyntax(code)).toEqual([]);
      expect(code.split('\n').filter((line) => /^\s*import\b/.test(line))).toEqual([
        "import cf from 'cloudfront';",
        "import crypto from 'crypto';",
      ]);
      expect(code).not.toMatch(/\bexport\b/);
    },
  );

  it("refuses, naming the field, a site list that would pass CloudFront's limit", () => {
    const sites = Array.from({ length: 60 }, (_, i) => `https://site-${i}.${'a'.repeat(120)}.example.com`);
    expect(() => viewerRequestCode({ sites, missing: 'allow', device: true })).toThrow(
      /^domainRestriction\.sites: .* over CloudFront's 10240/,
    );
  });
});
