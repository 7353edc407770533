/** `POST /api/v1/playback/{videoId}` — thin Lambda entry over lambda/core/api.ts. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http';
import { sharedApi } from '../runtime/runtime';

const api = sharedApi();

export const handler = async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => (await api).playback(event);
