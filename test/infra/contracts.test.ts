/**
 * The contracts the deployed app and local mode share. Where both import one module there is
 * nothing to drift; these tests cover what they cannot share: what CloudFront, API Gateway and
 * Lambda end up with (the synthesized template) against what local mode actually does.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ABUSE_DEFAULTS, type AbuseSettingName, STREAM_LIMIT_POLICY } from '../../lambda/core/abuse-defaults';
import { CLOUDFRONT_KEY_ALGORITHMS } from '../../lambda/core/cloudfront-key-types';
import { loadConfig } from '../../lambda/core/config';
import { ORIGIN_VERIFY_HEADER } from '../../lambda/core/origin-verify';
import { parsePrivateKey } from '../../lambda/runtime/signing-key';
import { API_PATH_PREFIX, API_ROUTES } from '../../lambda/core/api-routes';
import { loadConfigFile } from '../../lib/config';
import { generateCloudFrontKeyPair } from '../../lambda/core/cloudfront-key-types';
import { publicKeyPemOf } from '../../lambda/core/signing-key-rotation';
import { pageHeaders } from '../../lib/page-headers';
import { KEY_GROUP_FILE, PRIVATE_KEY_FILE } from '../../local/cloudfront-keys';
import { loadKeyGroupFile, parseKeyGroup } from '../../local/edge/key-group';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import {
  EXAMPLE_CONFIG,
  exampleWith,
  issuesOf,
  onlyResource,
  resourcesOf,
  ROOT,
  synthesize,
  type Synthesis,
} from './synth';
import { MINIMAL_LAMBDA_ENV } from '../support/minimal-env';

type Json = Record<string, unknown>;

let synth: Synthesis;
let local: LocalStack;
let localDir: string;
let logs: LogCapture;

beforeAll(async () => {
  synth = synthesize(loadConfigFile(EXAMPLE_CONFIG));
  logs = new LogCapture();
  localDir = mkdtempSync(join(tmpdir(), 'streamgate-contracts-'));
  local = await startLocalStack({ dir: localDir, port: 0, logger: logs.logger });
}, 120_000);

afterAll(async () => {
  await local?.close();
  logs?.stop();
});

/**
 * The headers CloudFront adds for a ResponseHeadersPolicyConfig, by lower-case name. Fails on a
 * setting this does not translate, so a new kind of header cannot slip past the comparison.
 */
function headersCloudFrontSends(config: Json): Record<string, string> {
  expect(Object.keys(config).sort()).toEqual(['Comment', 'CustomHeadersConfig', 'Name', 'SecurityHeadersConfig']);
  const security = config.SecurityHeadersConfig as Record<string, Json>;
  expect(Object.keys(security).sort()).toEqual(
    [
      'ContentSecurityPolicy',
      'ContentTypeOptions',
      'FrameOptions',
      'ReferrerPolicy',
      'StrictTransportSecurity',
      'XSSProtection',
    ].sort(),
  );
  for (const setting of Object.values(security)) expect(setting.Override).toBe(true);
  const hsts = security.StrictTransportSecurity;
  const xss = security.XSSProtection;
  const headers: Record<string, string> = {
    'strict-transport-security': `max-age=${String(hsts.AccessControlMaxAgeSec)}${hsts.IncludeSubdomains === true ? '; includeSubDomains' : ''}${hsts.Preload === true ? '; preload' : ''}`,
    'content-security-policy': String(security.ContentSecurityPolicy.ContentSecurityPolicy),
    'x-content-type-options': 'nosniff',
    'x-frame-options': String(security.FrameOptions.FrameOption),
    'referrer-policy': String(security.ReferrerPolicy.ReferrerPolicy),
    'x-xss-protection': xss.Protection === true ? `1${xss.ModeBlock === true ? '; mode=block' : ''}` : '0',
  };
  for (const custom of (config.CustomHeadersConfig as { Items: { Header: string; Value: string; Override: boolean }[] })
    .Items) {
    expect(custom.Override).toBe(true);
    headers[custom.Header.toLowerCase()] = custom.Value;
  }
  return headers;
}

