/**
 * The admin routes (`POST /api/v1/revocations`, `DELETE /api/v1/revocations/users/{sub}`,
 * `GET /api/v1/users/{sub}/sessions`) — thin Lambda entry over lambda/core/api.ts, by route key.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { adminOperation } from '../core/admin-routes';
import type { HttpResponse } from '../core/http';
import { sharedApi } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const api = sharedApi({ signs: false });

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => adminOperation(await api, event);
