/**
 * What every check works with: the options, the bounded HTTP client, the test users' tokens, and
 * the API and media calls a player makes. The battery's own test users are named
 * `streamgate-verify-<run>-<role>`; a token source that cannot issue for a named user gives its
 * own subject, and then every role shares it (the checks allow for that).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Credentials, type Grant, parseGrant, withQuery } from './grant';
import { apiError, header, type HttpAnswer, HttpClient, jsonBody, sleep } from './http';
import type { VerifyOptions } from './options';
import type { IssuedToken, TokenSource } from './tokens';

export interface PlaybackResult {
  answer: HttpAnswer;
  /** Set on a 200 that reads as a grant. */
  grant?: Grant;
}

export class VerifyContext {
  readonly http: HttpClient;
  /** `streamgate-verify-<8 hex>`: this run's test users start with it. */
  readonly runId: string;
  /** The base URL names a loopback host: `npm start`, not a deployment. */
  readonly local: boolean;
  readonly https: boolean;
  /** Edge refusal times measured by the revocation checks, for the KeyValueStore question. */
  readonly edgeRevocationMs: { check: string; ms: number }[] = [];
  /** Tokens this run obtained and has not logged out: logged out at the end (frees their stream slots). */
  private readonly live = new Map<string, IssuedToken>();
  private readonly progressSink: (line: string) => void;
  private sharedToken?: Promise<IssuedToken>;
  private sharedAdmin?: Promise<IssuedToken>;
  private readonly sharedGrants = new Map<string, Promise<Grant>>();

  constructor(
    readonly options: VerifyOptions,
    dependencies: { progress?: (line: string) => void; runId?: string } = {},
  ) {
    this.http = new HttpClient({ maxRequests: options.maxRequests, timeoutMs: 15_000 });
    this.runId = dependencies.runId ?? `streamgate-verify-${randomBytes(4).toString('hex')}`;
    const host = new URL(options.base).hostname;
    this.local = host === 'localhost' || host === '[::1]' || /^127\./.test(host);
    this.https = new URL(options.base).protocol === 'https:';
    this.progressSink = dependencies.progress ?? (() => undefined);
  }

  progress(line: string): void {
    this.progressSink(line);
  }

  url(path: string): string {
    return `${this.options.base}${path}`;
  }

  /** The test user for a role: its own sub when the source can issue for one. */
  user(role: string): string {
    return `${this.runId}-${role}`;
  }

  get viewer(): TokenSource {
    return this.options.viewer;
  }

  /** A viewer token for a role's test user, entitled to the battery's videos. */
  async viewerToken(role: string): Promise<IssuedToken> {
    const videos = [this.options.video, ...(this.options.drmVideo === undefined ? [] : [this.options.drmVideo])];
    const issued = await this.viewer.token({ sub: this.user(role), videos });
    if (this.viewer.mints) this.live.set(issued.token, issued);
    return issued;
  }

  /** The `play` test user's token, obtained once and shared by the read-only checks. */
  playToken(): Promise<IssuedToken> {
    this.sharedToken ??= this.viewerToken('play');
    return this.sharedToken;
  }

  /** A grant of `--video` for the shared token, one per delivery mode, obtained once. */
  async playGrant(delivery: 'cookie' | 'url'): Promise<Grant> {
    const kept = await this.sharedGrants.get(delivery)?.catch(() => undefined);
    // Refreshed, as a player would, once less than 10 s remain (short grant lifetimes, long runs).
    if (kept !== undefined && kept.expiresAt * 1000 - this.nowMs() > 10_000) return kept;
    const grant = this.playToken().then((token) => this.grant(token, this.options.video, delivery));
    this.sharedGrants.set(delivery, grant);
    return grant;
  }

  /** The admin token, obtained once and again only when less than a minute of it is left. */
  async adminToken(): Promise<IssuedToken | undefined> {
    const source = this.options.admin;
    if (source === undefined) return undefined;
    const kept = await this.sharedAdmin?.catch(() => undefined);
    if (kept !== undefined && (kept.exp === undefined || kept.exp * 1000 - this.nowMs() > 60_000)) return kept;
    this.sharedAdmin = source.token({ sub: `${this.runId}-admin`, videos: [] });
    return this.sharedAdmin;
  }

  /** `POST /api/v1/playback/{videoId}`; waits out one rate-limit answer unless `rateLimited` is 'answer'. */
  async play(
    token: IssuedToken,
    videoId: string,
    delivery: 'cookie' | 'url',
    rateLimited: 'wait' | 'answer' = 'wait',
  ): Promise<PlaybackResult> {
    const query = delivery === 'url' ? '?delivery=url' : '';
    const call = () =>
      this.http.send({
        method: 'POST',
        url: this.url(`/api/v1/playback/${videoId}${query}`),
        headers: { authorization: `Bearer ${token.token}` },
      });
    let answer = await call();
    if (answer.status === 429 && rateLimited === 'wait') {
      const wait = Math.min(Number(header(answer, 'retry-after') ?? '1') || 1, this.options.rateWindowSeconds + 1);
      this.progress(`  rate limited (its own earlier calls): waiting ${wait} s`);
      await sleep(wait * 1000);
      answer = await call();
    }
    if (answer.status !== 200) return { answer };
    const setCookie = answer.headers['set-cookie'] ?? [];
    return { answer, grant: parseGrant(jsonBody(answer), setCookie, delivery) };
  }

  /** A grant or an error naming the answer: for checks that cannot go on without one. */
  async grant(token: IssuedToken, videoId: string, delivery: 'cookie' | 'url'): Promise<Grant> {
    const { answer, grant } = await this.play(token, videoId, delivery);
    if (grant === undefined)
      throw new Error(
        `playback of ${videoId} (${delivery}) answered ${answer.status} ${apiError(answer) ?? ''}`.trim(),
      );
    return grant;
  }

  /** GET a media URL (a path under the base, or absolute) as a player presents the grant. */
  media(urlOrPath: string, credentials: Credentials, method: 'GET' | 'HEAD' = 'GET'): Promise<HttpAnswer> {
    const url = urlOrPath.startsWith('/') ? this.url(urlOrPath) : urlOrPath;
    return this.http.send({
      method,
      url: withQuery(url, credentials.query),
      headers: credentials.cookie === undefined ? {} : { cookie: credentials.cookie },
    });
  }

  /** `DELETE /api/v1/session`: the holder logs out. */
  async logout(token: IssuedToken): Promise<HttpAnswer> {
    this.live.delete(token.token);
    return this.http.send({
      method: 'DELETE',
      url: this.url('/api/v1/session'),
      headers: { authorization: `Bearer ${token.token}` },
    });
  }

  /** `POST /api/v1/revocations` with the admin token: only ever for this run's own test users. */
  async revoke(admin: IssuedToken, body: { sub: string; jti?: string; before?: number }): Promise<HttpAnswer> {
    return this.http.send({
      method: 'POST',
      url: this.url('/api/v1/revocations'),
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Forgets a token the checks revoked some other way (admin revocation): nothing to log out. */
  forget(token: IssuedToken): void {
    this.live.delete(token.token);
  }

  /** Logs out every token the run obtained and still holds, freeing the test users' stream slots. */
  async cleanup(): Promise<void> {
    for (const token of [...this.live.values()]) await this.logout(token).catch(() => undefined);
    this.http.close();
  }

  nowMs(): number {
    return performance.timeOrigin + performance.now();
  }
}
