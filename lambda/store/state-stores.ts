/**
 * The access-state store over the state table, built from the API's configuration in one place:
 * the runtime (lambda/runtime/runtime.ts) and the benches build it alike.
 */
import type { AccessLimits } from '../core/access-state';
import type { ApiConfig } from '../core/config';
import { AccessStateStore } from './access-state-store';
import { createDynamoClient, DynamoCaller } from './dynamo-call';
import type { HygieneObserver } from './item-hygiene';

export interface StateStores {
  dynamo: DynamoCaller;
  access: AccessStateStore;
}

/** Grant buckets are a grant's lifetime wide plus this much: more than any clock tolerance CloudFront's may need. */
const GRANT_CLOCK_MARGIN_SECONDS = 300;

export function accessLimits(config: Pick<ApiConfig, 'abuse' | 'signing'>): AccessLimits {
  return {
    rateLimit: config.abuse.rateLimit,
    rateWindowSeconds: config.abuse.rateWindowSeconds,
    maxStreams: config.abuse.maxConcurrentStreams,
    streamLimitPolicy: config.abuse.streamLimitPolicy,
    sharing: config.abuse.sharing,
    grantBucketSeconds: config.signing.ttlSeconds + GRANT_CLOCK_MARGIN_SECONDS,
    maxSessionsPerHour: config.abuse.maxSessionsPerHour,
    maxGrantsPerBucket: config.abuse.maxGrantsPerBucket,
  };
}

/**
 * `hygiene` hears of every prune write that failed (item-hygiene.ts `loggedAndCounted`: a log line and a metric);
 * `rentals`: the rental cap (lambda/core/rentals.ts `maxRecorded`), where titles are rentable.
 */
export function createStateStores(
  config: Pick<ApiConfig, 'store' | 'abuse' | 'signing'>,
  hygiene: HygieneObserver,
  rentals?: { maxRecorded: number },
): StateStores {
  const dynamo = new DynamoCaller(createDynamoClient(config.store), config.store.tableName, config.store.timeoutMs);
  const limits = { ...accessLimits(config), ...(rentals !== undefined ? { maxRentals: rentals.maxRecorded } : {}) };
  return { dynamo, access: new AccessStateStore(dynamo, limits, hygiene) };
}
