/** `DELETE /api/v1/session` — thin Lambda entry over lambda/core/api/session.ts. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { functionObservability, withInvocation } from '../runtime/observability';
import { atInit, createSessionRoute } from '../runtime/runtime';

// Never signs: it neither loads nor may read the CloudFront private key.
const session = atInit(createSessionRoute());

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
  withInvocation(functionObservability().logger, context);
  return (await session).handle(event);
};
