/** The admin function's dispatch by route key, shared by its Lambda entry and the local adapter. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ADMIN_ROUTE_METHODS } from '../../lib/api-routes';
import type { StreamgateApi } from './api';
import type { HttpResponse } from './http';

export type AdminApi = Pick<StreamgateApi, (typeof ADMIN_ROUTE_METHODS)[keyof typeof ADMIN_ROUTE_METHODS]>;

export function adminOperation(api: AdminApi, event: APIGatewayProxyEventV2): Promise<HttpResponse> {
  const method = ADMIN_ROUTE_METHODS[event.routeKey as keyof typeof ADMIN_ROUTE_METHODS];
  // Only API Gateway's routes to this function reach it: anything else is a deployment fault.
  if (method === undefined) throw new Error(`no admin route ${event.routeKey}`);
  return api[method](event);
}
