/**
 * Adversarial churn: what one account can make its own item, its calls' write units and the
 * shared deny-list grow to, on the real store (lambda/store/access-state-store.ts) at the default
 * limits (lambda/core/abuse-defaults.ts), against dynalite, which bills writes by DynamoDB's rule.
 * Simulated time, 80 minutes across a clock hour's end (where the session cap holds two hours'
 * sessions), each scenario as fast as the rate limit lets one account call:
 * - lone viewer (the baseline): one session refreshing every 4 minutes, a new token an hour;
 * - session churn: a new token, a DRM playback (two grants), a logout, over and over;
 * - grant churn: one token's DRM playbacks, every call a new pair of grants (as if every call
 *   fell in a new grant interval, or the grant id changed with each signature);
 * - grant churn with a new token every 3 minutes, each logged out while its grants are live
 *   (the most deny-list entries the caps allow);
 * - session churn, each call from a new network (`alert` records them).
 * Write units per call count every write of the call (a prune write after it too); a refused
 * write is billed on the item as it stood.
 * Deny-list entries are what the real replicator (lambda/store/deny-list-replicator.ts) would put
 * for each revoking write's image: the distinct keys per account per hour, and the most live at once.
 */
import { randomBytes } from 'node:crypto';
import { ABUSE_DEFAULTS } from '../lambda/core/abuse-defaults';
import { type AccessLimits, sessionId } from '../lambda/core/access-state';
import { type DenyEntry, grantId } from '../lambda/core/edge-deny-list';
import { AccessStateStore } from '../lambda/store/access-state-store';
import { itemBytes } from '../lambda/store/item-hygiene';
import { FAIL_ON_HYGIENE_ERROR } from '../test/support/hygiene';
import { DenyListReplicator } from '../lambda/store/deny-list-replicator';
import { userKey } from '../lambda/store/table-schema';
import { billedStore } from './write-units';

const TABLE = 'streamgate-churn';
const GRANT_SECONDS = 300;
const TOKEN_SECONDS = 3600;
const TOLERANCE = 30;
/** 20 minutes before a clock hour's end, for 80 minutes. */
const START = 1_800_000_000 - (1_800_000_000 % 3600) + 3600 - 1200;
const MINUTES = 80;

interface Scenario {
  name: string;
  /** Seconds between the account's playback calls. */
  every: number;
  /** A token's session lasts this long, then logs out and a new token takes over. */
  tokenSeconds: number;
  grantsPerCall: number;
  newNetwork: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'lone viewer (baseline)', every: 240, tokenSeconds: 3600, grantsPerCall: 1, newNetwork: false },
  {
    name: 'session churn (token, DRM playback, logout)',
    every: 2,
    tokenSeconds: 2,
    grantsPerCall: 2,
    newNetwork: false,
  },
  { name: 'grant churn (one token, DRM playbacks)', every: 2, tokenSeconds: 3600, grantsPerCall: 2, newNetwork: false },
  { name: 'grant churn, a new token every 3 min', every: 2, tokenSeconds: 180, grantsPerCall: 2, newNetwork: false },
  { name: 'session churn, each from a new network', every: 2, tokenSeconds: 2, grantsPerCall: 2, newNetwork: true },
];

interface Figures {
  calls: number;
  units: number;
  maxUnits: number;
  maxBytes: number;
  /** Distinct deny-list keys in the busiest clock hour. */
  entriesPerHour: number;
  /** The most deny-list entries of the account live at once. */
  liveEntries: number;
}

