/**
 * lambda/store/deny-list-replicator.ts: a change of a user's item, as the table's stream hands it
 * over (the image before and after), becomes the deny-list entries it calls for, written through
 * the writer. Item images here are real: written by the access-state store to dynalite and read
 * back. Only a revoking change writes; a failed write throws, so the stream retries the batch.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { sessionId, userKeepUntil, type TokenRef } from '../../lambda/core/access-state';
import { loadConfig } from '../../lambda/core/config';
import type { DenyEntry, DenyListWriter } from '../../lambda/core/edge-deny-list';
import { DenyListReplicator } from '../../lambda/store/deny-list-replicator';
import type { Item } from '../../lambda/store/dynamo-call';
import { createStateStores, type StateStores } from '../../lambda/store/state-stores';
import { userKey } from '../../lambda/store/table-schema';
import { ensureStateTable, startDynalite, type LocalDynamo } from '../../local/dynamo-server';
import { apiEnv, cloudFrontKey, TABLE } from '../support/harness';
import { FAIL_ON_HYGIENE_ERROR } from '../support/hygiene';
import { idpKey, ISSUER } from '../support/tokens';

const NOW = 1_800_000_000;
const TIMES = { maxLifetimeSeconds: 3600, clockToleranceSeconds: 30 };
const TOLERANCE = 60;
const grantId = (n: number) => `G${String(n).padStart(21, '0')}`;

let dynamo: LocalDynamo;
let stores: StateStores;
beforeAll(async () => {
  dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, TABLE);
  const env = apiEnv({
    dynamoEndpoint: dynamo.endpoint,
    idpKeys: [idpKey('ES256')],
    signingKeyFile: cloudFrontKey('ecdsa-p256').file,
  });
  stores = createStateStores(loadConfig(env), FAIL_ON_HYGIENE_ERROR);
});
afterAll(async () => {
  stores.dynamo.client.destroy();
  await dynamo.stop();
});

class RecordingWriter implements DenyListWriter {
  readonly puts: DenyEntry[][] = [];
  failing = false;
  async put(entries: readonly DenyEntry[]): Promise<void> {
    if (this.failing) throw new Error('KeyValueStore throttled');
    this.puts.push([...entries]);
  }
}

async function imageOf(token: TokenRef): Promise<Item | undefined> {
  const { Item } = await stores.dynamo.client.send(
    new GetItemCommand({ TableName: TABLE, Key: { pk: { S: userKey(token) } }, ConsistentRead: true }),
  );
  return Item as Item | undefined;
}

/** A session that played and was issued `grants` (each expiring at its own time). */
async function played(sub: string, grants: { id: string; expiresAt: number }[]): Promise<TokenRef> {
  const token = { iss: ISSUER, sub, jti: `${sub}-1` };
  const verdict = await stores.access.authorize({
    user: token,
    session: sessionId(token),
    iat: NOW - 10,
    nowSeconds: NOW,
    counted: true,
    keepUntil: userKeepUntil(NOW, TIMES),
    presentation: { network: '198.51.100.0/24', country: undefined },
    sessionKeepUntil: NOW + 900,
    slotUntil: NOW + 300,
    grants,
    revokeUntil: NOW + 4000,
  });
  expect(verdict.outcome).toBe('admitted');
  return token;
}

const replicator = (writer: DenyListWriter) =>
  new DenyListReplicator(writer, { toleranceSeconds: TOLERANCE, now: () => NOW });

test("a session revoked by the change: its grants still valid are denied until their expiry plus CloudFront's tolerance", async () => {
  const token = await played('uma', [
    { id: grantId(1), expiresAt: NOW + 300 },
    { id: grantId(2), expiresAt: NOW - 500 }, // already expired: its signature opens nothing
  ]);
  const before = await imageOf(token);
  await stores.access.revokeSession(token, sessionId(token), NOW, NOW + 4000, userKeepUntil(NOW, TIMES));
  const after = await imageOf(token);
  const writer = new RecordingWriter();
  const denied = await replicator(writer).onChange(userKey(token), before, after);
  expect(denied).toEqual([{ key: grantId(1), reason: 'revoked', expiresAt: NOW + 300 + TOLERANCE }]);
  expect(writer.puts).toEqual([denied]);
});

test("a user's cut-off raised by the change denies the grants of every session issued before it", async () => {
  const token = await played('vic', [{ id: grantId(3), expiresAt: NOW + 200 }]);
  const before = await imageOf(token);
  await stores.access.revokeUser(token, NOW, NOW, userKeepUntil(NOW, TIMES));
  const writer = new RecordingWriter();
  const denied = await replicator(writer).onChange(userKey(token), before, await imageOf(token));
  expect(denied.map((entry) => [entry.key, entry.reason])).toEqual([[grantId(3), 'revoked']]);
});

test('a change that revokes nothing (another play, a repeated revocation), a deletion, or another key writes nothing', async () => {
  const token = await played('wes', [{ id: grantId(4), expiresAt: NOW + 300 }]);
  const writer = new RecordingWriter();
  const replica = replicator(writer);
  const first = await imageOf(token);
  await played('wes', [{ id: grantId(4), expiresAt: NOW + 300 }]);
  expect(await replica.onChange(userKey(token), first, await imageOf(token))).toEqual([]);
  await stores.access.revokeSession(token, sessionId(token), NOW, NOW + 4000, userKeepUntil(NOW, TIMES));
  const revoked = await imageOf(token);
  expect(await replica.onChange(userKey(token), revoked, revoked)).toEqual([]);
  expect(await replica.onChange(userKey(token), revoked, undefined)).toEqual([]);
  expect(await replica.onChange('other#key', undefined, revoked)).toEqual([]);
  expect(writer.puts).toEqual([]);
});

test('a failed write throws, so the stream retries the batch and no revocation is lost', async () => {
  const token = await played('xia', [{ id: grantId(5), expiresAt: NOW + 300 }]);
  const before = await imageOf(token);
  await stores.access.revokeSession(token, sessionId(token), NOW, NOW + 4000, userKeepUntil(NOW, TIMES));
  const after = await imageOf(token);
  const writer = new RecordingWriter();
  writer.failing = true;
  await expect(replicator(writer).onChange(userKey(token), before, after)).rejects.toThrow('KeyValueStore throttled');
  // The retry, with the same images, writes the same entries (puts are idempotent).
  writer.failing = false;
  expect(await replicator(writer).onChange(userKey(token), before, after)).toEqual([
    { key: grantId(5), reason: 'revoked', expiresAt: NOW + 300 + TOLERANCE },
  ]);
});