describe('page security headers', () => {
  let deployed: Record<string, string>;
  beforeAll(() => {
    deployed = headersCloudFrontSends(
      onlyResource(synth.mainTemplate, 'AWS::CloudFront::ResponseHeadersPolicy').properties
        .ResponseHeadersPolicyConfig as Json,
    );
  });

  test('the distribution sends the headers of lib/page-headers.ts, HSTS included', () => {
    expect(deployed).toEqual(pageHeaders({ https: true }));
    expect(deployed['content-security-policy']).toContain("object-src 'none'");
    expect(deployed['content-security-policy']).toContain("form-action 'self'");
  });

  test('the local edge sends the same headers on the player page and on a 404, all but HSTS (plain HTTP)', async () => {
    const { 'strict-transport-security': hsts, ...overHttp } = deployed;
    expect(hsts).toMatch(/^max-age=\d+/);
    for (const path of ['', 'no-such-page']) {
      const response = await fetch(`${local.url}${path}`);
      expect(response.status).toBe(path === '' ? 200 : 404);
      const sent = Object.fromEntries(
        Object.keys(deployed).flatMap((name) =>
          response.headers.has(name) ? [[name, response.headers.get(name)]] : [],
        ),
      );
      expect(sent).toEqual(overHttp);
      await response.arrayBuffer();
    }
  });
});

