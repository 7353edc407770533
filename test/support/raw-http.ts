/**
 * GET with the request-target exactly as written. `fetch` and `URL` resolve dot segments and
 * re-encode before sending, so path-traversal tests must go through node:http with a raw `path`.
 */
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends `GET <rawPath>` to 127.0.0.1:port; `host` is the Host header (the signed Resource's host). */
export function rawGet(
  port: number,
  rawPath: string,
  options: { host: string; cookie?: string },
): Promise<RawResponse> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { host: options.host };
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}
