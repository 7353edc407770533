/**
 * Edge revocation: which grants the edge must refuse, decided from the store's state.
 *
 * A grant (a set of signed cookies, or a signed URL's query) is known at the edge by its GRANT ID:
 * a hash of its signed custom policy, the bytes CloudFront's signature check binds to the key.
 * The viewer cannot change them (any other bytes fail that check) and each is unique (the
 * policy's random DateGreaterThan, see media-signer.ts). Not the signature: an ECDSA signature
 * (r, s) has a twin (r, n - s) that verifies just as well, so a viewer could make a new one
 * without the key. The API records the id of every grant it issues on its user's item, with the
 * session (token) it went to and that token's `iat`, in the same conditional write that admits
 * the call; when a session is revoked or ended, or its user's cut-off rises, the ids of its
 * still-valid grants go to a deny-list (a CloudFront KeyValueStore deployed, a local store in
 * local mode) that the viewer-request function reads (edge-function/viewer-request.js computes
 * the same id).
 *
 * Everything here is pure: the DynamoDB stream handler (deployed) and the local replicator both
 * feed it snapshots of items and write what it answers.
 */
import { createHash } from 'node:crypto';

/** Why the edge refuses a grant: its token or user was revoked, or the stream limit ended its session. */
export type DenyReason = 'revoked' | 'ended';
export const DENY_REASONS: readonly DenyReason[] = ['revoked', 'ended'];

/** A grant the API issued: its id and when its signature stops being valid (epoch s). */
export interface IssuedGrant {
  id: string;
  expiresAt: number;
}

/** One deny-list entry: the key the function looks up, and what it keeps until the grant is dead anyway. */
export interface DenyEntry {
  key: string;
  reason: DenyReason;
  /** After this (epoch s) the grant's own signature has expired: the entry can go. */
  expiresAt: number;
}

/** Where deny entries are written (the KeyValueStore, or the local store). Idempotent puts. */
export interface DenyListWriter {
  put(entries: readonly DenyEntry[]): Promise<void>;
}

/**
 * The grant id of a grant's policy as sent (the CloudFront-Policy cookie or Policy query value,
 * CloudFront's base64 with `-`, `_`, `~`): SHA-256 of its canonical spelling, base64url, 22
 * characters (132 bits). The canonical spelling is one per byte string (standard alphabet, no
 * padding or other characters, a last partial digit's unused bits cleared), so a viewer who
 * re-spells the same policy still hits the same entry. edge-function/viewer-request.js computes
 * the same. Every grant the API issues has a custom policy (media-signer.ts); a canned grant
 * carries no policy, so it could only be one the API never made.
 */
export function grantId(policy: string): string {
  return createHash('sha256').update(canonicalBase64(policy)).digest('base64url').slice(0, 22);
}

/**
 * The id releases before this one recorded: the same hash over the signature as sent. The
 * function still looks these up, so the entries and records written under them before an
 * upgrade keep denying until their grants expire (docs/operations.md, "Upgrading"); it is no
 * identity for new grants, since an ECDSA signature has a twin.
 */
export const legacyGrantId = grantId;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** For a last digit after 2 or 3 full ones: the bits that carry data (4, then 2 of its 6 are unused). */
const KEEP_HIGH: Record<number, number> = { 2: 0x30, 3: 0x3c };

/** One spelling per byte string of a base64 value (CloudFront's alphabet or the standard one). */
export function canonicalBase64(value: string): string {
  const text = value
    .replace(/-/g, '+')
    .replace(/~/g, '/')
    .replace(/[^A-Za-z0-9+/]/g, '');
  const rest = text.length % 4;
  if (rest === 0) return text;
  if (rest === 1) return text.slice(0, -1);
  return text.slice(0, -1) + B64.charAt(B64.indexOf(text.charAt(text.length - 1)) & KEEP_HIGH[rest]);
}

/** A grant as recorded on its user's item: which session (token) it went to, that token's `iat`, the grant. */
export interface RecordedGrant extends IssuedGrant {
  session: string;
  iat: number;
}

/**
 * How a recorded grant is stored in a string set: `<session>.<iat>.<expiresAt>.<id>`, whole
 * seconds. A JWT's `iat` may have a fraction, which the parser would refuse (and the grant would
 * never be denied); cut-offs are whole seconds, so `floor(iat) < cut-off` exactly when `iat` is.
 */
