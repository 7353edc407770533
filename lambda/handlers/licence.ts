/** `POST /api/v1/licence/{videoId}/{drmSystem}` — thin Lambda entry over lambda/core/api/licence.ts. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { functionObservability, withInvocation } from '../runtime/observability';
import { atInit, createLicenceRoute } from '../runtime/runtime';

// Signs nothing (no signing key read); reads the licence servers' credentials at init.
const licence = atInit(createLicenceRoute());

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
  withInvocation(functionObservability().logger, context);
  return (await licence).handle(event);
};
