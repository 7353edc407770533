/**
 * The API functions' environment must fit Lambda's 4 KB once deployed, or the first deploy fails
 * after CloudFormation accepted the template. Validation measures the whole environment at its
 * deployed worst case (lib/api-environment.ts) and names the fields that fill it; these tests
 * check the measure against the synthesized functions, variable by variable.
 */
import {
  apiEnvironmentSize,
  deployTimeVariables,
  environmentBytes,
  GENERATED_SUFFIX_LENGTH,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  worstCaseVariables,
} from '../../lib/api-environment';
import { ConfigValidationError, type StreamgateConfig, validateConfig } from '../../lib/config';
import { exampleJson, resourcesOf, synthesize } from './synth';

type Json = Record<string, unknown>;

/**
 * The review's worst case: 19 DRM videos, an Entra ID issuer, a long audience, URL claim names
 * and a long domain. It passed the old DRM-only cap (catalog and upstreams under 2500 bytes) and
 * measured 4,132 bytes deployed.
 */
function worstCase(videos = 19): Json {
  const json = exampleJson();
  const tenant = 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47';
  const domain = 'video-streaming.eu-west-1.production.example-broadcaster.com';
  json.jwt = {
    ...(json.jwt as Json),
    issuer: `${tenant}/v2.0`,
    jwksUrl: `${tenant}/discovery/v2.0/keys`,
    audience: 'api://streamgate-playback-production/8a1c1d7e-3f0e-4f43-9a52-1f5b8c0e9d21',
  };
  json.entitlement = {
    scopeClaim: 'http://schemas.microsoft.com/identity/claims/scope',
    videosClaim: 'https://video.streaming.example-broadcaster.com/claims/entitled-videos',
  };
  json.delivery = { ...(json.delivery as Json), domainNames: [domain] };
  json.signing = { ...(json.signing as Json), cookieDomain: domain };
  const drm = json.drm as Json;
  drm.catalog = Object.fromEntries(
    Array.from({ length: videos }, (_, i) => {
      const id = `feature-${String(i + 1).padStart(2, '0')}`;
      return [id, { paths: [`/drm/6c1d2a/${id}/`], manifest: `/drm/6c1d2a/${id}/index.m3u8` }];
    }),
  );
  return json;
}

function issuesOf(json: Json): { field: string; problem: string }[] {
  try {
    validateConfig(json, 'test');
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) return [...error.issues];
    throw error;
  }
}

test("the review's worst case is refused at validation, naming the fields that fill the environment", () => {
  const json = worstCase();
  const drm = json.drm as Json;
  // What the old check measured: under its 2500-byte cap, so it passed.
  expect(JSON.stringify(drm.catalog).length + JSON.stringify(drm.upstreams).length).toBeLessThan(2500);
  const issues = issuesOf(json);
  expect(issues.map((issue) => issue.field)).toEqual(['drm.catalog']);
  const { problem } = issues[0];
  expect(problem).toMatch(/^the API functions' environment would take \d{4} bytes once deployed, over Lambda's 4096/);
  for (const field of [
    'drm.catalog',
    'drm.upstreams',
    'jwt.issuer',
    'jwt.jwksUrl',
    'jwt.audience',
    'entitlement.videosClaim',
    'entitlement.scopeClaim',
    'delivery.domainNames',
    'signing.cookieDomain',
  ])
    expect(problem).toContain(`${field} `);
});

test('the size check counts every byte of a long value: one character more over the limit is refused', () => {
  // Grow the catalog one video at a time until the last that fits, then lengthen one value by the bytes left + 1.
  let videos = 1;
  while (issuesOf(worstCase(videos + 1)).length === 0) videos++;
  const fits = validateConfig(worstCase(videos), 'test');
  const spare = LAMBDA_ENVIRONMENT_LIMIT_BYTES - apiEnvironmentSize(fits).bytes;
  expect(spare).toBeGreaterThanOrEqual(0);
  const json = worstCase(videos);
  const jwt = json.jwt as Json;
  expect(issuesOf({ ...json, jwt: { ...jwt, audience: `${jwt.audience}${'a'.repeat(spare)}` } })).toEqual([]);
  expect(issuesOf({ ...json, jwt: { ...jwt, audience: `${jwt.audience}${'a'.repeat(spare + 1)}` } })).toEqual([
    {
      field: 'drm.catalog',
      problem: expect.stringContaining(`would take ${LAMBDA_ENVIRONMENT_LIMIT_BYTES + 1} bytes`),
    },
  ]);
});

