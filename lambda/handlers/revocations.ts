/** The admin routes (`POST /api/v1/revocations`, `DELETE /api/v1/revocations/users/{sub}`, `GET /api/v1/users/{sub}/sessions`) — thin Lambda entry over lambda/core/api/revocations.ts. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { functionObservability, withInvocation } from '../runtime/observability';
import { atInit, createRevocationsRoute } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const revocations = atInit(createRevocationsRoute());

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
  withInvocation(functionObservability().logger, context);
  return (await revocations).handle(event);
};
