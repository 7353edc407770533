/**
 * Apps on other origins, deployed (lambda/core/cors.ts is the contract): in every variant of the
 * deploy matrix, the allowed origins (and only they) get CORS answers with credentials on `/api/*`
 * and every media behaviour, through CloudFront response headers policies built from the
 * contract; API Gateway answers their preflight before the origin-verify authorizer, and the
 * WAF lets OPTIONS through under `/api/`. A variant without allowed origins has none of it.
 */
import { API_CORS, CORS_MAX_AGE_SECONDS, MEDIA_CORS } from '../../lambda/core/cors';
import { ConfigValidationError, loadConfigFile, validateConfig } from '../../lib/config';
import { DEPLOY_MATRIX } from '../../scripts/deploy-matrix';
import { exampleJsonWith, onlyResource, resourcesOf, synthesize, type Synthesis } from './synth';

type Json = Record<string, unknown>;

const lower = (names: readonly string[]) => names.map((name) => name.toLowerCase()).sort();

describe.each(DEPLOY_MATRIX.map((variant) => [variant.name, variant.file] as const))('%s', (_, file) => {
  const config = loadConfigFile(file);
  const origins = config.delivery.allowedOrigins;
  let synth: Synthesis;
  let behaviours: Json[];
  let policies: Record<string, { Properties?: Json }>;

  beforeAll(() => {
    synth = synthesize(config);
    const distribution = onlyResource(synth.mainTemplate, 'AWS::CloudFront::Distribution').properties
      .DistributionConfig as Json;
    behaviours = distribution.CacheBehaviors as Json[];
    policies = resourcesOf(synth.mainTemplate, 'AWS::CloudFront::ResponseHeadersPolicy');
  }, 180_000);

  /** The CORS config of the policy a behaviour names, if any. */
  const corsOf = (behaviour: Json): Json | undefined => {
    const ref = (behaviour.ResponseHeadersPolicyId as { Ref?: string }).Ref as string;
    return (policies[ref].Properties?.ResponseHeadersPolicyConfig as Json).CorsConfig as Json | undefined;
  };
  const items = (cors: Json, field: string) => (cors[field] as { Items: string[] }).Items;

  test('the API behaviour answers exactly the allowed origins, with credentials, the API methods and Authorization', () => {
    const api = behaviours.find((behaviour) => behaviour.PathPattern === '/api/*') as Json;
    const cors = corsOf(api);
    if (origins.length === 0) {
      expect(cors).toBeUndefined();
      return;
    }
    expect(cors).toMatchObject({ AccessControlAllowCredentials: true, OriginOverride: true });
    expect(items(cors as Json, 'AccessControlAllowOrigins')).toEqual(origins);
    expect(items(cors as Json, 'AccessControlAllowMethods').sort()).toEqual([...API_CORS.methods, 'OPTIONS'].sort());
    expect(lower(items(cors as Json, 'AccessControlAllowHeaders'))).toEqual(expect.arrayContaining(['authorization']));
    expect(lower(items(cors as Json, 'AccessControlExposeHeaders'))).toEqual(lower(API_CORS.exposed));
    expect((cors as Json).AccessControlMaxAgeSec).toBe(CORS_MAX_AGE_SECONDS);
    // Preflights and calls reach API Gateway: every method, nothing cached.
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['OPTIONS', 'POST', 'DELETE', 'GET']));
  });

  test('every signed media behaviour answers the allowed origins for GET and HEAD (no preflight needed)', () => {
    const signed = behaviours.filter((behaviour) => behaviour.TrustedKeyGroups !== undefined);
    expect(signed.length).toBeGreaterThan(0);
    for (const behaviour of signed) {
      const cors = corsOf(behaviour);
      if (origins.length === 0) {
        expect(cors).toBeUndefined();
        continue;
      }
      expect(items(cors as Json, 'AccessControlAllowOrigins')).toEqual(origins);
      expect(items(cors as Json, 'AccessControlAllowMethods').sort()).toEqual(
        [...MEDIA_CORS.methods, 'OPTIONS'].sort(),
      );
      expect((cors as Json).AccessControlAllowCredentials).toBe(true);
    }
  });

  test("API Gateway answers the allowed origins' preflight itself; the WAF allows OPTIONS under /api/ only then", () => {
    const api = onlyResource(synth.mainTemplate, 'AWS::ApiGatewayV2::Api').properties;
    const wafText = JSON.stringify(synth.edgeTemplate?.toJSON() ?? synth.mainTemplate.toJSON());
    if (origins.length === 0) {
      expect(api.CorsConfiguration).toBeUndefined();
      expect(wafText).not.toContain('"SearchString":"OPTIONS"');
      return;
    }
    expect(api.CorsConfiguration).toMatchObject({
      AllowOrigins: origins,
      AllowCredentials: true,
      MaxAge: CORS_MAX_AGE_SECONDS,
    });
    expect(lower((api.CorsConfiguration as { AllowHeaders: string[] }).AllowHeaders)).toEqual(lower(API_CORS.headers));
    expect(wafText).toContain('"SearchString":"OPTIONS"');
  });
});

test('allowedOrigins takes exact origins only, each refusal naming the field and why', () => {
  const issues = (allowedOrigins: unknown): string[] => {
    try {
      validateConfig(exampleJsonWith({ delivery: { allowedOrigins } }), 'test');
      return [];
    } catch (error) {
      if (!(error instanceof ConfigValidationError)) throw error;
      return error.issues.map((issue) => `${issue.field}: ${issue.problem}`);
    }
  };
  expect(issues(['https://app.example.com', 'http://localhost:5173', 'http://127.0.0.1:8080'])).toEqual([]);
  const refusals: [string, RegExp][] = [
    ['https://*.example.com', /wildcards are not allowed/],
    ['*', /wildcards are not allowed/],
    ['http://app.example.com', /must be https:\/\//],
    ['https://app.example.com/', /the origin alone/],
    ['https://app.example.com/path', /the origin alone/],
    ['https://APP.example.com', /the origin alone/],
    ['https://app.example.com:443', /the origin alone/],
    ['https://user@app.example.com', /credentials/],
    ['ftp://app.example.com', /https:\/\//],
    ['app.example.com', /must be an origin/],
  ];
  for (const [bad, why] of refusals) {
    const found = issues([bad]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^delivery\.allowedOrigins\[0\]: /);
    expect(found[0]).toMatch(why);
  }
  expect(issues(['https://a.example.com', 'https://a.example.com'])).toEqual([
    expect.stringMatching(/^delivery\.allowedOrigins: must not repeat/),
  ]);
  expect(issues('https://a.example.com')).toEqual([
    expect.stringMatching(/^delivery\.allowedOrigins: must be an array/),
  ]);
});
