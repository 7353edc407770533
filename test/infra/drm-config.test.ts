/**
 * The deploy config's `drm` section (lib/config/drm.ts) and the functions' own parser of the
 * variables it becomes (lambda/core/drm-config.ts): what each refuses, naming the field, and that
 * whatever the first accepts the second starts with.
 */
import { ConfigError } from '../../lambda/core/config';
import {
  DEFAULT_CREDENTIAL_REFUSED_STATUSES,
  drmCatalog,
  licenceUpstreams,
  loadDrmConfig,
} from '../../lambda/core/drm-config';
import { ConfigValidationError, validateConfig } from '../../lib/config';
import { exampleJsonWith, exampleWith } from './synth';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:streamgate/vendor-Ab12Cd';
const video = (extra: Record<string, unknown> = {}) => ({
  paths: ['/drm/a/'],
  manifest: '/drm/a/index.m3u8',
  ...extra,
});

/** The fields and problems reported for a `drm` section. */
function problemsOf(drm: unknown): string[] {
  try {
    validateConfig(exampleJsonWith({ drm: drm as Record<string, unknown> }), 'test');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((issue) => `${issue.field}: ${issue.problem}`);
    throw error;
  }
  return [];
}

describe('deploy config drm section', () => {
  test('absent: no DRM video and no licence server, and the functions read the same from empty variables', () => {
    const config = exampleWith({ drm: null });
    expect(config.drm).toEqual({ catalog: {}, upstreams: {}, licenceTimeoutMs: 3000, licenceMaxBodyBytes: 16384 });
    const functions = loadDrmConfig({ DRM_CATALOG: JSON.stringify(config.drm.catalog), LICENCE_UPSTREAMS: '{}' });
    expect(functions.catalog.size).toBe(0);
    expect(loadDrmConfig({}).timeoutMs).toBe(config.drm.licenceTimeoutMs);
  });

  test.each<[string, unknown, RegExp]>([
    [
      'a path outside /drm/',
      { catalog: { a: video({ paths: ['/media/a/'] }) } },
      /^drm\.catalog\.a\.paths\[0\]: must be a path prefix/,
    ],
    [
      'a path without its trailing slash',
      { catalog: { a: video({ paths: ['/drm/a'] }) } },
      /^drm\.catalog\.a\.paths\[0\]/,
    ],
    [
      'a dot segment',
      { catalog: { a: video({ paths: ['/drm/../media/'], manifest: '/drm/../media/x.m3u8' }) } },
      /^drm\.catalog: .*must look like \/drm\/<folder>\//,
    ],
    [
      'nested prefixes of two videos',
      { catalog: { a: video(), b: video({ paths: ['/drm/a/b/'], manifest: '/drm/a/b/i.m3u8' }) } },
      /^drm\.catalog: .*overlaps "\/drm\/a\/"/,
    ],
    [
      'a manifest outside the paths',
      { catalog: { a: video({ manifest: '/drm/b/index.m3u8' }) } },
      /^drm\.catalog: .*"manifest" must be a file path inside one of its "paths"/,
    ],
    [
      'five prefixes',
      {
        catalog: {
          a: video({ paths: ['/drm/1/', '/drm/2/', '/drm/3/', '/drm/4/', '/drm/5/'], manifest: '/drm/1/i.m3u8' }),
        },
      },
      /^drm\.catalog\.a\.paths: must hold 1 to 4 entries/,
    ],
    [
      'an upper-case key id',
      { catalog: { a: video({ keyIds: ['0123456789ABCDEF0123456789ABCDEF'] }) } },
      /^drm\.catalog\.a\.keyIds\[0\]/,
    ],
    ['a bad video id', { catalog: { 'a b': video() } }, /^drm\.catalog\.a b: must be a video id/],
    [
      'an unknown DRM system',
      { upstreams: { rot13: { url: 'https://x.example/' } } },
      /^drm\.upstreams\.rot13: must be one of clearkey, widevine, playready, fairplay/,
    ],
    [
      'a plain-http licence server',
      { upstreams: { widevine: { url: 'http://licence.example/' } } },
      /^drm\.upstreams\.widevine\.url: must be an https URL/,
    ],
    [
      'a partial secret ARN (the grant would be a wildcard)',
      {
        upstreams: {
          widevine: {
            url: 'https://l.example/',
            header: 'x-api-key',
            secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:vendor',
          },
        },
      },
      /^drm\.upstreams\.widevine\.secretArn: must be a complete Secrets Manager secret ARN/,
    ],
    [
      'a header without a secret',
      { upstreams: { widevine: { url: 'https://l.example/', header: 'x-api-key' } } },
      /^drm\.upstreams: .*"header" and a credential .* go together/,
    ],
    [
      'a credential-refused status outside 401-499',
      { upstreams: { widevine: { url: 'https://l.example/', credentialRefusedStatuses: [500] } } },
      /^drm\.upstreams\.widevine\.credentialRefusedStatuses\[0\]: must be between 401 and 499/,
    ],
    [
      'a credential-refused 413 (it means the request is too large)',
      { upstreams: { widevine: { url: 'https://l.example/', credentialRefusedStatuses: [401, 413] } } },
      /^drm\.upstreams: .*"credentialRefusedStatuses" must list 1 to 8 distinct statuses from 401 to 499, other than 404 and 413/,
    ],
    [
      'a licence timeout the function could not wait for',
      { licenceTimeoutMs: 9000 },
      /^drm\.licenceTimeoutMs: must be between 100 and 8000/,
    ],
  ])('refuses %s, naming the field', (_case, drm, problem) => {
    const problems = problemsOf(drm);
    expect(problems.some((line) => problem.test(line))).toBe(true);
  });

  test('refuses a catalog without packaging (no /drm/ behaviour would serve its grants), naming drm.catalog', () => {
    const json = exampleJsonWith({ packaging: { mode: 'none', spekeUrl: null, spekeV1Url: null, spekeRoleArn: null } });
    expect(() => validateConfig(json, 'test')).toThrow(
      /drm\.catalog: lists DRM videos, but packaging\.mode is "none": no \/drm\/ behaviour serves them/,
    );
    // Licence servers alone are harmless (nothing is DRM-protected): only the catalog is refused.
    const upstreamsOnly = { ...json, drm: { ...(json.drm as Record<string, unknown>), catalog: {} } };
    expect(validateConfig(upstreamsOnly, 'test').packaging.mode).toBe('none');
  });

  test('refuses a catalog too large for the functions environment', () => {
    const catalog = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `video-${i}`,
        video({ paths: [`/drm/folder-${i}/`], manifest: `/drm/folder-${i}/index.m3u8` }),
      ]),
    );
    expect(problemsOf({ catalog }).join('\n')).toMatch(
      /^drm\.catalog: the API functions' environment would take \d+ bytes once deployed, over Lambda's 4096; shorten these \(bytes each\): drm\.catalog \d+/,
    );
  });

  test('accepts a catalog and vendor upstreams, and the functions parse the very same', () => {
    const drm = {
      catalog: { 'feature-1': video({ keyIds: ['0123456789abcdef0123456789abcdef'] }) },
      upstreams: { widevine: { url: 'https://l.example/wv/{videoId}', header: 'x-api-key', secretArn: SECRET } },
    };
    expect(problemsOf(drm)).toEqual([]);
    const config = exampleWith({ drm });
    const functions = loadDrmConfig({
      DRM_CATALOG: JSON.stringify(config.drm.catalog),
      LICENCE_UPSTREAMS: JSON.stringify(config.drm.upstreams),
    });
    expect(Object.fromEntries(functions.catalog)).toEqual(drm.catalog);
    expect(functions.upstreams.widevine).toEqual({ ...drm.upstreams.widevine, secretEnv: undefined });
  });
});

