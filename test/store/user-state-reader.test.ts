/**
 * A user's item read back in the API's terms (lambda/store/user-state-reader.ts), on an item
 * built in the table's layout: sessions grouped with their slot, marks, networks and grants; the
 * bookkeeping (version, denied, hourly sets) left out.
 */
import { userStateOf } from '../../lambda/store/user-state-reader';
import { grantRecord } from '../../lambda/core/edge-deny-list';

const NOW = 1_800_000_000;
const A = 'AAAAAAAAAAAAAAAAAAAAAA';
const B = 'BBBBBBBBBBBBBBBBBBBBBB';
const GRANT = (n: string) => n.repeat(22);

test('groups the attributes by session, live slots first, grants parsed and dated', () => {
  const item = {
    pk: { S: 'usr#x' },
    expiresAt: { N: String(NOW + 90000) },
    revokedBefore: { N: String(NOW - 10) },
    version: { N: '7' },
    denied: { N: String(NOW - 10) },
    sessions: { SS: [A, B] },
    [`e_${A}`]: { N: String(NOW - 5) },
    [`e_${B}`]: { N: String(NOW + 200) },
    [`x_${A}`]: { N: String(NOW + 3600) },
    [`n_${B}`]: { SS: ['203.0.113.0/24', '198.51.100.0/24'] },
    [`c_${B}`]: { SS: ['DE'] },
    [`h_${NOW - (NOW % 3600)}`]: { SS: [A, B] },
    [`r_${NOW - (NOW % 60)}`]: { N: '4' },
    [`g_${NOW - (NOW % 600)}`]: {
      SS: [
        grantRecord({ session: A, iat: NOW - 400, expiresAt: NOW - 100, id: GRANT('a') }),
        grantRecord({ session: B, iat: NOW - 50, expiresAt: NOW + 250, id: GRANT('b') }),
      ],
    },
  };
  const state = userStateOf(item, NOW, 60);
  expect(state).toEqual({
    known: true,
    revokedBefore: NOW - 10,
    keepUntil: NOW + 90000,
    liveSlots: 1,
    callsThisWindow: 4,
    sessions: [
      {
        session: B,
        slotUntil: NOW + 200,
        networks: ['198.51.100.0/24', '203.0.113.0/24'],
        countries: ['DE'],
        grants: [{ id: GRANT('b'), iat: NOW - 50, expiresAt: NOW + 250, live: true }],
      },
      {
        session: A,
        slotUntil: NOW - 5,
        revokedUntil: NOW + 3600,
        networks: [],
        countries: [],
        grants: [{ id: GRANT('a'), iat: NOW - 400, expiresAt: NOW - 100, live: false }],
      },
    ],
  });
});

test('no item: nothing known', () => {
  expect(userStateOf(undefined, NOW, 60)).toEqual({ known: false, sessions: [], liveSlots: 0 });
});