export async function benchChurn(): Promise<void> {
  const billed = await billedStore(TABLE);
  const limits: AccessLimits = {
    rateLimit: ABUSE_DEFAULTS.rateLimitPerWindow.fallback,
    rateWindowSeconds: ABUSE_DEFAULTS.rateWindowSeconds.fallback,
    maxStreams: ABUSE_DEFAULTS.maxConcurrentStreams.fallback,
    streamLimitPolicy: 'reject-newest',
    sharing: {
      maxNetworks: ABUSE_DEFAULTS.sharingMaxNetworks.fallback,
      maxCountries: ABUSE_DEFAULTS.sharingMaxCountries.fallback,
      action: 'alert',
    },
    grantBucketSeconds: GRANT_SECONDS + 300,
    maxSessionsPerHour: ABUSE_DEFAULTS.maxSessionsPerHour.fallback,
    maxGrantsPerBucket: ABUSE_DEFAULTS.maxGrantsPerBucket.fallback,
  };
  console.log(
    `\nAdversarial churn, one account, ${MINUTES} min across an hour's end, default limits` +
      ` (${limits.maxSessionsPerHour} sessions/h, ${limits.maxGrantsPerBucket} grants/bucket, ${limits.rateLimit} calls/min)`,
  );
  try {
    const results: [Scenario, Figures][] = [];
    for (const scenario of SCENARIOS) results.push([scenario, await run(billed, limits, scenario)]);
    const base = results[0][1];
    for (const [scenario, figures] of results) {
      console.log(
        `  ${scenario.name.padEnd(46)} item ≤ ${(figures.maxBytes / 1024).toFixed(1)} KB (${(figures.maxBytes / base.maxBytes).toFixed(1)}×),` +
          ` WRU/call mean ${(figures.units / figures.calls).toFixed(2)} (${(figures.units / figures.calls / (base.units / base.calls)).toFixed(2)}×)` +
          ` max ${figures.maxUnits}, deny-list keys/h ${figures.entriesPerHour}, live at once ≤ ${figures.liveEntries}`,
      );
    }
  } finally {
    await billed.stop();
  }
}

async function run(
  billed: Awaited<ReturnType<typeof billedStore>>,
  limits: AccessLimits,
  scenario: Scenario,
): Promise<Figures> {
  const store = new AccessStateStore(billed.caller, limits, FAIL_ON_HYGIENE_ERROR);
  const user = { iss: 'https://idp.example.com/', sub: `churn-${randomBytes(6).toString('hex')}` };
  const key = userKey(user);
  const denied = new Map<string, { hour: number; expiresAt: number }>();
  let now = START;
  const replicator = new DenyListReplicator(
    {
      put: async (entries: readonly DenyEntry[]) => {
        for (const entry of entries)
          if (!denied.has(entry.key)) denied.set(entry.key, { hour: now - (now % 3600), expiresAt: entry.expiresAt });
      },
    },
    { toleranceSeconds: TOLERANCE, now: () => now },
  );
  const figures: Figures = { calls: 0, units: 0, maxUnits: 0, maxBytes: 0, entriesPerHour: 0, liveEntries: 0 };
  const bill = async <T>(call: () => Promise<T>): Promise<T> => {
    billed.bill.units = 0;
    const answer = await call();
    figures.calls += 1;
    figures.units += billed.bill.units;
    figures.maxUnits = Math.max(figures.maxUnits, billed.bill.units);
    return answer;
  };
  let token = { jti: 'token-0', iat: START };
  for (let step = 0; now < START + MINUTES * 60; step += 1, now += scenario.every) {
    if (now >= token.iat + scenario.tokenSeconds) token = { jti: `token-${step}`, iat: now };
    const session = sessionId({ ...user, jti: token.jti });
    const exp = token.iat + TOKEN_SECONDS;
    const expiresAt = Math.min(now + GRANT_SECONDS, exp);
    const base = {
      user,
      session,
      iat: token.iat,
      nowSeconds: now,
      counted: true,
      keepUntil: now + 2 * TOKEN_SECONDS + 86400,
    };
    const network = scenario.newNetwork ? `10.${(step >> 8) % 256}.${step % 256}.0/24` : '198.51.100.0/24';
    await bill(() =>
      store.authorize({
        ...base,
        presentation: { network, country: 'FR' },
        sessionKeepUntil: exp + TOLERANCE,
        slotUntil: expiresAt,
        grants: Array.from({ length: scenario.grantsPerCall }, () => ({
          id: grantId(randomBytes(64).toString('base64')),
          expiresAt,
        })),
        revokeUntil: now + TOKEN_SECONDS + 2 * TOLERANCE,
      }),
    );
    // A session ends by logout before the next token takes over (at once, for session churn).
    if (now + scenario.every >= token.iat + scenario.tokenSeconds) {
      const before = await billed.caller.get(key);
      await bill(() => store.logout({ ...base, sessionKeepUntil: exp + TOLERANCE }));
      await replicator.onChange(key, before, await billed.caller.get(key));
    }
    if (step % 10 === 0 || scenario.every >= 60) {
      figures.maxBytes = Math.max(figures.maxBytes, itemBytes(await billed.caller.get(key)));
      const live = [...denied.values()].filter((entry) => entry.expiresAt > now).length;
      figures.liveEntries = Math.max(figures.liveEntries, live);
    }
  }
  const perHour = new Map<number, number>();
  for (const { hour } of denied.values()) perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
  figures.entriesPerHour = Math.max(0, ...perHour.values());
  return figures;
}

if (require.main === module) {
  benchChurn().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
