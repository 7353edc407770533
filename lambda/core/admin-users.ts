/**
 * The admin routes about one user, beside revocation (docs/api.md, "Admin routes"): read what
 * the store holds for them, and lift a mistaken cut-off. The caller is checked by the API (admin
 * scope, lambda/core/api.ts); this module reads the route's input and shapes the answers.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InvalidRequest } from './errors';
import { isIdentifier } from './request';

/** The `{sub}` path parameter: whose state (API Gateway and the local adapter pass it decoded). */
export function subParam(event: APIGatewayProxyEventV2): string {
  const sub = event.pathParameters?.sub;
  if (sub === undefined || !isIdentifier(sub))
    throw new InvalidRequest('the user (path {sub}) must be 1 to 256 characters without control characters');
  return sub;
}

/**
 * The answer of `DELETE /api/v1/revocations/users/{sub}`: the cut-off removed (null: there was
 * none, nothing changed). Grants the cut-off put on the edge deny-list stay denied until they
 * expire (at most the grant lifetime): the deny-list has no un-deny, so a lift cannot race a
 * revocation into letting a grant through.
 */
export function liftAnswer(iss: string, sub: string, before: number | undefined) {
  return { lifted: { iss, sub, before: before ?? null } };
}
