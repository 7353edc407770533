/** `POST /api/v1/revocations` — thin Lambda entry over lambda/core/api/revocations.ts. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { atInit, createRevocationsRoute } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const revocations = atInit(createRevocationsRoute());

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> =>
  (await revocations).handle(event);
