/**
 * Per-token state in DynamoDB: revocation (by admin, logout or a sharing action) and token-sharing
 * detection, both on the token's one item, so a playback call checks and records them with ONE
 * conditional write: "not revoked, and this network/country within the limits" → ADD them.
 * Every failure or timeout is StoreUnavailable (fail closed).
 */
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SharingConfig } from '../core/config';
import {
  userId,
  type GrantRecord,
  type Presentation,
  type SharingVerdict,
  type TokenVerdict,
} from '../core/access-state';
import { grantRecord } from '../core/edge-deny-list';
import type { DynamoCaller, Item } from './dynamo-call';
import { StoreContention } from '../core/errors';
import { sessionKey, STATE_TABLE, TOKEN_ATTRIBUTES, tokenKey, type TokenRef } from './table-schema';

const { partitionKey: PK, ttlAttribute: TTL } = STATE_TABLE;
const {
  revokedAt: REVOKED,
  endedAt: ENDED,
  networks: NETWORKS,
  countries: COUNTRIES,
  grants: GRANTS,
  user: USER,
  iat: IAT,
} = TOKEN_ATTRIBUTES;
const NOT_SUSPECTED: SharingVerdict = { suspected: false, networks: [], countries: [] };
/** A refusal the item read afterwards does not explain (it changed in between) is retried. */
const ATTEMPTS = 3;

