/**
 * The two store checks a playback call makes, made as lambda/core/api.ts makes them (in
 * parallel, same arguments) and nothing else: no verify, no sign, no HTTP. The benches set them
 * beside the full call to tell the store's own time from the handler's.
 */
import { decodeJwt } from 'jose';
import { clientNetwork } from '../lambda/core/client-network';
import type { ApiConfig } from '../lambda/core/config';
import { sessionId, type TokenRef } from '../lambda/core/access-state';
import { createStateStores } from '../lambda/store/state-stores';

type Claims = TokenRef & { iat: number; exp: number };

/**
 * Checks `tokens` in turn, each presented from `viewerIp`, with the stores `config` describes;
 * `onRefused` hears of any call the stores would refuse.
 */
export function playbackStoreCalls(
  config: ApiConfig,
  tokens: string[],
  viewerIp: string,
  onRefused: () => void = () => undefined,
): () => Promise<void> {
  const claims = tokens.map((token) => decodeJwt(token) as Claims);
  const { tokens: tokenState, users: userState } = createStateStores(config);
  const presentation = { network: clientNetwork(viewerIp) ?? 'unknown' };
  const { clockToleranceSeconds, maxLifetimeSeconds } = config.token;
  let next = 0;
  return async () => {
    next = (next + 1) % claims.length;
    const token = claims[next];
    const now = Math.floor(Date.now() / 1000);
    const [tokenVerdict, userVerdict] = await Promise.all([
      tokenState.check(token, presentation, Math.ceil(token.exp) + clockToleranceSeconds),
      userState.check({
        user: token,
        iat: token.iat,
        nowSeconds: now,
        counted: true,
        session: { id: sessionId(token), until: Math.min(now + config.signing.ttlSeconds, Math.floor(token.exp)) },
        keepUntil: now + maxLifetimeSeconds + 2 * clockToleranceSeconds + 86400,
      }),
    ]);
    if (tokenVerdict.revoked || userVerdict.outcome !== 'admitted') onRefused();
  };
}

/**
 * The two store checks a licence call makes (lambda/core/api.ts `authenticate`): the token's
 * revocation read and the user's counted check (cut-off and rate limit), in parallel.
 */
export function licenceStoreCalls(
  config: ApiConfig,
  tokens: string[],
  onRefused: () => void = () => undefined,
): () => Promise<void> {
  const claims = tokens.map((token) => decodeJwt(token) as Claims);
  const { tokens: tokenState, users: userState } = createStateStores(config);
  const { clockToleranceSeconds, maxLifetimeSeconds } = config.token;
  let next = 0;
  return async () => {
    next = (next + 1) % claims.length;
    const token = claims[next];
    const now = Math.floor(Date.now() / 1000);
    const [revoked, user] = await Promise.all([
      tokenState.isRevoked(token),
      userState.check({
        user: token,
        iat: token.iat,
        nowSeconds: now,
        counted: true,
        keepUntil: now + maxLifetimeSeconds + 2 * clockToleranceSeconds + 86400,
      }),
    ]);
    if (revoked || user.outcome !== 'admitted') onRefused();
  };
}
