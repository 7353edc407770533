/**
 * The local stack in-process for the client-library tests: a dynalite of the tests' own on a
 * persisted folder (so it can be stopped and restarted on its port, table kept), short-lived
 * grants, and viewer tokens minted by the dev IdP over HTTP as an app's backend would.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';

export const SIGNED_TTL_SECONDS = 10;
export const RATE_LIMIT_PER_WINDOW = 30;

export interface ClientStack {
  stack: LocalStack;
  /** Origin with no trailing slash, as an app passes `apiBase`. */
  apiBase: string;
  token(sub: string, videos: string[]): Promise<string>;
  logout(token: string): Promise<Response>;
  /** An admin revokes every token of `sub` (POST /api/v1/revocations). */
  revokeUser(sub: string): Promise<Response>;
  /** Stops the DynamoDB server (the API then answers 503). */
  stopStore(): Promise<void>;
  /** Restarts it on the same port and folder. */
  restartStore(): Promise<void>;
  close(): Promise<void>;
}

export interface ClientStackOptions {
  /** @default SIGNED_TTL_SECONDS */
  signedTtlSeconds?: number;
  /** Extra API environment, over the defaults below. */
  apiEnv?: Record<string, string>;
}

export async function startClientStack(options: ClientStackOptions = {}): Promise<ClientStack> {
  const root = mkdtempSync(join(tmpdir(), 'streamgate-client-'));
  const dynamoPath = join(root, 'dynalite');
  let dynamo: LocalDynamo | undefined = await startDynalite({ path: dynamoPath });
  const port = dynamo.port;
  const logs = new LogCapture();
  const stack = await startLocalStack({
    dir: join(root, '.local'),
    port: 0,
    dynamoEndpoint: dynamo.endpoint,
    signedTtlSeconds: options.signedTtlSeconds ?? SIGNED_TTL_SECONDS,
    apiEnv: {
      MAX_CONCURRENT_STREAMS: '50',
      // Many sessions of one user: the growth caps at their largest (test/store proves them).
      MAX_SESSIONS_PER_HOUR: '200',
      MAX_GRANTS_PER_BUCKET: '500',
      RATE_LIMIT_PER_WINDOW: String(RATE_LIMIT_PER_WINDOW),
      STORE_TIMEOUT_MS: '500',
      ...options.apiEnv,
    },
    logger: logs.logger,
  });
  const apiBase = stack.url.replace(/\/$/, '');
  return {
    stack,
    apiBase,
    async token(sub, videos) {
      const response = await fetch(`${apiBase}/idp/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub, videos }),
      });
      if (response.status !== 200) throw new Error(`dev IdP: HTTP ${response.status}`);
      return ((await response.json()) as { access_token: string }).access_token;
    },
    async revokeUser(sub) {
      const response = await fetch(`${apiBase}/idp/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'matrix-admin', scope: 'streamgate:admin' }),
      });
      const admin = ((await response.json()) as { access_token: string }).access_token;
      return fetch(`${apiBase}/api/v1/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub }),
      });
    },
    logout: (token) =>
      fetch(`${apiBase}/api/v1/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }),
    async stopStore() {
      await dynamo?.stop();
      dynamo = undefined;
    },
    async restartStore() {
      dynamo = await startDynalite({ path: dynamoPath, port });
    },
    async close() {
      await stack.close();
      await dynamo?.stop();
      logs.stop();
    },
  };
}

/** Resolves with the next value of a session event. */
export function next<T>(subscribe: (listener: (value: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((value) => {
      off();
      resolve(value);
    });
  });
}
