/**
 * ECDSA P-256 signature malleability: (r, s) and (r, n − s) verify alike under the same key, so a
 * viewer holding one grant can make its twin without any key. The battery uses the twin to ask
 * whether CloudFront accepts a high-S signature and whether the edge deny-list refuses a revoked
 * grant's twin. CloudFront's ECDSA signatures are ASN.1 DER (docs/cloudfront-rules.md). Pure.
 */

/** The order n of P-256's base point (FIPS 186-4 D.1.2.3). */
export const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

export interface EcdsaSignature {
  r: bigint;
  s: bigint;
}

/** Reads `SEQUENCE { INTEGER r, INTEGER s }` in strict DER; undefined for anything else (an RSA signature, say). */
export function parseDerSignature(der: Buffer): EcdsaSignature | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2 || der[1] >= 0x80) return undefined;
  const r = readInteger(der, 2);
  if (r === undefined) return undefined;
  const s = readInteger(der, r.next);
  if (s === undefined || s.next !== der.length) return undefined;
  return { r: r.value, s: s.value };
}

function readInteger(der: Buffer, at: number): { value: bigint; next: number } | undefined {
  if (der[at] !== 0x02) return undefined;
  const length = der[at + 1];
  if (length === undefined || length === 0 || length >= 0x80 || at + 2 + length > der.length) return undefined;
  const bytes = der.subarray(at + 2, at + 2 + length);
  if (bytes[0] & 0x80) return undefined; // negative
  if (bytes.length > 1 && bytes[0] === 0 && !(bytes[1] & 0x80)) return undefined; // not minimal
  return { value: BigInt(`0x${bytes.toString('hex')}`), next: at + 2 + length };
}

function integerBytes(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

export function encodeDerSignature({ r, s }: EcdsaSignature): Buffer {
  const parts = [r, s].map((value) => {
    const bytes = integerBytes(value);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  });
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** Whether a DER signature is a P-256 one: both integers in [1, n − 1]. */
export function isP256Signature(der: Buffer): boolean {
  const signature = parseDerSignature(der);
  return (
    signature !== undefined &&
    signature.r > 0n &&
    signature.r < P256_ORDER &&
    signature.s > 0n &&
    signature.s < P256_ORDER
  );
}

/** s above n / 2: the spelling that low-S rules (Bitcoin's BIP 62, for one) refuse. */
export function isHighS(s: bigint): boolean {
  return s > P256_ORDER / 2n;
}

/** The same signature's twin (r, n − s), in DER. */
export function malleableTwin(der: Buffer): Buffer {
  const signature = parseDerSignature(der);
  if (signature === undefined || !isP256Signature(der)) throw new Error('not a DER ECDSA P-256 signature');
  return encodeDerSignature({ r: signature.r, s: P256_ORDER - signature.s });
}