describe('API routes (lambda/core/api-routes.ts)', () => {
  const routeKeys = API_ROUTES.map((route) => `${route.method} ${route.path}`);
  const logicalIdOfFunction = (operation: keyof Synthesis['main']['api']['functions']): string =>
    synth.main.getLogicalId(synth.main.api.functions[operation].function.node.defaultChild as CfnElement);

  test('every path is under the API prefix the distribution and the WAF route on', () => {
    for (const route of API_ROUTES) expect(route.path.startsWith(API_PATH_PREFIX)).toBe(true);
    const behaviors = (
      onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as {
        CacheBehaviors: { PathPattern: string }[];
      }
    ).CacheBehaviors;
    expect(behaviors.map((behavior) => behavior.PathPattern)).toContain(`${API_PATH_PREFIX}*`);
    const rules = onlyResource(synth.edgeTemplate, 'AWS::WAFv2::WebACL').properties.Rules as {
      Name: string;
      Statement: Json;
    }[];
    const byteMatches = (statement: unknown): Json[] =>
      typeof statement !== 'object' || statement === null
        ? []
        : Object.entries(statement).flatMap(([key, value]) =>
            key === 'ByteMatchStatement' ? [value as Json] : byteMatches(value),
          );
    const methodRule = byteMatches(rules.find((rule) => rule.Name === 'ApiMethodAllowList')?.Statement);
    const onPath = methodRule.filter((match) => 'UriPath' in (match.FieldToMatch as Json));
    expect(onPath.map((match) => [match.PositionalConstraint, match.SearchString])).toEqual([
      ['STARTS_WITH', API_PATH_PREFIX],
    ]);
    const allowed = methodRule
      .filter((match) => 'Method' in (match.FieldToMatch as Json))
      .map((match) => match.SearchString);
    expect(allowed.sort()).toEqual([...new Set(API_ROUTES.map((route) => route.method))].sort());
  });

  test("the HTTP API has exactly these routes, each on its operation's function, behind the origin-verify authorizer", () => {
    const template = synth.mainTemplate.toJSON() as { Resources: Record<string, { Type: string; Properties: Json }> };
    const routes = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([...routeKeys].sort());
    for (const { Properties: route } of routes) {
      const operation = API_ROUTES.find(
        (candidate) => `${candidate.method} ${candidate.path}` === route.RouteKey,
      )?.operation;
      if (operation === undefined) throw new Error(`no API_ROUTES entry for ${String(route.RouteKey)}`);
      const integrationId = (route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1].Ref;
      expect([route.RouteKey, template.Resources[integrationId].Properties.IntegrationUri]).toEqual([
        route.RouteKey,
        { 'Fn::GetAtt': [logicalIdOfFunction(operation), 'Arn'] },
      ]);
      expect(route.AuthorizationType).toBe('CUSTOM');
    }
  });

  test('the local API serves exactly these routes: the right method reaches the handler, another gets 405 with Allow', async () => {
    for (const route of API_ROUTES) {
      const url = `${local.url}${route.path.slice(1).replace(/\{[^}]+\}/g, 'demo-1')}`;
      const reached = await fetch(url, { method: route.method });
      // The handler's own answer: no bearer token.
      expect([route.method, route.path, reached.status, reached.headers.get('www-authenticate')]).toEqual([
        route.method,
        route.path,
        401,
        'Bearer realm="streamgate"',
      ]);
      await reached.arrayBuffer();
      const other = await fetch(url, { method: 'PUT' });
      expect([route.path, other.status, other.headers.get('allow')]).toEqual([route.path, 405, route.method]);
      await other.arrayBuffer();
    }
    const unknown = await fetch(`${local.url}${API_PATH_PREFIX.slice(1)}v1/unknown`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
  });

  test('the player page and streamgate-client (browser code, which cannot import the module) call only these routes', () => {
    const player = ['web/src/main.ts', 'client/src/client.ts']
      .map((file) => readFileSync(join(ROOT, file), 'utf8'))
      .join('\n');
    // '/api/…' literals, and the fixed part of `${base}/api/…/${id}` templates.
    const called = [...player.matchAll(/['`](?:\$\{[^}]*\})?(\/api\/[^'`$?]*)/g)].map((match) => match[1]);
    expect(called.length).toBeGreaterThan(0);
    const patterns = API_ROUTES.map((route) => new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`));
    for (const path of called) {
      // A literal ending in "/" is a prefix the player appends a path parameter to.
      const candidate = path.endsWith('/') ? `${path}x` : path;
      expect([path, patterns.some((pattern) => pattern.test(candidate))]).toEqual([path, true]);
    }
  });
});

describe('origin-verify header (lambda/core/origin-verify.ts)', () => {
  test('CloudFront adds the header the authorizer reads as its identity source', () => {
    const origins = (
      onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as {
        Origins: { CustomOriginConfig?: unknown; OriginCustomHeaders?: { HeaderName: string }[] }[];
      }
    ).Origins;
    const apiOrigin = origins.filter((origin) =>
      origin.OriginCustomHeaders?.some((header) => header.HeaderName === ORIGIN_VERIFY_HEADER),
    );
    expect(apiOrigin).toHaveLength(1);
    const authorizer = onlyResource(synth.mainTemplate, 'AWS::ApiGatewayV2::Authorizer').properties;
    expect(authorizer.IdentitySource).toEqual([`$request.header.${ORIGIN_VERIFY_HEADER}`]);
  });
});

describe('abuse defaults (lambda/core/abuse-defaults.ts)', () => {
  const names = Object.keys(ABUSE_DEFAULTS) as AbuseSettingName[];
  const defaults = Object.fromEntries(names.map((name) => [name, ABUSE_DEFAULTS[name].fallback]));
  /** The functions' abuse config in the deploy config's terms. */
  const asDeployFields = (abuse: ReturnType<typeof loadConfig>['abuse']): Record<AbuseSettingName, unknown> => ({
    sharingMaxNetworks: abuse.sharing.maxNetworks,
    sharingMaxCountries: abuse.sharing.maxCountries,
    sharingAction: abuse.sharing.action,
    maxConcurrentStreams: abuse.maxConcurrentStreams,
    rateLimitPerWindow: abuse.rateLimit,
    rateWindowSeconds: abuse.rateWindowSeconds,
    maxSessionsPerHour: abuse.maxSessionsPerHour,
    maxGrantsPerBucket: abuse.maxGrantsPerBucket,
  });
  const lambdaEnv: Record<string, string> = { ...MINIMAL_LAMBDA_ENV };

  test('a function without the variables and a deploy config without the section get the same defaults', () => {
    expect(asDeployFields(loadConfig(lambdaEnv).abuse)).toEqual(defaults);
    // streamLimitPolicy is read by the API's stream-limit code, not the abuse settings table.
    expect(exampleWith({ abuse: null }).abuse).toEqual({
      ...defaults,
      streamLimitPolicy: STREAM_LIMIT_POLICY.fallback,
    });
  });

  test("every API function gets each setting in its variable, and reads back the deploy config's values", () => {
    const config = exampleWith({
      abuse: { sharingMaxNetworks: 7, sharingAction: 'deny', rateWindowSeconds: 30, streamLimitPolicy: 'evict-oldest' },
    });
    const functions = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      /^Api(Playback|Revocations|Session|Licence)/.test(id),
    );
    expect(functions).toHaveLength(4);
    const example = loadConfigFile(EXAMPLE_CONFIG).abuse;
    for (const [, fn] of functions) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const name of names)
        expect([name, variables[ABUSE_DEFAULTS[name].variable]]).toEqual([name, String(example[name])]);
      expect(variables[STREAM_LIMIT_POLICY.variable]).toBe(example.streamLimitPolicy);
    }
    // The variables the stack writes are the ones the functions read: a changed value makes the round trip.
    const env = {
      ...lambdaEnv,
      ...Object.fromEntries(names.map((name) => [ABUSE_DEFAULTS[name].variable, String(config.abuse[name])])),
      [STREAM_LIMIT_POLICY.variable]: config.abuse.streamLimitPolicy,
    };
    const { streamLimitPolicy, ...settings } = config.abuse;
    const loaded = loadConfig(env).abuse;
    expect(asDeployFields(loaded)).toEqual(settings);
    expect(loaded.streamLimitPolicy).toBe(streamLimitPolicy);
    expect(streamLimitPolicy).toBe('evict-oldest');
  });

  test('docs/configuration.md lists each default, range and variable as declared', () => {
    const docs = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    const rows = (heading: string): string[][] => {
      const section = docs.slice(docs.indexOf(heading));
      const table = section
        .slice(0, section.search(/\n\n(?!\|)/))
        .split('\n')
        .filter((line) => line.startsWith('| `'));
      return table.map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    };
    const deployRows = new Map(
      rows('### `abuse` (optional)').map(([field, ...rest]) => [field.replace(/`/g, ''), rest]),
    );
    const lambdaRows = new Map(
      rows('### Store and abuse defences').map(([variable, ...rest]) => [variable.replace(/`/g, ''), rest]),
    );
    for (const name of names) {
      const setting = ABUSE_DEFAULTS[name];
      const [deployDefault, deployMeaning] = deployRows.get(name) ?? [];
      expect([name, deployDefault, deployMeaning]).toEqual([
        name,
        `\`${setting.fallback}\``,
        expect.stringContaining(`(\`${setting.variable}\`)`),
      ]);
      const [lambdaDefault, lambdaMeaning] = lambdaRows.get(setting.variable) ?? [];
      expect([setting.variable, lambdaDefault]).toEqual([setting.variable, `\`${setting.fallback}\``]);
      const range =
        'allowed' in setting
          ? setting.allowed.map((value) => `\`${value}\``).join(', ')
          : `${setting.min}–${setting.max}`;
      expect([setting.variable, lambdaMeaning.slice(0, range.length)]).toEqual([setting.variable, range]);
    }
  });

  test('README points at the configuration page instead of repeating the figures', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of names) {
      // Where README names a variable at all, it points at the page rather than giving a figure.
      for (const row of readme.split('\n').filter((line) => line.includes(`\`${ABUSE_DEFAULTS[name].variable}\``))) {
        expect(row).toContain('(docs/configuration.md#store-and-abuse-defences)');
      }
    }
    expect(readme).toContain('(docs/configuration.md#abuse-optional)');
  });
});

