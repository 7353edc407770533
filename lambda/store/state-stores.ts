/**
 * The per-token and per-user stores over the state table, built from the API's configuration in
 * one place: the runtime (lambda/runtime/runtime.ts) and the benches build them alike.
 */
import type { ApiConfig } from '../core/config';
import { createDynamoClient, DynamoCaller } from './dynamo-call';
import { TokenStateStore } from './token-state';
import { UserStateStore } from './user-state';

export interface StateStores {
  dynamo: DynamoCaller;
  tokens: TokenStateStore;
  users: UserStateStore;
}

export function createStateStores(config: Pick<ApiConfig, 'store' | 'abuse'>): StateStores {
  const dynamo = new DynamoCaller(createDynamoClient(config.store), config.store.tableName, config.store.timeoutMs);
  return {
    dynamo,
    tokens: new TokenStateStore(dynamo, config.abuse.sharing),
    users: new UserStateStore(dynamo, {
      rateLimit: config.abuse.rateLimit,
      rateWindowSeconds: config.abuse.rateWindowSeconds,
      maxStreams: config.abuse.maxConcurrentStreams,
      streamLimitPolicy: config.abuse.streamLimitPolicy,
    }),
  };
}
