/**
 * TEST-ONLY fault injection for local mode: `STREAMGATE_LOCAL_FAULT` breaks one promise of the
 * local stack on purpose, so a test can show that `streamgate verify` notices and names the
 * broken check (test/verify/verify-local.test.ts). Never set it otherwise; the stack says so on
 * stderr when it is set. Values:
 *   no-edge-revocation        the viewer-request function runs without its KeyValueStore (the
 *                             deny-list is written but never read, as when the store is not associated)
 *   drop-header:<name>        the edge drops that response header (e.g. content-security-policy)
 *   expose-route              every /api/ path no route declares reaches the playback function,
 *                             as an `ANY /{proxy+}` route would
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PATH_PREFIX, API_ROUTES } from '../lambda/core/api-routes';
import type { EdgeOptions } from './edge-server';

export const LOCAL_FAULT_VARIABLE = 'STREAMGATE_LOCAL_FAULT';

export type LocalFault =
  | { kind: 'none' }
  | { kind: 'no-edge-revocation' }
  | { kind: 'drop-header'; header: string }
  | { kind: 'expose-route' };

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export function parseLocalFault(value: string | undefined): LocalFault {
  if (value === undefined || value === '') return { kind: 'none' };
  if (value === 'no-edge-revocation' || value === 'expose-route') return { kind: value };
  const dropped = /^drop-header:([A-Za-z0-9-]+)$/.exec(value);
  if (dropped !== null) return { kind: 'drop-header', header: dropped[1].toLowerCase() };
  throw new Error(
    `${LOCAL_FAULT_VARIABLE}: one of no-edge-revocation, drop-header:<name>, expose-route (test-only), got "${value}"`,
  );
}

/** The routes' paths as patterns (`{name}` is one non-empty segment, as API Gateway matches it). */
const DECLARED = API_ROUTES.map((route) => new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`));

/** The local edge, with the fault of `STREAMGATE_LOCAL_FAULT` (if any) built in. */
export function withLocalFault(
  createEdge: (options: EdgeOptions) => Handler,
  options: EdgeOptions,
  env: NodeJS.ProcessEnv = process.env,
): Handler {
  const fault = parseLocalFault(env[LOCAL_FAULT_VARIABLE]);
  if (fault.kind === 'none') return createEdge(options);
  process.stderr.write(
    `WARNING ${LOCAL_FAULT_VARIABLE}=${env[LOCAL_FAULT_VARIABLE]}: this local stack is broken on purpose (test-only)\n`,
  );
  if (fault.kind === 'no-edge-revocation') return createEdge({ ...options, keyValueStore: undefined });
  const edge = createEdge(options);
  if (fault.kind === 'expose-route')
    return (req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith(API_PATH_PREFIX) && !DECLARED.some((route) => route.test(path))) {
        req.url = '/api/v1/playback/exposed';
        req.method = 'POST';
      }
      return edge(req, res);
    };
  return (req, res) => {
    dropHeader(res, fault.header);
    return edge(req, res);
  };
}

/** Removes a header from whatever `writeHead` is given (an object, or a flat [name, value, …] list). */
function dropHeader(res: ServerResponse, name: string): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const strip = (arg: unknown): unknown => {
    if (Array.isArray(arg)) {
      const pairs: unknown[] = [];
      for (let index = 0; index + 1 < arg.length; index += 2)
        if (String(arg[index]).toLowerCase() !== name) pairs.push(arg[index], arg[index + 1]);
      return pairs;
    }
    if (arg !== null && typeof arg === 'object')
      return Object.fromEntries(Object.entries(arg).filter(([key]) => key.toLowerCase() !== name));
    return arg;
  };
  (res as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
    res.removeHeader(name);
    return writeHead(...args.map(strip));
  };
}
