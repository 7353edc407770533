/** `POST /api/v1/licence/{videoId}/{drmSystem}` — thin Lambda entry over lambda/core/api.ts. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { sharedApi } from '../runtime/runtime';

// Signs nothing (no signing key read); reads the licence servers' credentials at init.
const api = sharedApi({ signs: false, licences: true });

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => (await api).licence(event);
