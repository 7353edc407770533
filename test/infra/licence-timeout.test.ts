/**
 * The licence proxy answers 504 itself when the licence server is slower than
 * `drm.licenceTimeoutMs`; that answer must reach the viewer. So the licence function may run
 * longer than its checks plus that bound (else Lambda ends it and API Gateway answers a bare
 * 500), and CloudFront waits for the API longer than the authorizer and that function together
 * (else CloudFront answers its own 504 page). Checked at every value the config allows.
 */
import { loadConfig } from '../../lambda/core/config';
import { loadDrmConfig } from '../../lambda/core/drm-config';
import {
  API_FUNCTION_TIMEOUT,
  apiOriginReadTimeout,
  LICENCE_ANSWER_MARGIN_SECONDS,
  LICENCE_CHECKS_BUDGET_SECONDS,
  licenceFunctionTimeout,
  ORIGIN_AUTHORIZER_TIMEOUT,
} from '../../lib/playback-api';
import { exampleWith, resourcesOf, synthesize } from './synth';

type Json = Record<string, unknown>;

/** What CloudFormation resolves at deploy, in the shape the functions parse. */
const DEPLOYED: Record<string, string> = {
  REVOCATION_TABLE_NAME: 'streamgate-RevocationsTable-1ABC',
  SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:SigningKeysSecret-AbCdEf',
  ORIGIN_VERIFY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:ApiOriginVerify-AbCdEf',
};

describe.each([100, 3000, 8000])('licenceTimeoutMs %i', (licenceTimeoutMs) => {
  let functionTimeout: number;
  let otherTimeouts: number[];
  let readTimeout: number;
  let authorizerTimeout: number;
  let environment: Record<string, string>;

  beforeAll(() => {
    const synth = synthesize(exampleWith({ drm: { licenceTimeoutMs } }));
    const functions = Object.entries(resourcesOf(synth.mainTemplate, 'AWS::Lambda::Function'));
    const propertiesOf = (prefix: string) => {
      const found = functions.find(([id]) => id.startsWith(prefix));
      if (found === undefined) throw new Error(`no ${prefix} function`);
      return found[1].Properties as Json;
    };
    const licence = propertiesOf('ApiLicenceFunction');
    functionTimeout = licence.Timeout as number;
    otherTimeouts = ['ApiPlaybackFunction', 'ApiRevocationsFunction', 'ApiSessionFunction'].map(
      (prefix) => propertiesOf(prefix).Timeout as number,
    );
    authorizerTimeout = propertiesOf('ApiOriginAuthorizerFunction').Timeout as number;
    const variables = (licence.Environment as { Variables: Record<string, unknown> }).Variables;
    environment = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, typeof value === 'string' ? value : DEPLOYED[name]]),
    );
    const distribution = Object.values(resourcesOf(synth.mainTemplate, 'AWS::CloudFront::Distribution'))[0];
    const origins = (distribution.Properties?.DistributionConfig as { Origins: Json[] }).Origins;
    const api = origins.find((origin) => JSON.stringify(origin.DomainName).includes('execute-api'));
    readTimeout = (api?.CustomOriginConfig as { OriginReadTimeout: number }).OriginReadTimeout;
  }, 120_000);

  test("the function's checks fit their budget: the timeouts the deployed function reads", () => {
    const config = loadConfig(environment);
    expect(config.token.keys.kind).toBe('jwks-url');
    const jwksMs = config.token.keys.kind === 'jwks-url' ? config.token.keys.timeoutMs : Number.NaN;
    const secretReadMs = 1000;
    expect(jwksMs + config.store.timeoutMs + secretReadMs).toBeLessThanOrEqual(LICENCE_CHECKS_BUDGET_SECONDS * 1000);
    expect(loadDrmConfig(environment).timeoutMs).toBe(licenceTimeoutMs);
  });

  test("the proxy's 504 comes before Lambda's limit, and CloudFront waits for both the authorizer and the function", () => {
    const latestProxyAnswer = LICENCE_CHECKS_BUDGET_SECONDS + licenceTimeoutMs / 1000 + LICENCE_ANSWER_MARGIN_SECONDS;
    expect(functionTimeout).toBe(licenceFunctionTimeout(licenceTimeoutMs).toSeconds());
    expect(functionTimeout).toBeGreaterThanOrEqual(latestProxyAnswer);
    expect(authorizerTimeout).toBe(ORIGIN_AUTHORIZER_TIMEOUT.toSeconds());
    expect(readTimeout).toBe(apiOriginReadTimeout(licenceTimeoutMs).toSeconds());
    expect(readTimeout).toBeGreaterThanOrEqual(authorizerTimeout + Math.max(functionTimeout, ...otherTimeouts));
    // CloudFront's origin read timeout without a quota increase.
    expect(readTimeout).toBeLessThanOrEqual(60);
    expect(otherTimeouts).toEqual(Array(3).fill(API_FUNCTION_TIMEOUT.toSeconds()));
  });
});
