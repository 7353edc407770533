/**
 * The local stand-in for the CloudFront KeyValueStore associated with the viewer-request
 * function: the deny-list of revoked grants. The local replicator writes it (as the stream
 * Lambda writes the real one), the function reads it through its `cloudfront` module. It keeps
 * the real store's limits, so what fits locally fits deployed: keys of 1 to 512 bytes, values up
 * to 1 KB, 5 MB in all; expired entries are dropped on every write, as the sweeper does.
 */
import { denyValue, expiredKeys, type DenyEntry, type DenyListWriter } from '../../lambda/core/edge-deny-list';
import type { KeyValueStoreReader } from './viewer-request-function';

/** CloudFront KeyValueStore quotas. */
export const KVS_LIMITS = { keyBytes: 512, valueBytes: 1024, storeBytes: 5 * 1024 * 1024 } as const;

export class LocalKeyValueStore implements KeyValueStoreReader, DenyListWriter {
  private readonly entries = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  async put(entries: readonly DenyEntry[]): Promise<void> {
    this.sweep();
    for (const entry of entries) this.set(entry.key, denyValue(entry));
  }

  /** Writes one key as is (the device keys: local/device-keys.ts). */
  setKey(key: string, value: string): void {
    this.set(key, value);
  }

  deleteKey(key: string): void {
    this.delete(key);
  }

  /** Deletes the entries whose grants have expired anyway. */
  sweep(): number {
    const expired = expiredKeys(
      [...this.entries].map(([key, value]) => ({ key, value })),
      this.now(),
    );
    for (const key of expired) this.delete(key);
    return expired.length;
  }

  private set(key: string, value: string): void {
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(value);
    if (keyBytes < 1 || keyBytes > KVS_LIMITS.keyBytes) throw new Error(`KeyValueStore: key of ${keyBytes} bytes`);
    if (valueBytes > KVS_LIMITS.valueBytes) throw new Error(`KeyValueStore: value of ${valueBytes} bytes`);
    this.delete(key);
    if (this.bytes + keyBytes + valueBytes > KVS_LIMITS.storeBytes)
      throw new Error('KeyValueStore: the store would pass 5 MB');
    this.entries.set(key, value);
    this.bytes += keyBytes + valueBytes;
  }

  private delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.bytes -= Buffer.byteLength(key) + Buffer.byteLength(value);
    this.entries.delete(key);
  }
}
