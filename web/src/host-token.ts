/**
 * The deployed page's token hand-off: the host application (the viewer's app, which signed the
 * viewer in) opens this page with `window.open` (or frames it, where the CSP allows) and answers
 * its token requests by postMessage. Nothing goes in the URL or in storage:
 * - the page asks `{ type: 'streamgate:token-request', id }` of its opener (or parent), addressed
 *   to each allowed host origin only (postMessage drops it for any other origin);
 * - it accepts `{ type: 'streamgate:token', id, token }` only from that same window and from an
 *   allowed origin, and `{ type: 'streamgate:signed-out', id }` as "no viewer";
 * - it asks before every grant request (first and each refresh), so the host hands a fresh token.
 * The allowed origins are in `<meta name="streamgate-host-origins">`, written by the build.
 */

export const TOKEN_TIMEOUT_MS = 10000;

export interface HostLink {
  getToken(): Promise<string>;
  /** Tells the host something happened (stopped, and why; the viewer pressed an action). */
  notify(message: { type: string; [key: string]: unknown }): void;
  readonly connected: boolean;
}

export function hostOrigins(doc: Document): string[] {
  const meta = doc.querySelector('meta[name="streamgate-host-origins"]');
  return (meta?.getAttribute('content') ?? '').split(/\s+/).filter((origin) => /^https?:\/\/[^/\s]+$/.test(origin));
}

export function linkToHost(win: Window, origins: string[]): HostLink {
  const host: Window | null = win.opener ?? (win.parent !== win ? win.parent : null);
  let nextId = 1;
  const waiting = new Map<number, { resolve: (token: string) => void; reject: (error: Error) => void }>();
  win.addEventListener('message', (event: MessageEvent) => {
    if (host === null || event.source !== host || !origins.includes(event.origin)) return;
    const data = event.data as { type?: unknown; id?: unknown; token?: unknown } | null;
    if (typeof data !== 'object' || data === null || typeof data.id !== 'number') return;
    const pending = waiting.get(data.id);
    if (pending === undefined) return;
    waiting.delete(data.id);
    if (data.type === 'streamgate:token' && typeof data.token === 'string' && data.token !== '')
      pending.resolve(data.token);
    else pending.reject(new Error('the host application has no signed-in viewer'));
  });
  const post = (message: object) => {
    for (const origin of origins) host?.postMessage(message, origin);
  };
  return {
    connected: host !== null && origins.length > 0,
    getToken() {
      if (host === null || origins.length === 0)
        return Promise.reject(new Error('no host application to ask for a token'));
      const id = nextId++;
      return new Promise<string>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        post({ type: 'streamgate:token-request', id });
        setTimeout(() => {
          if (waiting.delete(id)) reject(new Error('the host application did not answer with a token'));
        }, TOKEN_TIMEOUT_MS);
      });
    },
    notify(message) {
      post(message);
    },
  };
}
