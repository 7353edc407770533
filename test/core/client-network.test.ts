/**
 * The network of a client address (lambda/core/client-network.ts), what sharing detection counts:
 * IPv4 /24, IPv6 /48, and every spelling of one address in one network, so a client cannot look
 * like a new network by writing its address another way. The verdicts built on it are
 * test/core/abuse-defences.test.ts's.
 */
import { clientNetwork } from '../../lambda/core/client-network';

test('an IPv4 client is its /24', () => {
  expect(clientNetwork('198.51.100.7')).toBe('198.51.100.0/24');
  expect(clientNetwork('198.51.100.255')).toBe('198.51.100.0/24');
  expect(clientNetwork('198.51.101.7')).toBe('198.51.101.0/24');
});

test('an IPv6 client is its /48, and addresses in other /48s are other networks', () => {
  expect(clientNetwork('2001:db8:abcd:12::1')).toBe('2001:db8:abcd::/48');
  expect(clientNetwork('2001:db8:abce::1')).toBe('2001:db8:abce::/48');
  expect(clientNetwork('::1')).toBe('0:0:0::/48');
});

test('every spelling of one IPv6 address is one network: leading zeros, case, ::, a zone, a dotted tail', () => {
  const spellings = [
    '2001:db8:abcd:0:0:0:c633:6407',
    '2001:0DB8:ABCD:0000:0000:0000:C633:6407',
    '2001:db8:abcd::c633:6407',
    '2001:db8:abcd::c633:6407%eth0',
    '2001:db8:abcd::198.51.100.7',
  ];
  expect(new Set(spellings.map(clientNetwork))).toEqual(new Set(['2001:db8:abcd::/48']));
});

test('an IPv4-mapped IPv6 address is the IPv4 client, dotted or in hex', () => {
  expect(clientNetwork('::ffff:198.51.100.7')).toBe('198.51.100.0/24');
  expect(clientNetwork('::ffff:c633:6407')).toBe('198.51.100.0/24');
  expect(clientNetwork('0:0:0:0:0:ffff:c633:6407')).toBe('198.51.100.0/24');
});

test('what is not an IP address has no network', () => {
  for (const text of ['', 'not-an-ip', '198.51.100', '198.51.100.256', '2001:db8::g', 'localhost']) {
    expect(clientNetwork(text)).toBeUndefined();
  }
});
