/**
 * The admin routes over HTTP (docs/api.md, "Admin routes"), as the operator CLI calls them: the
 * same against `npm start` and a deployment (`--api`). A 429 or 503 is retried after its
 * Retry-After (a bounded number of times); any other refusal is an AdminApiError carrying the
 * API's reason. Tokens are sent, never logged.
 */
import type { ADMIN_ROUTE_METHODS } from '../../lambda/core/api-routes';

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

export interface AdminApiOptions {
  /** The deployment's (or npm start's) origin: `https://video.example.com`. */
  api: string;
  token: () => Promise<string>;
  /** Retries of a 429/503 before giving up. @default 5 */
  retries?: number;
  /** Waits (tests shorten it). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

type RouteKey = keyof typeof ADMIN_ROUTE_METHODS;

export class AdminApi {
  private readonly base: string;
  constructor(private readonly options: AdminApiOptions) {
    this.base = options.api.replace(/\/+$/, '');
  }

  revokeToken(sub: string, jti: string): Promise<unknown> {
    return this.call('POST /api/v1/revocations', {}, { sub, jti });
  }

  revokeUser(sub: string, before?: number): Promise<unknown> {
    return this.call('POST /api/v1/revocations', {}, before === undefined ? { sub } : { sub, before });
  }

  liftCutoff(sub: string): Promise<unknown> {
    return this.call('DELETE /api/v1/revocations/users/{sub}', { sub });
  }

  userState(sub: string): Promise<unknown> {
    return this.call('GET /api/v1/users/{sub}/sessions', { sub });
  }

  private async call(route: RouteKey, params: Record<string, string>, body?: unknown): Promise<unknown> {
    const [method, template] = route.split(' ');
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]));
    const retries = this.options.retries ?? 5;
    const sleep = this.options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.options.token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        parsed = undefined;
      }
      if (response.ok) return parsed;
      const retryAfter = Number(response.headers.get('retry-after') ?? 1);
      if ((response.status === 429 || response.status === 503) && attempt < retries) {
        await sleep(Math.min(60, Number.isFinite(retryAfter) ? Math.max(retryAfter, 1) : 1) * 1000);
        continue;
      }
      const reason = typeof parsed?.reason === 'string' ? parsed.reason : undefined;
      const detail = typeof parsed?.error_description === 'string' ? parsed.error_description : text.slice(0, 200);
      throw new AdminApiError(
        response.status,
        reason,
        `${method} ${path}: ${response.status} ${reason ?? ''} ${detail}`.trim(),
      );
    }
  }
}
