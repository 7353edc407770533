/** `POST /api/v1/revocations` — thin Lambda entry over lambda/core/api.ts. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { sharedApi } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const api = sharedApi({ signs: false });

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => (await api).revoke(event);