export function grantRecord(grant: RecordedGrant): string {
  return `${grant.session}.${Math.floor(grant.iat)}.${grant.expiresAt}.${grant.id}`;
}

export function parseGrantRecord(record: string): RecordedGrant | undefined {
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(record);
  return match === null
    ? undefined
    : { session: match[1], iat: Number(match[2]), expiresAt: Number(match[3]), id: match[4] };
}

/** The KeyValueStore value: `<reason> <expiresAt>` (the function reads the reason, the sweeper the expiry). */
export function denyValue(entry: Pick<DenyEntry, 'reason' | 'expiresAt'>): string {
  return `${entry.reason} ${entry.expiresAt}`;
}

export function parseDenyValue(value: string): Pick<DenyEntry, 'reason' | 'expiresAt'> | undefined {
  const match = /^(revoked|ended) (\d{1,12})$/.exec(value);
  return match === null ? undefined : { reason: match[1] as DenyReason, expiresAt: Number(match[2]) };
}

/**
 * The entries that deny `grants`: only those the edge could still accept (signature not yet
 * expired, with the clock tolerance CloudFront's clock may have against ours).
 */
export function denyEntries(
  grants: readonly IssuedGrant[],
  reason: DenyReason,
  nowSeconds: number,
  toleranceSeconds: number,
): DenyEntry[] {
  return grants
    .filter((grant) => grant.expiresAt + toleranceSeconds > nowSeconds)
    .map((grant) => ({ key: grant.id, reason, expiresAt: grant.expiresAt + toleranceSeconds }));
}

/**
 * The store's other namespace: device-binding keys (lambda/core/device-binding.ts), which the
 * rotation writes and deletes. Grant ids are base64url, so never start with it.
 */
export const DEVICE_KEY_PREFIX = 'device-key.';

/** Keys whose entry is past its expiry (or unreadable): what the sweeper deletes. Device keys are not entries. */
export function expiredKeys(entries: readonly { key: string; value: string }[], nowSeconds: number): string[] {
  return entries
    .filter(({ key }) => !key.startsWith(DEVICE_KEY_PREFIX))
    .filter(({ value }) => {
      const parsed = parseDenyValue(value);
      return parsed === undefined || parsed.expiresAt <= nowSeconds;
    })
    .map(({ key }) => key);
}

/** A user's item as the deny-list sees it. */
export interface UserSnapshot {
  /** The cut-off: every token issued before it is revoked. */
  revokedBefore?: number;
  /** Sessions revoked (admin by jti, logout, a sharing action). */
  revoked: ReadonlySet<string>;
  /** Sessions the stream limit ended (evict-oldest). */
  ended: ReadonlySet<string>;
  grants: readonly RecordedGrant[];
}

/**
 * The deny entries a change of a user's item calls for (`before` missing: created, or unknown):
 * the grants of every session it revoked or ended, and, when it raised the cut-off, of every
 * session whose token was issued before it. Grants already denied by an earlier change are
 * skipped only when `before` shows that change; repeating an entry is harmless (idempotent put).
 */
export function grantsToDeny(
  before: UserSnapshot | undefined,
  after: UserSnapshot,
  nowSeconds: number,
  toleranceSeconds: number,
): DenyEntry[] {
  const cutoff = raisedCutoff(before, after);
  const reasonFor = (grant: RecordedGrant): DenyReason | undefined => {
    if (after.revoked.has(grant.session) && before?.revoked.has(grant.session) !== true) return 'revoked';
    if (cutoff !== undefined && grant.iat < cutoff) return 'revoked';
    if (
      after.ended.has(grant.session) &&
      before?.ended.has(grant.session) !== true &&
      before?.revoked.has(grant.session) !== true
    )
      return 'ended';
    return undefined;
  };
  return DENY_REASONS.flatMap((reason) =>
    denyEntries(
      after.grants.filter((grant) => reasonFor(grant) === reason),
      reason,
      nowSeconds,
      toleranceSeconds,
    ),
  );
}

/** The user's new cut-off when this change raised it (every session issued before it is revoked). */
export function raisedCutoff(
  before: { revokedBefore?: number } | undefined,
  after: { revokedBefore?: number },
): number | undefined {
  if (after.revokedBefore === undefined) return undefined;
  if (before?.revokedBefore !== undefined && before.revokedBefore >= after.revokedBefore) return undefined;
  return after.revokedBefore;
}
