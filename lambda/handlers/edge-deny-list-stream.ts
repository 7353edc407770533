/**
 * The state table's DynamoDB stream → the edge deny-list (CloudFront KeyValueStore). Thin entry
 * over lambda/runtime/deny-list-runtime.ts; the event source mapping reports batch item failures.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { sharedDenyListRuntime } from '../runtime/deny-list-runtime';

export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  sharedDenyListRuntime().onStreamBatch(event);