describe('CloudFront key types (lambda/core/cloudfront-key-types.ts)', () => {
  const pem = (key: KeyObject): string =>
    key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();
  const keyGroupOf = (publicKey: KeyObject): unknown => ({
    keys: [{ id: 'K2JCJMDEHXQW5F', publicKeyPem: pem(publicKey) }],
  });

  test('what the deploy config takes, the generator makes, the function signs with and the local edge trusts', () => {
    for (const algorithm of CLOUDFRONT_KEY_ALGORITHMS) {
      expect(issuesOf({ signing: { keyAlgorithm: algorithm } })).toEqual([]);
      // What the key functions generate (lambda/handlers/keygen.ts, rotate-signing-key.ts).
      const privateKeyPem = pem(generateCloudFrontKeyPair(algorithm).privateKey);
      const publicKeyPem = publicKeyPemOf({ privateKeyPem });
      const privateKey = parsePrivateKey(privateKeyPem, 'test').privateKey;
      expect(pem(createPublicKey(privateKey))).toBe(publicKeyPem);
      expect(parseKeyGroup(keyGroupOf(createPublicKey(publicKeyPem)), 'test').size).toBe(1);
    }
  });

  test('a key of another type is refused on every side', () => {
    const others = [
      generateKeyPairSync('rsa', { modulusLength: 3072 }),
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
      generateKeyPairSync('ed25519'),
    ];
    for (const { privateKey, publicKey } of others) {
      expect(() => parsePrivateKey(pem(privateKey), 'test')).toThrow(/must be an RSA-2048 or ECDSA P-256 private key/);
      expect(() => parseKeyGroup(keyGroupOf(publicKey), 'test')).toThrow(/CloudFront accepts RSA-2048 or EC P-256/);
    }
    expect(issuesOf({ signing: { keyAlgorithm: 'RSA_3072' } })).toEqual(['signing.keyAlgorithm']);
  });

  test('local mode generates a key pair the function and the local edge both accept', () => {
    const privateKey = parsePrivateKey(readFileSync(join(localDir, PRIVATE_KEY_FILE), 'utf8'), 'test').privateKey;
    const trusted = [...loadKeyGroupFile(join(localDir, KEY_GROUP_FILE)).values()];
    expect(trusted.map((key) => pem(key.publicKey))).toEqual([pem(createPublicKey(privateKey))]);
  });
});