describe('functions parser (DRM_CATALOG, LICENCE_UPSTREAMS)', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['invalid JSON', () => drmCatalog('{'), /^DRM_CATALOG: is not valid JSON/],
    ['an unknown field', () => drmCatalog(JSON.stringify({ a: video({ path: '/drm/a/' }) })), /unknown field "path"/],
    [
      'an http URL off loopback',
      () => licenceUpstreams(JSON.stringify({ clearkey: { url: 'http://10.0.0.1/' } })),
      /^LICENCE_UPSTREAMS: .*https URL/,
    ],
    [
      'a URL with credentials',
      () => licenceUpstreams(JSON.stringify({ clearkey: { url: 'https://u:p@l.example/' } })),
      /without credentials/,
    ],
    [
      'both secretArn and secretEnv',
      () =>
        licenceUpstreams(
          JSON.stringify({ clearkey: { url: 'https://l.example/', header: 'h', secretArn: SECRET, secretEnv: 'X' } }),
        ),
      /not both/,
    ],
    ...[[], [401, 401], ['401'], [404], [400], 403].map((statuses): [string, () => unknown, RegExp] => [
      `credentialRefusedStatuses ${JSON.stringify(statuses)}`,
      () =>
        licenceUpstreams(
          JSON.stringify({ widevine: { url: 'https://l.example/', credentialRefusedStatuses: statuses } }),
        ),
      /^LICENCE_UPSTREAMS: entry "widevine": "credentialRefusedStatuses" must list 1 to 8 distinct statuses/,
    ]),
    [
      'a licence body cap above 64 KiB',
      () => loadDrmConfig({ LICENCE_MAX_BODY_BYTES: '70000' }),
      /^LICENCE_MAX_BODY_BYTES: must be between 256 and 65536/,
    ],
  ])('refuses %s at init with a ConfigError naming the variable', (_case, load, message) => {
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  test('credentialRefusedStatuses: absent by default (the proxy then takes 401 and 403), else as listed', () => {
    const parse = (extra: object) =>
      licenceUpstreams(JSON.stringify({ widevine: { url: 'https://l.example/', ...extra } })).widevine;
    expect(parse({})?.credentialRefusedStatuses).toBeUndefined();
    expect(DEFAULT_CREDENTIAL_REFUSED_STATUSES).toEqual([401, 403]);
    expect(parse({ credentialRefusedStatuses: [401] })?.credentialRefusedStatuses).toEqual([401]);
  });

  test('http is accepted on loopback only (local mode)', () => {
    expect(
      licenceUpstreams(JSON.stringify({ clearkey: { url: 'http://127.0.0.1:9/clearkey/{videoId}' } })).clearkey?.url,
    ).toBe('http://127.0.0.1:9/clearkey/{videoId}');
  });
});
