/**
 * Carries revocations from the source of truth (the state table) to the edge's deny-list. Fed
 * one changed user item at a time, with its image before and after the change: by the table's
 * DynamoDB stream (NEW_AND_OLD_IMAGES, filtered to writes that set `denied`) when deployed, by
 * the local stand-in in local mode.
 *
 * A user's item holds its revocations and the grants issued to each of its sessions, written by
 * the same conditional writes, so the image after a revocation holds every grant it must deny:
 * - a session revoked or ended by this change: deny its grants still valid;
 * - a cut-off raised by this change: deny the still-valid grants of every session issued before it.
 * Nothing is read from the table. A failure throws: the stream retries the batch (and alarms
 * when it gives up), so no revocation is lost; the puts are idempotent, so a retry is harmless.
 */
import {
  grantsToDeny,
  parseGrantRecord,
  type DenyEntry,
  type DenyListWriter,
  type RecordedGrant,
  type UserSnapshot,
} from '../core/edge-deny-list';
import { numberOf, type Item } from './dynamo-call';
import { GRANTS_PREFIX, SESSION_ATTRIBUTE_PREFIXES, USER_ATTRIBUTES } from './table-schema';

export interface ReplicatorOptions {
  /** Added to every grant's expiry: CloudFront's clock may run behind ours. */
  toleranceSeconds: number;
  now: () => number;
}

export class DenyListReplicator {
  constructor(
    private readonly writer: DenyListWriter,
    private readonly options: ReplicatorOptions,
  ) {}

  /** One changed item (either image may be missing: created, or deleted by TTL). Answers what it denied. */
  async onChange(key: string, before: Item | undefined, after: Item | undefined): Promise<DenyEntry[]> {
    if (after === undefined || !key.startsWith('usr#')) return [];
    const entries = grantsToDeny(
      before === undefined ? undefined : userSnapshot(before),
      userSnapshot(after),
      this.options.now(),
      this.options.toleranceSeconds,
    );
    if (entries.length > 0) await this.writer.put(entries);
    return entries;
  }
}

/** A user item as the deny-list sees it: cut-off, revoked and ended sessions, recorded grants. */
export function userSnapshot(item: Item): UserSnapshot {
  const revoked = new Set<string>();
  const ended = new Set<string>();
  const grants: RecordedGrant[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(SESSION_ATTRIBUTE_PREFIXES.revoked)) revoked.add(name.slice(2));
    else if (name.startsWith(SESSION_ATTRIBUTE_PREFIXES.ended)) ended.add(name.slice(2));
    else if (name.startsWith(GRANTS_PREFIX))
      for (const record of value.SS ?? []) {
        const grant = parseGrantRecord(record);
        if (grant !== undefined) grants.push(grant);
      }
  }
  return { revokedBefore: numberOf(item, USER_ATTRIBUTES.revokedBefore), revoked, ended, grants };
}
