/**
 * What a playback call costs in DynamoDB write units over hours of viewing, on the real store
 * (lambda/store/access-state-store.ts) against dynalite, which reports ConsumedCapacity by
 * DynamoDB's rule (a write bills ceil(max(item size before, after) / 1 KB) units). Simulated time:
 * 5-minute grants refreshed every 4 minutes, a new token every hour, as a player does; every
 * write is counted, prune and slot rewrites included (a refused one on the item as it stood).
 *
 * The baseline is one write unit per call: the least a recording write can cost. The ratio is
 * what the item's growth (concurrent sessions, live grants, dead weight not yet pruned) adds.
 */
import { randomBytes } from 'node:crypto';
import { ABUSE_DEFAULTS } from '../lambda/core/abuse-defaults';
import type { AccessLimits } from '../lambda/core/access-state';
import { sessionId } from '../lambda/core/access-state';
import { grantId } from '../lambda/core/edge-deny-list';
import { type AttributeValue, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AccessStateStore } from '../lambda/store/access-state-store';
import { itemBytes, WRITE_UNIT_BYTES } from '../lambda/store/item-hygiene';
import { FAIL_ON_HYGIENE_ERROR } from '../test/support/hygiene';
import { createDynamoClient, DynamoCaller } from '../lambda/store/dynamo-call';
import { ensureStateTable, startDynalite } from '../local/dynamo-server';

const TABLE = 'streamgate-write-units';
const GRANT_SECONDS = 300;
const REFRESH_SECONDS = 240;
const TOKEN_SECONDS = 3600;
const START = 1_800_000_000;

const SCENARIOS = [
  { name: 'one session', sessions: 1, grantsPerCall: 1, maxStreams: 3, edge: true },
  { name: 'one session, DRM video (2 grants a call)', sessions: 1, grantsPerCall: 2, maxStreams: 3, edge: true },
  { name: 'one session, edge revocation off', sessions: 1, grantsPerCall: 1, maxStreams: 3, edge: false },
  { name: 'three sessions', sessions: 3, grantsPerCall: 1, maxStreams: 6, edge: true },
  { name: 'ten sessions, no stream limit', sessions: 10, grantsPerCall: 1, maxStreams: 0, edge: true },
];

/** A store client on a fresh dynalite table whose UpdateItems are billed as DynamoDB bills them. */
export async function billedStore(table: string) {
  const dynamo = await startDynalite();
  await ensureStateTable(dynamo.endpoint, table);
  const client = createDynamoClient({
    tableName: table,
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    timeoutMs: 5000,
  });
  const bill = { units: 0, writes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      if (context.commandName !== 'UpdateItemCommand') return next(args);
      input.ReturnConsumedCapacity = 'TOTAL';
      bill.writes += 1;
      try {
        const result = await next(args);
        bill.units +=
          (result.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits ?? 1;
        return result;
      } catch (error) {
        // A refused conditional write is billed on the item as it stands (at least 1); dynalite
        // returns no capacity with the refusal, so it is read (outside this count) and sized.
        const { Key, TableName } = args.input as { Key: Record<string, AttributeValue>; TableName: string };
        const refused = await client
          .send(new GetItemCommand({ Key, TableName, ConsistentRead: true }))
          .then((read) => read.Item)
          .catch(() => undefined);
        bill.units += Math.max(1, Math.ceil(itemBytes(refused) / WRITE_UNIT_BYTES));
        throw error;
      }
    },
    { step: 'initialize', name: 'billedStore' },
  );
  return {
    caller: new DynamoCaller(client, table, 5000),
    bill,
    stop: async () => {
      client.destroy();
      await dynamo.stop();
    },
  };
}

export async function benchWriteUnits(): Promise<void> {
  const { caller, bill, stop } = await billedStore(TABLE);
  console.log('\nDynamoDB write units per playback call (simulated viewing; baseline: 1 unit a call)');
  try {
    for (const scenario of SCENARIOS) {
      const line: string[] = [];
      for (const hours of [1, 2, 8]) {
        bill.units = 0;
        bill.writes = 0;
        const calls = await simulate(caller, scenario, hours);
        line.push(`${hours} h ${(bill.units / calls).toFixed(2)}× (${(bill.writes / calls).toFixed(2)} writes)`);
      }
      console.log(`  ${scenario.name.padEnd(42)} ${line.join('   ')}`);
    }
  } finally {
    await stop();
  }
}

async function simulate(caller: DynamoCaller, scenario: (typeof SCENARIOS)[number], hours: number): Promise<number> {
  const limits: AccessLimits = {
    rateLimit: 60,
    rateWindowSeconds: 60,
    maxStreams: scenario.maxStreams,
    streamLimitPolicy: 'reject-newest',
    sharing: { maxNetworks: 3, maxCountries: 1, action: 'alert' },
    grantBucketSeconds: GRANT_SECONDS + 300,
    maxSessionsPerHour: ABUSE_DEFAULTS.maxSessionsPerHour.fallback,
    maxGrantsPerBucket: ABUSE_DEFAULTS.maxGrantsPerBucket.fallback,
  };
  const store = new AccessStateStore(caller, limits, FAIL_ON_HYGIENE_ERROR);
  const user = { iss: 'https://idp.example.com/', sub: `viewer-${randomBytes(6).toString('hex')}` };
  const calls: { at: number; session: number }[] = [];
  for (let session = 0; session < scenario.sessions; session += 1)
    for (let at = session * 17; at < hours * 3600; at += REFRESH_SECONDS) calls.push({ at, session });
  calls.sort((a, b) => a.at - b.at);
  for (const { at, session } of calls) {
    const now = START + at;
    const tokenNumber = Math.floor((at - session * 17) / TOKEN_SECONDS);
    const iat = START + session * 17 + tokenNumber * TOKEN_SECONDS;
    const exp = iat + TOKEN_SECONDS;
    const token = { ...user, jti: `session-${session}-token-${tokenNumber}` };
    const expiresAt = Math.min(now + GRANT_SECONDS, exp);
    const verdict = await store.authorize({
      user,
      session: sessionId(token),
      iat,
      nowSeconds: now,
      counted: true,
      keepUntil: now + TOKEN_SECONDS + 60 + 86400,
      presentation: { network: `198.51.${session}.0/24`, country: 'FR' },
      sessionKeepUntil: exp + 30,
      slotUntil: expiresAt,
      grants: scenario.edge
        ? Array.from({ length: scenario.grantsPerCall }, () => ({
            id: grantId(randomBytes(256).toString('base64')),
            expiresAt,
          }))
        : undefined,
      revokeUntil: now + TOKEN_SECONDS + 60,
    });
    if (verdict.outcome !== 'admitted') throw new Error(`bench: a simulated call was refused: ${verdict.outcome}`);
  }
  return calls.length;
}

if (require.main === module) {
  benchWriteUnits().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
