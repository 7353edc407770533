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
import { API_PATH_PREFIX } from './api-routes';
import { logRetention } from './node-function';

export { API_PATH_PREFIX };

/** Managed rule groups, in evaluation order after the IP reputation list. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;
export const IP_REPUTATION_GROUP = 'AWSManagedRulesAmazonIpReputationList';

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
    const managed = (priority: number, group: string): wafv2.CfnWebACL.RuleProperty => ({
      name: group,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group } },
      visibilityConfig: visibility(group),
    });
    const underApi = startsWith(API_PATH_PREFIX);

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description: 'streamgate: IP reputation, per-IP rate limits, API method allow-list, AWS managed rules',
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
        ...MANAGED_RULE_GROUPS.map((group, index) => managed(4 + index, group)),
      ],
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
