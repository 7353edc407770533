/**
 * A user's item read back in the API's terms (lambda/core/user-state.ts), for the admin read
 * route: the layout's attributes (./table-schema.ts) grouped by session, grants parsed, nothing
 * of the item's bookkeeping (version, denied, hourly session sets) shown.
 */
import { parseGrantRecord } from '../core/edge-deny-list';
import type { SessionState, UserState } from '../core/user-state';
import { numberOf, type Item } from './dynamo-call';
import { GRANTS_PREFIX, RATE_PREFIX, SESSION_ATTRIBUTE_PREFIXES, STATE_TABLE, USER_ATTRIBUTES } from './table-schema';

const PREFIX_KINDS = Object.fromEntries(
  Object.entries(SESSION_ATTRIBUTE_PREFIXES).map(([kind, prefix]) => [prefix, kind]),
) as Record<string, keyof typeof SESSION_ATTRIBUTE_PREFIXES>;

export function userStateOf(item: Item | undefined, nowSeconds: number, rateWindowSeconds: number): UserState {
  if (item === undefined) return { known: false, sessions: [], liveSlots: 0 };
  const sessions = new Map<string, SessionState>();
  const sessionOf = (id: string): SessionState => {
    let session = sessions.get(id);
    if (session === undefined) {
      session = { session: id, networks: [], countries: [], grants: [] };
      sessions.set(id, session);
    }
    return session;
  };
  for (const [name, value] of Object.entries(item)) {
    const kind = PREFIX_KINDS[name.slice(0, 2)];
    if (kind !== undefined) {
      const session = sessionOf(name.slice(2));
      if (kind === 'slot') session.slotUntil = numberOf(item, name);
      if (kind === 'revoked') session.revokedUntil = numberOf(item, name);
      if (kind === 'ended') session.endedUntil = numberOf(item, name);
      if (kind === 'networks') session.networks = [...(value.SS ?? [])].sort();
      if (kind === 'countries') session.countries = [...(value.SS ?? [])].sort();
      continue;
    }
    if (name.startsWith(GRANTS_PREFIX))
      for (const record of value.SS ?? []) {
        const grant = parseGrantRecord(record);
        if (grant === undefined) continue;
        const { id, iat, expiresAt } = grant;
        sessionOf(grant.session).grants.push({ id, iat, expiresAt, live: expiresAt > nowSeconds });
      }
  }
  const slots = new Set(item[USER_ATTRIBUTES.sessions]?.SS ?? []);
  const live = (session: SessionState) => (slots.has(session.session) && (session.slotUntil ?? 0) > nowSeconds ? 1 : 0);
  const ordered = [...sessions.values()]
    .map((session) => ({ ...session, grants: session.grants.sort((a, b) => a.expiresAt - b.expiresAt) }))
    .sort((a, b) => live(b) - live(a) || a.session.localeCompare(b.session));
  const windowStart = nowSeconds - (nowSeconds % rateWindowSeconds);
  return {
    known: true,
    revokedBefore: numberOf(item, USER_ATTRIBUTES.revokedBefore),
    keepUntil: numberOf(item, STATE_TABLE.ttlAttribute),
    sessions: ordered,
    liveSlots: ordered.reduce((sum, session) => sum + live(session), 0),
    callsThisWindow: numberOf(item, `${RATE_PREFIX}${windowStart}`),
  };
}
