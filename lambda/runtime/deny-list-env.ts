/**
 * The environment contract between the deployed deny-list functions and the CDK that sets it
 * (lib/edge-revocation.ts, lib/streamgate-stack.ts). No imports: synthesizing loads no SDK.
 */

/** The deny-list functions: ARN of the CloudFront KeyValueStore they write. */
export const DENY_LIST_KVS_ARN_VARIABLE = 'EDGE_DENY_LIST_KVS_ARN';

/** The API functions: whether they record grant ids for the edge deny-list (`on`) or not (`off`). */
export const EDGE_DENY_LIST_VARIABLE = 'EDGE_DENY_LIST';
