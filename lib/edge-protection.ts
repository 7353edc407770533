/**
 * Edge protection: a CLOUDFRONT-scope WAFv2 web ACL (it must live in us-east-1) with AWS's IP
 * reputation list, per-IP rate limits (all paths, and a tighter one on `/api/`), a method
 * allow-list on `/api/`, and the common and known-bad-inputs managed groups. Its log group keeps
 * a record of every request with the credentials (Authorization, cookies, query) redacted.
 */
import { ArnFormat, Aws, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { API_PATH_PREFIX } from '../lambda/core/api-routes';
import { logRetention } from './node-function';

export { API_PATH_PREFIX };

/** Managed rule groups, in evaluation order after the IP reputation list. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;
export const IP_REPUTATION_GROUP = 'AWSManagedRulesAmazonIpReputationList';

/**
 * The managed rules that inspect the request body, with the label each adds. A licence
 * challenge is an opaque DRM message (Widevine and FairPlay binary, PlayReady SOAP XML) that the
 * proxy only forwards: SizeRestrictions_BODY refuses every challenge over 8 KB, and the content
 * rules read bytes as text, where a binary challenge can hold a `../` or a tag-like run by
 * chance. So on the licence route they only count (their labels show in the logs), and on every
 * other path a rule of ours blocks what they match, as they would have (docs/security-controls.md).
 */
export const BODY_RULES: Readonly<Record<(typeof MANAGED_RULE_GROUPS)[number], Readonly<Record<string, string>>>> = {
  AWSManagedRulesCommonRuleSet: {
    SizeRestrictions_BODY: 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body',
    CrossSiteScripting_BODY: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body',
    GenericLFI_BODY: 'awswaf:managed:aws:core-rule-set:GenericLFI_Body',
    GenericRFI_BODY: 'awswaf:managed:aws:core-rule-set:GenericRFI_Body',
    EC2MetaDataSSRF_BODY: 'awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body',
  },
  AWSManagedRulesKnownBadInputsRuleSet: {
    JavaDeserializationRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body',
    Log4JRCE_BODY: 'awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body',
  },
};

/** The body sizes WAF can be told to inspect for CloudFront (AssociationConfig), in bytes. */
const INSPECTION_LIMITS = [
  [16384, 'KB_16'],
  [32768, 'KB_32'],
  [49152, 'KB_48'],
  [65536, 'KB_64'],
] as const;

export interface LicenceRouteProtection {
  /** Path prefix of the licence route, e.g. `/api/v1/licence/`. */
  readonly pathPrefix: string;
  /** Its method. */
  readonly method: string;
  /** The proxy's body cap (drm.licenceMaxBodyBytes): larger bodies get 413 here already. */
  readonly maxBodyBytes: number;
}

export interface EdgeProtectionProps {
  /** Requests one IP may make per evaluation window, any path. */
  readonly rateLimitPerIp: number;
  /** Requests one IP may make per evaluation window under `/api/` (tighter than `rateLimitPerIp`). */
  readonly apiRateLimitPerIp: number;
  /** HTTP methods the API routes use; anything else under `/api/` is blocked. */
  readonly apiMethods: readonly string[];
  /**
   * Seconds over which rate limits count requests: 60, 120, 300 or 600.
   * @default 300
   */
  readonly evaluationWindowSeconds?: number;
  /**
   * Part of the log group's name (`aws-waf-logs-<name>-<stack id>`) and prefix of the CloudWatch metric names.
   * @default 'streamgate'
   */
  readonly name?: string;
  /**
   * Days to keep WAF logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
  /**
   * The licence route: its own body size rule (the proxy's cap, answered 413) instead of the
   * managed rules' 8 KB, and no body-content rules (BODY_RULES).
   * @default - the managed body rules apply on every path
   */
  readonly licenceRoute?: LicenceRouteProtection;
}

export class EdgeProtection extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: EdgeProtectionProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== 'us-east-1') {
      throw new Error(
        `EdgeProtection: a CLOUDFRONT-scope web ACL must be created in us-east-1; this stack is in ${region}`,
      );
    }
    const window = props.evaluationWindowSeconds ?? 300;
    if (![60, 120, 300, 600].includes(window))
      throw new Error(`EdgeProtection: evaluationWindowSeconds must be 60, 120, 300 or 600, got ${window}`);
    for (const [prop, limit] of [
      ['rateLimitPerIp', props.rateLimitPerIp],
      ['apiRateLimitPerIp', props.apiRateLimitPerIp],
    ] as const) {
      if (!Number.isInteger(limit) || limit < 10)
        throw new Error(`EdgeProtection: ${prop} must be a whole number >= 10 (WAF's minimum), got ${limit}`);
    }
    if (props.apiRateLimitPerIp >= props.rateLimitPerIp)
      throw new Error('EdgeProtection: apiRateLimitPerIp must be lower than rateLimitPerIp');
    if (props.apiMethods.length === 0) throw new Error('EdgeProtection: apiMethods must list at least one method');
    const name = props.name ?? 'streamgate';
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name))
      throw new Error(`EdgeProtection: name must be 1-64 letters, digits or "-", got "${name}"`);

    const visibility = (metric: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${name}-${metric}`,
    });
    const licence = props.licenceRoute;
    if (licence !== undefined) {
      if (!licence.pathPrefix.startsWith(API_PATH_PREFIX) || !licence.pathPrefix.endsWith('/'))
        throw new Error(`EdgeProtection: licenceRoute.pathPrefix must be a folder under ${API_PATH_PREFIX}`);
      if (!Number.isInteger(licence.maxBodyBytes) || licence.maxBodyBytes < 1 || licence.maxBodyBytes > 65536)
        throw new Error(`EdgeProtection: licenceRoute.maxBodyBytes must be 1 to 65536, got ${licence.maxBodyBytes}`);
    }
    const managed = (priority: number, group: string): wafv2.CfnWebACL.RuleProperty => {
      const bodyRules = licence === undefined ? [] : Object.keys(BODY_RULES[group as keyof typeof BODY_RULES] ?? {});
      return {
        name: group,
        priority,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: group,
            ...(bodyRules.length > 0
              ? { ruleActionOverrides: bodyRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
              : {}),
          },
        },
        visibilityConfig: visibility(group),
      };
    };
    const underApi = startsWith(API_PATH_PREFIX);
    const licenceRoute = (route: LicenceRouteProtection): wafv2.CfnWebACL.StatementProperty[] => [
      startsWith(route.pathPrefix),
      anyMethod([route.method]),
    ];
    // The smallest body inspection limit that covers the cap: a body past it is over the cap too.
    const inspection =
      licence === undefined ? undefined : INSPECTION_LIMITS.find(([bytes]) => bytes >= licence.maxBodyBytes);
    const licenceRules: wafv2.CfnWebACL.RuleProperty[] =
      licence === undefined
        ? []
        : [
            {
              name: 'LicenceBodySize',
              priority: 4,
              // 413, as the proxy answers: a viewer must not read a too-large challenge as a refusal.
              action: { block: { customResponse: { responseCode: 413 } } },
              statement: {
                andStatement: {
                  statements: [
                    ...licenceRoute(licence),
                    {
                      sizeConstraintStatement: {
                        fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                        comparisonOperator: 'GT',
                        size: licence.maxBodyBytes,
                        textTransformations: [{ priority: 0, type: 'NONE' }],
                      },
                    },
                  ],
                },
              },
              visibilityConfig: visibility('licence-body-size'),
            },
          ];
    const bodyLabelRules: wafv2.CfnWebACL.RuleProperty[] =
      licence === undefined
        ? []
        : [
            {
              name: 'ManagedBodyRulesOutsideLicence',
              priority: 5 + MANAGED_RULE_GROUPS.length,
              action: { block: {} },
              statement: {
                andStatement: {
                  statements: [
                    {
                      orStatement: {
                        statements: Object.values(BODY_RULES)
                          .flatMap((rules) => Object.values(rules))
                          .map((key) => ({ labelMatchStatement: { scope: 'LABEL', key } })),
                      },
                    },
                    { notStatement: { statement: { andStatement: { statements: licenceRoute(licence) } } } },
                  ],
                },
              },
              visibilityConfig: visibility('managed-body-rules'),
            },
          ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description:
        'streamgate: IP reputation, per-IP rate limits, API method allow-list, licence body size, AWS managed rules',
      visibilityConfig: visibility('web-acl'),
      rules: [
        managed(0, IP_REPUTATION_GROUP),
        {
          name: 'RateLimitPerIp',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.rateLimitPerIp, aggregateKeyType: 'IP', evaluationWindowSec: window },
          },
          visibilityConfig: visibility('rate-per-ip'),
        },
        {
          name: 'ApiRateLimitPerIp',
          priority: 2,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.apiRateLimitPerIp,
              aggregateKeyType: 'IP',
              evaluationWindowSec: window,
              scopeDownStatement: underApi,
            },
          },
          visibilityConfig: visibility('api-rate-per-ip'),
        },
        {
          name: 'ApiMethodAllowList',
          priority: 3,
          action: { block: {} },
          statement: {
            andStatement: { statements: [underApi, { notStatement: { statement: anyMethod(props.apiMethods) } }] },
          },
          visibilityConfig: visibility('api-method'),
        },
        ...licenceRules,
        ...MANAGED_RULE_GROUPS.map((group, index) => managed(5 + index, group)),
        ...bodyLabelRules,
      ],
      ...(inspection !== undefined && inspection[1] !== 'KB_16'
        ? // Larger licence bodies than WAF inspects by default: inspect up to the cap (WAF charges for more than 16 KB).
          { associationConfig: { requestBody: { CLOUDFRONT: { defaultSizeInspectionLimit: inspection[1] } } } }
        : {}),
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // WAF only delivers to log groups whose name starts with aws-waf-logs-, so CloudFormation
      // cannot generate the name. The group is retained (request logs are evidence after a
      // teardown), so the name ends in this stack's id, new for every stack: a redeploy after
      // `cdk destroy` or after a failed first deploy never collides with the group left behind.
      logGroupName: `aws-waf-logs-${name}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`,
      retention: logRetention(props.logRetentionDays, 'EdgeProtection'),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix logGroupArn carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Bearer tokens, signed cookies and signed-URL query strings are credentials.
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'cookie' } },
        { queryString: {} },
      ],
    });
  }

  get webAclArn(): string {
    return this.webAcl.attrArn;
  }

  /** The name CloudFormation generated (the `WebACL` dimension of the AWS/WAFV2 metrics). */
  get webAclName(): string {
    return this.webAcl.webAclRef.webAclName;
  }
}

/**
 * What every match on the URI path does to the path first. WAF inspects the path as the viewer
 * sent it; a path that CloudFront or the API reads as `/api/...` once decoded or normalized
 * (`//api/...`, `/%61pi/...`, `/x/../api/...`) would otherwise miss a raw `/api/` match and dodge
 * the API rate limit and method allow-list. Decode first, so an encoded `/` or `.` is there for
 * NORMALIZE_PATH to collapse.
 */
export const URI_PATH_TRANSFORMATIONS: readonly wafv2.CfnWebACL.TextTransformationProperty[] = [
  { priority: 0, type: 'URL_DECODE' },
  { priority: 1, type: 'NORMALIZE_PATH' },
];

function startsWith(prefix: string): wafv2.CfnWebACL.StatementProperty {
  return {
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'STARTS_WITH',
      searchString: prefix,
      textTransformations: [...URI_PATH_TRANSFORMATIONS],
    },
  };
}

function anyMethod(methods: readonly string[]): wafv2.CfnWebACL.StatementProperty {
  const matches = methods.map(
    (method): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { method: {} },
        positionalConstraint: 'EXACTLY',
        searchString: method,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    }),
  );
  return matches.length === 1 ? matches[0] : { orStatement: { statements: matches } };
}