/**
 * The longest value a template value can take once deployed, as a string of that length:
 * CloudFormation names a table `<stack>-<logical id>-<suffix>` and a secret
 * `<logical id>-<suffix>` (its ARN adds `-XXXXXX`); the distribution's domain is `dXXXXXXXXXXXXX.cloudfront.net`.
 */
function deployedShape(value: unknown, template: Json, stackName: string, config: StreamgateConfig): string {
  if (typeof value === 'string') return value;
  const resources = template.Resources as Record<string, { Type: string }>;
  const node = value as Json;
  if (typeof node.Ref === 'string') {
    const ref = node.Ref;
    if (ref === 'AWS::Partition') return 'aws-us-gov';
    if (ref === 'AWS::Region') return config.region;
    if (ref === 'AWS::AccountId') return config.account;
    const type = resources[ref]?.Type;
    const generated = `${ref}-${'S'.repeat(GENERATED_SUFFIX_LENGTH)}`;
    if (type === 'AWS::DynamoDB::Table') return `${stackName}-${generated}`;
    if (type === 'AWS::SecretsManager::Secret')
      return `arn:aws-us-gov:secretsmanager:${config.region}:${config.account}:secret:${generated}-XXXXXX`;
    throw new Error(`no deployed shape for a Ref to ${ref} (${type})`);
  }
  if (Array.isArray(node['Fn::GetAtt'])) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    if (resources[id]?.Type === 'AWS::CloudFront::Distribution' && attribute === 'DomainName')
      return 'd111111abcdef8.cloudfront.net';
    throw new Error(`no deployed shape for ${id}.${attribute}`);
  }
  if (Array.isArray(node['Fn::Join'])) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => deployedShape(part, template, stackName, config)).join(separator);
  }
  throw new Error(`no deployed shape for ${JSON.stringify(value)}`);
}

describe.each([
  ['the largest worst case that fits, custom domain', () => validateConfig(worstCase(14), 'test')],
  [
    'the example without a custom domain (the cloudfront.net name comes at deploy time)',
    () =>
      validateConfig(
        {
          ...exampleJson(),
          deployment: 'test',
          delivery: { ...(exampleJson().delivery as Json), domainNames: [], certificateArn: undefined },
        },
        'test',
      ),
  ],
])('%s', (_, configOf) => {
  test('each API function carries exactly the measured variables, none longer once deployed', () => {
    const config = configOf();
    const measured = apiEnvironmentSize(config);
    expect(measured.bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
    const synth = synthesize(config);
    const template = synth.mainTemplate.toJSON() as Json;
    const bounds = deployTimeVariables(config);
    const functions = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function')).filter(([id]) =>
      /^Api(Playback|Revocations|Session|Licence)Function/.test(id),
    );
    expect(functions).toHaveLength(4);
    for (const [, resource] of functions) {
      const variables = (resource.Properties?.Environment as { Variables: Json }).Variables;
      const deployed = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          deployedShape(value, template, synth.main.stackName, config),
        ]),
      );
      for (const [name, bound] of Object.entries(bounds))
        expect({ name, fits: deployed[name].length <= bound.length }).toEqual({ name, fits: true });
      expect(environmentBytes(deployed)).toBeLessThanOrEqual(measured.bytes);
      // Nothing the measure does not know: the same names, and the same values where known at synth.
      const worst = worstCaseVariables(config);
      expect(Object.keys(deployed).sort()).toEqual(Object.keys(worst).sort());
      for (const [name, value] of Object.entries(variables))
        if (typeof value === 'string' && name !== 'MEDIA_BASE_URL') expect([name, value]).toEqual([name, worst[name]]);
    }
  });
});
