/**
 * The us-east-1 stack: CloudFront only attaches CLOUDFRONT-scope web ACLs, and those exist only
 * in us-east-1. The main stack reads the ACL's ARN through a cross-region reference.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StreamgateConfig } from './config';
import { EdgeProtection } from './edge-protection';
import { API_ROUTES } from './playback-api';

export interface EdgeStackProps extends StackProps {
  /** The validated deploy config (account, WAF limits, log retention). */
  readonly config: StreamgateConfig;
}

export class EdgeStack extends Stack {
  readonly protection: EdgeProtection;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, env: { account: props.config.account, region: 'us-east-1' }, crossRegionReferences: true });
    const { waf } = props.config;
    this.protection = new EdgeProtection(this, 'EdgeProtection', {
      rateLimitPerIp: waf.rateLimitPerIp,
      apiRateLimitPerIp: waf.apiRateLimitPerIp,
      evaluationWindowSeconds: waf.evaluationWindowSeconds,
      apiMethods: [...new Set(API_ROUTES.map((route) => route.method))],
      name: props.config.name,
      logRetentionDays: props.config.logRetentionDays,
    });
  }
}
