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
    'device binding on (local mode only in this release)',
    { deviceBinding: { enabled: true } },
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
