/**
 * The store call a playback (or licence) call makes, made as lambda/core/api/playback.ts and licence.ts make it (same
 * arguments) and nothing else: no verify, no sign, no HTTP. The benches set it beside the full
 * call to tell the store's own time from the handler's.
 */
import { decodeJwt } from 'jose';
import { clientNetwork } from '../lambda/core/client-network';
import type { ApiConfig } from '../lambda/core/config';
import { callerCall, revokeUntil, sessionKeepUntil, type TokenRef } from '../lambda/core/access-state';
import { grantId } from '../lambda/core/edge-deny-list';
import { randomBytes } from 'node:crypto';
import { createStateStores } from '../lambda/store/state-stores';
import { FAIL_ON_HYGIENE_ERROR } from '../test/support/hygiene';

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
  const { access } = createStateStores(config, FAIL_ON_HYGIENE_ERROR);
  const presentation = { network: clientNetwork(viewerIp) ?? 'unknown' };
  let next = 0;
  return async () => {
    next = (next + 1) % claims.length;
    const token = claims[next];
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(now + config.signing.ttlSeconds, Math.floor(token.exp));
    const verdict = await access.authorize({
      ...callerCall(token, now, config.token),
      presentation,
      sessionKeepUntil: sessionKeepUntil(token, config.token),
      slotUntil: expiresAt,
      // A grant id like the API's: the hash of a (here random) signature.
      grants: config.edgeDenyList ? [{ id: grantId(randomBytes(256).toString('base64')), expiresAt }] : undefined,
      revokeUntil: revokeUntil(now, config.token),
    });
    if (verdict.outcome !== 'admitted') onRefused();
  };
}

/**
 * The store call a licence call makes (lambda/core/api/licence.ts `admit`): the caller's counted
 * check (cut-off, the token's own revocation, rate limit) and the admitted session's, one write.
 */
export function licenceStoreCalls(
  config: ApiConfig,
  tokens: string[],
  onRefused: () => void = () => undefined,
): () => Promise<void> {
  const claims = tokens.map((token) => decodeJwt(token) as Claims);
  const { access } = createStateStores(config, FAIL_ON_HYGIENE_ERROR);
  const presentation = { network: 'unknown' };
  let next = 0;
  return async () => {
    next = (next + 1) % claims.length;
    const token = claims[next];
    const now = Math.floor(Date.now() / 1000);
    const verdict = await access.licence({ ...callerCall(token, now, config.token), presentation });
    if (verdict.outcome !== 'admitted') onRefused();
  };
}
