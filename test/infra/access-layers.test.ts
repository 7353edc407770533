/**
 * Domain restriction and device binding in the deploy config and the synthesized app: bad values
 * are refused naming the field; with domain restriction on, the deployed function is the built
 * template with the sites in it and the API functions get the same settings.
 */
import { apiEnvironment } from '../../lib/api-environment';
import { viewerRequestCode } from '../../lib/viewer-request-code';
import { exampleWith, issuesOf, onlyResource, synthesize } from './synth';

test.each<[string, Record<string, unknown>, string]>([
  [
    'a site with a path',
    { domainRestriction: { enabled: true, sites: ['https://www.example.com/player'] } },
    'domainRestriction.sites[0]',
  ],
  [
    'a site without a scheme',
    { domainRestriction: { enabled: true, sites: ['www.example.com'] } },
    'domainRestriction.sites[0]',
  ],
  [
    'an upper-case site',
    { domainRestriction: { enabled: true, sites: ['https://WWW.example.com'] } },
    'domainRestriction.sites[0]',
  ],
  [
    'an unknown missing-headers policy',
    { domainRestriction: { missingHeaders: 'maybe' } },
    'domainRestriction.missingHeaders',
  ],
  ['an unknown field', { domainRestriction: { allowed: [] } }, 'domainRestriction.allowed'],
  [
    'device binding without edge revocation (its store)',
    { deviceBinding: { enabled: true }, edgeRevocation: { enabled: false } },
    'deviceBinding.enabled',
  ],
  ['a rotation period past 90 days', { deviceBinding: { rotateAfterDays: 91 } }, 'deviceBinding.rotateAfterDays'],
])('refuses %s, naming the field', (_name, overrides, field) => {
  expect(issuesOf(overrides)).toContain(field);
});

test('domain restriction on: the function deploys with the sites built in, the API gets the same settings', () => {
  const sites = ['https://www.example.com', 'https://partner.example.net:8443'];
  const config = exampleWith({ domainRestriction: { enabled: true, sites, missingHeaders: 'deny' } });
  const { mainTemplate } = synthesize(config);
  const code = onlyResource(mainTemplate, 'AWS::CloudFront::Function').properties.FunctionCode;
  expect(code).toBe(viewerRequestCode({ sites, missing: 'deny', device: false }));
  expect(code).toContain('"sites":["https://www.example.com","https://partner.example.net:8443"],"missing":"deny"');
  expect(apiEnvironment(config, 'https://video.example.com')).toMatchObject({
    DOMAIN_RESTRICTION: 'on',
    DOMAIN_RESTRICTION_SITES: sites.join(','),
    DOMAIN_RESTRICTION_MISSING: 'deny',
  });
}, 120_000);

test('off by default: no site list in the function, no variables', () => {
  const config = exampleWith({});
  expect(config.domainRestriction).toEqual({ enabled: false, sites: [], missingHeaders: 'allow' });
  expect(Object.keys(apiEnvironment(config, 'https://video.example.com'))).not.toContain('DOMAIN_RESTRICTION');
});

test("device binding on: the key ring secret rotates through a function that may write only the function's store; playback reads it", () => {
  const config = exampleWith({ deviceBinding: { enabled: true, rotateAfterDays: 14 } });
  const { mainTemplate } = synthesize(config);
  const code = onlyResource(mainTemplate, 'AWS::CloudFront::Function').properties.FunctionCode as string;
  expect(code).toContain('"device":true');
  const store = onlyResource(mainTemplate, 'AWS::CloudFront::KeyValueStore').id;
  const schedules = Object.values(mainTemplate.findResources('AWS::SecretsManager::RotationSchedule')).filter(
    (schedule) => JSON.stringify(schedule).includes('DeviceKeys'),
  );
  expect(schedules).toHaveLength(1);
  expect(JSON.stringify(schedules[0])).toContain('rate(14 days)');
  type Statement = { Action: unknown; Resource: unknown };
  const statements = Object.values(mainTemplate.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy.Properties.PolicyDocument.Statement as Statement[]) ?? [],
  );
  const kvs = statements.filter((statement) => JSON.stringify(statement.Action).includes('cloudfront-keyvaluestore'));
  expect(kvs.length).toBeGreaterThanOrEqual(3); // stream consumer, sweeper, device key rotator
  for (const statement of kvs) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [store, 'Arn'] });
  const withRing = Object.values(mainTemplate.findResources('AWS::Lambda::Function')).filter((fn) =>
    JSON.stringify(fn.Properties?.Environment?.Variables ?? {}).includes('DEVICE_KEY_SECRET_ARN'),
  );
  expect(withRing.length).toBeGreaterThan(0);
  for (const fn of withRing) expect(fn.Properties.Environment.Variables.DEVICE_BINDING).toBe('on');
}, 120_000);
