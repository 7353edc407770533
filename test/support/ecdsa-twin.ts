/**
 * The twin of an ECDSA P-256 signature: (r, s) becomes (r, n - s), n the group order. Both verify
 * for the same message and key (ECDSA checks only the x-coordinate of a point that negating s
 * negates), so anyone holding one signature can make the other without the key. Written by hand
 * on the DER bytes: no library here re-encodes a signature into its high-S form.
 */

/** The order of the P-256 group (SEC 2, secp256r1 `n`). */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** One DER INTEGER (tag 2), minimal: big-endian, a leading zero only when the top bit is set. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

/** The (r, s) of a DER ECDSA-Sig-Value (RFC 3279: SEQUENCE { r INTEGER, s INTEGER }). */
function parseDer(signature: Buffer): { r: bigint; s: bigint } {
  if (signature[0] !== 0x30 || signature[1] !== signature.length - 2) throw new Error('not a short DER SEQUENCE');
  const integers: bigint[] = [];
  for (let at = 2; at < signature.length; ) {
    if (signature[at] !== 0x02) throw new Error('not a DER INTEGER');
    const length = signature[at + 1];
    integers.push(BigInt(`0x${signature.subarray(at + 2, at + 2 + length).toString('hex')}`));
    at += 2 + length;
  }
  if (integers.length !== 2) throw new Error('not two INTEGERs');
  return { r: integers[0], s: integers[1] };
}

/** The twin of a DER P-256 signature, DER too. */
export function ecdsaTwin(signature: Buffer): Buffer {
  const { r, s } = parseDer(signature);
  const body = Buffer.concat([derInteger(r), derInteger(P256_ORDER - s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

const fromCloudFront = (value: string): Buffer =>
  Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
const toCloudFront = (bytes: Buffer): string =>
  bytes.toString('base64').replace(/\+/g, '-').replace(/=/g, '_').replace(/\//g, '~');

/** The twin of a signature as CloudFront carries it (its base64: `-`, `_`, `~`), spelled the same way. */
export function ecdsaTwinOf(cloudFrontSignature: string): string {
  return toCloudFront(ecdsaTwin(fromCloudFront(cloudFrontSignature)));
}
