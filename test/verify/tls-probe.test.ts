/**
 * The TLS floor probe against real TLS servers on loopback (a self-signed certificate made by the
 * openssl CLI): one that still speaks TLS 1.1 is caught, one with a 1.2 floor refuses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type SecureVersion } from 'node:tls';
import { probeTls } from '../../verify/tls-probe';

const dir = mkdtempSync(join(tmpdir(), 'verify-tls-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ],
  { stdio: 'ignore' },
);

async function withServer(minVersion: SecureVersion, probe: (port: number) => Promise<void>): Promise<void> {
  const server = createServer(
    {
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      minVersion,
      ciphers: 'DEFAULT@SECLEVEL=0',
    },
    (socket) => socket.end(),
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    await probe((server.address() as AddressInfo).port);
  } finally {
    await new Promise((done) => server.close(done));
  }
}

test('a server that still accepts TLS 1.1 (and 1.0) is caught', async () => {
  await withServer('TLSv1', async (port) => {
    expect(await probeTls({ host: '127.0.0.1', port }, 'TLSv1.1')).toEqual({
      outcome: 'accepted',
      protocol: 'TLSv1.1',
    });
    expect(await probeTls({ host: '127.0.0.1', port }, 'TLSv1')).toEqual({ outcome: 'accepted', protocol: 'TLSv1' });
  });
});

test('a server with a TLS 1.2 floor refuses TLS 1.1 with a protocol alert', async () => {
  await withServer('TLSv1.2', async (port) => {
    const probe = await probeTls({ host: '127.0.0.1', port }, 'TLSv1.1');
    expect(probe.outcome).toBe('refused');
    expect(probe.outcome === 'refused' && probe.detail).toMatch(/ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION/);
  });
});

test('nothing listening is unreachable, not a refusal', async () => {
  const server = createServer({});
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  await new Promise((done) => server.close(done));
  expect((await probeTls({ host: '127.0.0.1', port }, 'TLSv1.1')).outcome).toBe('unreachable');
});
