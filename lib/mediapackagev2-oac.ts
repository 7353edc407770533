/**
 * CloudFront → MediaPackage v2 through Origin Access Control, shared by the clear live channels
 * (lib/live.ts) and the DRM live channel (lib/packaging.ts): CloudFront signs its origin requests
 * (SigV4, origin type `mediapackagev2`) and each endpoint's policy lets `cloudfront.amazonaws.com`
 * read it only on behalf of one distribution (`AWS:SourceArn`). No shared secret exists to leak or
 * rotate. MediaPackage v1 (VOD) has no OAC and keeps its CDN-identifier header.
 *
 * The endpoint policy names the distribution while the distribution names the endpoints' egress
 * domain: the policy is its own resource, added once the distribution exists, so no cycle forms.
 */
import { Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** What CloudFront may do on an endpoint: get objects, nothing else. */
export const OAC_ENDPOINT_ACTIONS = ['mediapackagev2:GetObject', 'mediapackagev2:GetHeadObject'] as const;

/** An Origin Access Control of type `mediapackagev2` (signing always, SigV4). */
export function mediaPackageV2AccessControl(
  scope: Construct,
  id: string,
  description: string,
): cloudfront.IOriginAccessControl {
  return new cloudfront.MediaPackageV2OriginAccessControl(scope, id, { description });
}

/** A MediaPackage v2 egress host as a CloudFront origin, signed by `accessControl`, with no secret header. */
export function mediaPackageV2Origin(
  egressDomain: string,
  accessControl: cloudfront.IOriginAccessControl,
  originPath?: string,
): cloudfront.IOrigin {
  return new origins.HttpOrigin(egressDomain, {
    ...(originPath === undefined ? {} : { originPath }),
    protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
    originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    originAccessControlId: accessControl.originAccessControlId,
  });
}

/** The endpoint policy letting `distribution`'s OAC (and nothing else) read `endpointArn`. */
export function mediaPackageV2EndpointPolicy(
  scope: Construct,
  distribution: cloudfront.IDistribution,
  endpointArn: string,
): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AllowCloudFrontOacOfThisDistribution',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: [...OAC_ENDPOINT_ACTIONS],
        resources: [endpointArn],
        conditions: {
          StringEquals: {
            'AWS:SourceArn': Stack.of(scope).formatArn({
              service: 'cloudfront',
              region: '',
              resource: 'distribution',
              resourceName: distribution.distributionId,
            }),
          },
        },
      }),
    ],
  });
}
