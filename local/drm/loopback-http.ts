/**
 * What the local DRM servers (ClearKey licence server, SPEKE key provider) share as HTTP
 * endpoints: a request body read up to a cap, and a server on a loopback port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The body, or undefined as soon as it passes `limit` bytes (the rest is not read). */
export function readBounded(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        done(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) done(Buffer.concat(chunks));
    });
    req.on('error', fail);
  });
}

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 (port 0: any free one); a handler that throws answers 500. */
export function serveOnLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port = 0,
): Promise<LoopbackServer> {
  const http = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  return new Promise((done, fail) => {
    http.once('error', fail);
    http.listen(port, '127.0.0.1', () => {
      const { port: bound } = http.address() as AddressInfo;
      done({
        origin: `http://127.0.0.1:${bound}`,
        close: () =>
          new Promise<void>((closed) => {
            http.close(() => closed());
            http.closeAllConnections();
          }),
      });
    });
  });
}
