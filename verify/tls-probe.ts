/**
 * Whether a server completes a handshake at a TLS version below 1.2. node:tls with the client's
 * own floor lowered (OpenSSL 3 offers TLS 1.0/1.1 only at security level 0), so that a refusal
 * is the server's: an alert or a closed connection, not this client declining to ask.
 */
import { connect } from 'node:tls';

export type TlsProbe =
  | { outcome: 'accepted'; protocol: string }
  | { outcome: 'refused'; detail: string }
  /** This Node cannot offer the version at all: no verdict on the server. */
  | { outcome: 'client-cannot'; detail: string }
  | { outcome: 'unreachable'; detail: string };

export function probeTls(
  target: { host: string; port: number; servername?: string },
  maxVersion: 'TLSv1' | 'TLSv1.1',
  timeoutMs = 10_000,
): Promise<TlsProbe> {
  return new Promise((done) => {
    let settled = false;
    const finish = (result: TlsProbe) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      done(result);
    };
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.servername === undefined || /^[\d.:]+$/.test(target.servername)
        ? {}
        : { servername: target.servername }),
      minVersion: 'TLSv1',
      maxVersion,
      ciphers: 'DEFAULT@SECLEVEL=0',
      // The certificate is not the question here; the version is.
      rejectUnauthorized: false,
    });
    socket.setTimeout(timeoutMs, () =>
      finish({ outcome: 'unreachable', detail: `no handshake within ${timeoutMs} ms` }),
    );
    socket.once('secureConnect', () => finish({ outcome: 'accepted', protocol: socket.getProtocol() ?? 'unknown' }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(classify(error)));
    socket.once('close', () =>
      finish({ outcome: 'refused', detail: 'the server closed the connection during the handshake' }),
    );
  });
}

function classify(error: NodeJS.ErrnoException): TlsProbe {
  const code = error.code ?? '';
  const detail = `${code || error.name}: ${error.message.split('\n')[0]}`;
  if (code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE' || /no protocols available/i.test(error.message))
    return { outcome: 'client-cannot', detail };
  if (code.startsWith('ERR_SSL_') || code === 'ECONNRESET' || code === 'EPIPE') return { outcome: 'refused', detail };
  return { outcome: 'unreachable', detail };
}
