/**
 * Licence requests that are not W3C EME ClearKey requests, each a way to spell one that a lenient
 * parser might let through. Shared by the local ClearKey server's tests and the licence proxy's,
 * so both refuse the same list (the proxy before any licence server sees it).
 */
import { randomBytes } from 'node:crypto';

/** `kid`: a real key id (16 bytes, unpadded base64url) of the video the request is for. */
export function malformedClearKeyRequests(kid: string): [string, string | Buffer][] {
  return [
    ['not JSON', '{kids:'],
    ['a JSON array', `["${kid}"]`],
    ['JSON null', 'null'],
    ['no kids', '{"type":"temporary"}'],
    ['kids not an array', `{"kids":"${kid}"}`],
    ['empty kids', '{"kids":[]}'],
    ['a kid not a string', '{"kids":[12]}'],
    ['a kid of 15 bytes', JSON.stringify({ kids: [randomBytes(15).toString('base64url')] })],
    ['a kid of 17 bytes', JSON.stringify({ kids: [randomBytes(17).toString('base64url')] })],
    ['a padded kid', JSON.stringify({ kids: [`${kid}==`] })],
    [
      'a kid in standard base64',
      JSON.stringify({ kids: [Buffer.alloc(16, 0xff).toString('base64').replace(/=+$/, '')] }),
    ],
    // The same 16 bytes with non-zero unused bits: a second spelling of the key id.
    ['a kid with non-zero trailing bits', JSON.stringify({ kids: [`${kid.slice(0, 21)}B`] })],
    ['a persistent licence type', JSON.stringify({ kids: [kid], type: 'persistent-license' })],
    ['an unknown type', JSON.stringify({ kids: [kid], type: 'streaming' })],
    ['a type that is not a string', JSON.stringify({ kids: [kid], type: 1 })],
    ['an unexpected member', JSON.stringify({ kids: [kid], type: 'temporary', keys: [] })],
    ['a member differing only in case', JSON.stringify({ kids: [kid], Type: 'temporary' })],
    ['too many kids', JSON.stringify({ kids: Array.from({ length: 17 }, () => kid) })],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ];
}
