/**
 * The admin read route's answer (lambda/core/user-state.ts): the user's state as the store read
 * it, with whose it is and when it was read.
 */
import { userStateAnswer } from '../../lambda/core/user-state';
import { userStateOf } from '../../lambda/store/user-state-reader';

const NOW = 1_800_000_000;

test('names the issuer and user and dates the read; the state is passed through as read', () => {
  const state = userStateOf({ pk: { S: 'usr#x' }, revokedBefore: { N: String(NOW) } }, NOW, 60);
  expect(userStateAnswer('https://idp.example/', 'alice', state, NOW)).toEqual({
    iss: 'https://idp.example/',
    sub: 'alice',
    readAt: new Date(NOW * 1000).toISOString(),
    known: true,
    revokedBefore: NOW,
    sessions: [],
    liveSlots: 0,
  });
});
