/**
 * Licence challenges and the WAF: AWS's common rule set blocks bodies over 8 KB (and its body
 * content rules read binary challenges as text), while the licence proxy accepts up to
 * drm.licenceMaxBodyBytes (16 KB by default). On the licence route the managed body rules only
 * count and the route's own size rule applies the proxy's cap, answered 413 like the proxy; every
 * other path keeps the managed body rules' blocks. There is no WAF engine offline: these tests
 * read the web ACL as WAF evaluates it (priority order, labels set by earlier rules only).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BODY_RULES, EdgeProtection, MANAGED_RULE_GROUPS } from '../../lib/edge-protection';
import { API_ROUTES } from '../../lambda/core/api-routes';
import { exampleWith, onlyResource, synthesize } from './synth';

type Json = Record<string, unknown>;
interface Rule {
  Name: string;
  Priority: number;
  Statement: Json;
  Action?: Json;
  OverrideAction?: Json;
}

function webAcl(maxBodyBytes: number): Json {
  const stack = new Stack(new App(), 'Edge', { env: { account: '111111111111', region: 'us-east-1' } });
  new EdgeProtection(stack, 'P', {
    rateLimitPerIp: 2000,
    apiRateLimitPerIp: 300,
    apiMethods: ['POST', 'DELETE'],
    licenceRoute: { pathPrefix: '/api/v1/licence/', method: 'POST', maxBodyBytes },
  });
  return onlyResource(Template.fromStack(stack), 'AWS::WAFv2::WebACL').properties;
}

const rulesOf = (acl: Json) => [...(acl.Rules as Rule[])].sort((a, b) => a.Priority - b.Priority);
const named = (acl: Json, name: string): Rule => {
  const rule = rulesOf(acl).find((candidate) => candidate.Name === name);
  if (rule === undefined) throw new Error(`no rule ${name}`);
  return rule;
};

/** The route statements: a decoded, normalized path prefix and the method. */
const LICENCE_ROUTE = [
  {
    ByteMatchStatement: {
      FieldToMatch: { UriPath: {} },
      PositionalConstraint: 'STARTS_WITH',
      SearchString: '/api/v1/licence/',
      TextTransformations: [
        { Priority: 0, Type: 'URL_DECODE' },
        { Priority: 1, Type: 'NORMALIZE_PATH' },
      ],
    },
  },
  {
    ByteMatchStatement: {
      FieldToMatch: { Method: {} },
      PositionalConstraint: 'EXACTLY',
      SearchString: 'POST',
      TextTransformations: [{ Priority: 0, Type: 'NONE' }],
    },
  },
];

describe('the deployed web ACL (example config: the proxy takes up to 16 KB)', () => {
  let acl: Json;
  beforeAll(() => {
    acl = onlyResource(synthesize(exampleWith({})).edgeTemplate, 'AWS::WAFv2::WebACL').properties;
  }, 120_000);

  test('the licence route is the API contract route, and its size rule is the proxy cap, answered 413', () => {
    const route = API_ROUTES.find((candidate) => candidate.operation === 'licence');
    expect(route?.path.startsWith('/api/v1/licence/')).toBe(true);
    expect(route?.method).toBe('POST');
    expect(named(acl, 'LicenceBodySize')).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 413 } } },
      Statement: {
        AndStatement: {
          Statements: [
            ...LICENCE_ROUTE,
            {
              SizeConstraintStatement: {
                FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
                ComparisonOperator: 'GT',
                Size: 16384,
              },
            },
          ],
        },
      },
    });
    // 16 KB is what WAF inspects for CloudFront by default: nothing to raise.
    expect(acl.AssociationConfig).toBeUndefined();
  });

  test('every managed body rule only counts in its group, and is blocked by label on every path but the licence route', () => {
    // The rule the review found (8 KB, every path) is among them.
    expect(BODY_RULES.AWSManagedRulesCommonRuleSet).toHaveProperty(
      'SizeRestrictions_BODY',
      'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body',
    );
    for (const group of MANAGED_RULE_GROUPS) {
      const rule = named(acl, group);
      expect(rule.OverrideAction).toEqual({ None: {} });
      const overrides = (rule.Statement.ManagedRuleGroupStatement as { RuleActionOverrides: Json[] })
        .RuleActionOverrides;
      expect(overrides).toEqual(Object.keys(BODY_RULES[group]).map((Name) => ({ Name, ActionToUse: { Count: {} } })));
    }
    const outside = named(acl, 'ManagedBodyRulesOutsideLicence');
    expect(outside).toMatchObject({
      Action: { Block: {} },
      Statement: {
        AndStatement: {
          Statements: [
            {
              OrStatement: {
                Statements: Object.values(BODY_RULES)
                  .flatMap((rules) => Object.values(rules))
                  .map((Key) => ({ LabelMatchStatement: { Scope: 'LABEL', Key } })),
              },
            },
            { NotStatement: { Statement: { AndStatement: { Statements: LICENCE_ROUTE } } } },
          ],
        },
      },
    });
    // A label exists only for rules evaluated before: the label rule comes after both groups.
    for (const group of MANAGED_RULE_GROUPS) expect(outside.Priority).toBeGreaterThan(named(acl, group).Priority);
  });
});

test.each([
  [256, undefined],
  [16384, undefined],
  [16385, 'KB_32'],
  [49152, 'KB_48'],
  [65536, 'KB_64'],
])(
  'a proxy cap of %i bytes: WAF inspects %s (default 16 KB when undefined), enough to see every byte up to it',
  (cap, limit) => {
    const acl = webAcl(cap);
    expect(acl.AssociationConfig).toEqual(
      limit === undefined ? undefined : { RequestBody: { CLOUDFRONT: { DefaultSizeInspectionLimit: limit } } },
    );
    const size = (named(acl, 'LicenceBodySize').Statement.AndStatement as { Statements: Json[] }).Statements[2];
    expect(size).toMatchObject({ SizeConstraintStatement: { ComparisonOperator: 'GT', Size: cap } });
  },
);