describe('what each side loads', () => {
  /**
   * The files a fresh Node process has loaded after requiring `modules` (repository-relative,
   * node_modules entries as `node_modules/<package>/...`). A child process, not
   * jest.isolateModules: under Jest, require.cache lists the main module registry only, and
   * this file has already loaded Powertools through local mode.
   */
  const loadedBy = (modules: readonly string[]): string[] => {
    const script = `${modules.map((module) => `require(${JSON.stringify(`./${module}`)});`).join('')}process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const keys = JSON.parse(
      execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
    ) as string[];
    // A package as `node_modules/...` wherever node_modules really is (a worktree may link it).
    return keys.map((key) => {
      const at = key.indexOf('/node_modules/');
      return at === -1 ? relative(ROOT, key) : key.slice(at + 1);
    });
  };
  /** The packages among `files`, but the TypeScript loader's own (tsx, esbuild). */
  let loaderFiles: Set<string>;
  beforeAll(() => {
    loaderFiles = new Set(loadedBy([]));
  }, 60_000);
  const packagesIn = (files: readonly string[]): string[] => {
    const packageOf = (file: string): string =>
      file
        .split('/')
        .slice(1, file.split('/')[1].startsWith('@') ? 3 : 2)
        .join('/');
    return [
      ...new Set(files.filter((file) => file.startsWith('node_modules/') && !loaderFiles.has(file)).map(packageOf)),
    ].sort();
  };

  test('lib/monitoring* (alarms, dashboard, alarm table) does not load Powertools', () => {
    const folder = join(ROOT, 'lib', 'monitoring');
    const monitoring = [
      'lib/monitoring.ts',
      ...(existsSync(folder) ? readdirSync(folder).map((name) => `lib/monitoring/${name}`) : []),
    ];
    const loaded = loadedBy(monitoring);
    expect(loaded).toEqual(expect.arrayContaining(monitoring));
    expect(packagesIn(loaded)).toContain('aws-cdk-lib');
    expect(packagesIn(loaded).filter((name) => name.startsWith('@aws-lambda-powertools/'))).toEqual([]);
  }, 60_000);

  test('the shared contract modules load no package at all', () => {
    const modules = [
      'lib/page-headers.ts',
      'lambda/core/api-routes.ts',
      'lambda/core/abuse-defaults.ts',
      'lambda/core/metric-names.ts',
      'lambda/core/cloudfront-key-types.ts',
      'lambda/core/origin-verify.ts',
    ];
    expect(packagesIn(loadedBy(modules))).toEqual([]);
  }, 60_000);

  test('local mode does not load aws-cdk-lib', () => {
    expect(
      packagesIn(loadedBy(['local/stack.ts'])).filter((name) => name === 'aws-cdk-lib' || name === 'constructs'),
    ).toEqual([]);
  }, 60_000);
});