export class TokenStateStore {
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly sharing: SharingConfig,
  ) {}

  /**
   * Checks that the token is not revoked and, with sharing detection on, records where it was
   * presented from: one conditional write (one consistent read when detection is off).
   * `keepUntil`: the item's expiry, past the token's own.
   */
  async check(
    token: TokenRef,
    presentation: Presentation | undefined,
    keepUntil: number,
    grant?: GrantRecord,
  ): Promise<TokenVerdict> {
    const key = tokenKey(token);
    const watched = this.sharing.maxNetworks === 0 ? undefined : presentation;
    if (watched === undefined && grant === undefined) {
      // Nothing to record: a read is enough (and cheaper than a write).
      return refusalOf(await this.dynamo.get(key)) ?? { revoked: false, sharing: NOT_SUSPECTED };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const outcome = await this.dynamo.attempt(
        (client, options) => client.send(this.record(key, watched, keepUntil, true, grant), options),
        key,
      );
      if (outcome.written) {
        if (watched === undefined) return { revoked: false, sharing: NOT_SUSPECTED };
        const countries = watched.country === undefined ? [] : [watched.country];
        return { revoked: false, sharing: { suspected: false, networks: [watched.network], countries } };
      }
      const item = outcome.item;
      const refusal = refusalOf(item);
      if (refusal !== undefined) return refusal;
      if (watched === undefined || !this.beyondLimits(item, watched)) continue;
      if (this.sharing.action === 'alert') {
        // Alert only: the presentation (and the grant) still count, so later checks see every network used.
        await this.dynamo.send((client, options) =>
          client.send(this.record(key, watched, keepUntil, false, grant), options),
        );
      }
      return { revoked: false, sharing: verdictFrom(item, watched) };
    }
    throw new StoreContention();
  }

  /** Ends an evicted session; a session already revoked or ended stays as it is. */
  async end(session: string, nowSeconds: number): Promise<void> {
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: sessionKey(session) } },
      UpdateExpression: 'SET #e = :now',
      // Only an existing session can be ended (its item carries the TTL it was given).
      ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#r) AND attribute_not_exists(#e)',
      ExpressionAttributeNames: { '#e': ENDED, '#r': REVOKED, '#pk': PK },
      ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
    });
    await this.dynamo.sendConditional((client, options) => client.send(update, options));
  }

  /** Whether recording `presentation` on `item` would pass the network or the country limit. */
  private beyondLimits(item: Item | undefined, presentation: Presentation): boolean {
    const networks = item?.[NETWORKS]?.SS ?? [];
    const countries = item?.[COUNTRIES]?.SS ?? [];
    const newNetwork = !networks.includes(presentation.network) && networks.length >= this.sharing.maxNetworks;
    const newCountry =
      presentation.country !== undefined &&
      !countries.includes(presentation.country) &&
      countries.length >= this.sharing.maxCountries;
    return newNetwork || newCountry;
  }

  /** Whether the token is revoked (one consistent read). */
  async isRevoked(token: TokenRef): Promise<boolean> {
    return refusalOf(await this.dynamo.get(tokenKey(token))) !== undefined;
  }

  /**
   * Revokes the token; the item lives until `keepUntil` (past any expiry the token can have).
   * Answers false when it was already revoked: that write changed nothing.
   */
  async revoke(token: TokenRef, nowSeconds: number, keepUntil: number): Promise<boolean> {
    const update = new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: tokenKey(token) } },
      UpdateExpression: 'SET #r = :now, #t = :t',
      ConditionExpression: 'attribute_not_exists(#r)',
      ExpressionAttributeNames: { '#r': REVOKED, '#t': TTL },
      ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':t': { N: String(keepUntil) } },
    });
    return this.dynamo.sendConditional((client, options) => client.send(update, options));
  }

  /**
   * ADD the network (and country) and the grant; `bounded` adds the presentation only within the
   * limits. Always only while the token is neither revoked nor ended.
   */
  private record(
    key: string,
    presentation: Presentation | undefined,
    keepUntil: number,
    bounded: boolean,
    grant: GrantRecord | undefined,
  ): UpdateItemCommand {
    const names: Record<string, string> = { '#t': TTL, '#r': REVOKED, '#e': ENDED };
    const values: Record<string, AttributeValue> = { ':t': { N: String(keepUntil) } };
    const adds: string[] = [];
    const sets = ['#t = :t'];
    const conditions = ['attribute_not_exists(#r)', 'attribute_not_exists(#e)'];
    if (grant !== undefined) {
      names['#g'] = GRANTS;
      names['#u'] = USER;
      names['#i'] = IAT;
      values[':g'] = { SS: grant.grants.map(grantRecord) };
      values[':u'] = { S: userId(grant.user) };
      values[':i'] = { N: String(grant.iat) };
      adds.push('#g :g');
      sets.push('#u = :u', '#i = :i');
    }
    if (presentation === undefined) return this.update(key, adds, sets, conditions, names, values);
    names['#n'] = NETWORKS;
    values[':n'] = { SS: [presentation.network] };
    adds.push('#n :n');
    if (bounded) {
      conditions.push('(attribute_not_exists(#n) OR contains(#n, :nv) OR size(#n) < :maxn)');
      values[':nv'] = { S: presentation.network };
      values[':maxn'] = { N: String(this.sharing.maxNetworks) };
    }
    if (presentation.country !== undefined) {
      names['#c'] = COUNTRIES;
      values[':c'] = { SS: [presentation.country] };
      adds.push('#c :c');
      if (bounded) {
        conditions.push('(attribute_not_exists(#c) OR contains(#c, :cv) OR size(#c) < :maxc)');
        values[':cv'] = { S: presentation.country };
        values[':maxc'] = { N: String(this.sharing.maxCountries) };
      }
    }
    return this.update(key, adds, sets, conditions, names, values);
  }

  private update(
    key: string,
    adds: string[],
    sets: string[],
    conditions: string[],
    names: Record<string, string>,
    values: Record<string, AttributeValue>,
  ): UpdateItemCommand {
    return new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      UpdateExpression: `${adds.length > 0 ? `ADD ${adds.join(', ')} ` : ''}SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }
}

/** Revoked, or ended by the stream limit; undefined when the token may still play. */
function refusalOf(item: Item | undefined): TokenVerdict | undefined {
  if (item?.[REVOKED] !== undefined) return { revoked: true };
  if (item?.[ENDED] !== undefined) return { revoked: true, ended: true };
  return undefined;
}

/** Why a bounded record was refused on an unrevoked token: it would have passed a limit. */
function verdictFrom(item: Item | undefined, presentation: Presentation): SharingVerdict {
  const networks = item?.[NETWORKS]?.SS ?? [];
  const countries = item?.[COUNTRIES]?.SS ?? [];
  return {
    suspected: true,
    networks: union(networks, [presentation.network]),
    countries: union(countries, presentation.country === undefined ? [] : [presentation.country]),
  };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
