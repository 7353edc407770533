/** `POST /api/v1/playback/{videoId}` — thin Lambda entry over lambda/core/api/playback.ts. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { causeSummary, SigningKeyUnavailable } from '../core/errors';
import { errorResponse, type HttpResponse } from '../core/http';
import { functionObservability, withInvocation } from '../runtime/observability';
import { atInit, createPlaybackRoute } from '../runtime/runtime';

// The one function that reads the CloudFront private key. Exported as `ready`: the init the
// handler awaits, which the cold-start bench times (bench/cold-start.ts).
const playback = atInit(createPlaybackRoute());
export const ready: Promise<unknown> = playback;
const { logger } = functionObservability();

export const handler = async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse> => {
  withInvocation(logger, context);
  const { route, signingKey } = await playback;
  try {
    // A rotation switches the active key; never sign with one older than the refresh period.
    await signingKey.refresh();
  } catch (error) {
    if (!(error instanceof SigningKeyUnavailable)) throw error;
    // The message names the variable and the error class, never key material.
    logger.error('signing key cannot be re-read; refusing to sign', {
      error: error.causeMessage,
      cause: causeSummary(error),
    });
    return errorResponse(error);
  }
  return route.handle(event);
};
