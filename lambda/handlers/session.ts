/** `DELETE /api/v1/session` — thin Lambda entry over lambda/core/api/session.ts. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { atInit, createSessionRoute } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const session = atInit(createSessionRoute());

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => (await session).handle(event);
