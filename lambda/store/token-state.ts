/**
 * Per-token state in DynamoDB: revocation (by admin, logout or a sharing action) and token-sharing
 * detection, both on the token's one item, so a playback call checks and records them with ONE
 * conditional write: "not revoked, and this network/country within the limits" → ADD them.
 * Every failure or timeout is StoreUnavailable (fail closed).
 */
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SharingConfig } from '../core/config';
import type { Presentation, SharingVerdict, TokenVerdict } from '../core/access-state';
import type { DynamoCaller, Item } from './dynamo-call';
import { StoreContention } from '../core/errors';
import { STATE_TABLE, TOKEN_ATTRIBUTES, tokenKey, type TokenRef } from './table-schema';

const { partitionKey: PK, ttlAttribute: TTL } = STATE_TABLE;
const { revokedAt: REVOKED, networks: NETWORKS, countries: COUNTRIES } = TOKEN_ATTRIBUTES;
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
  async check(token: TokenRef, presentation: Presentation | undefined, keepUntil: number): Promise<TokenVerdict> {
    const key = tokenKey(token);
    if (this.sharing.maxNetworks === 0 || presentation === undefined) {
      return (await this.dynamo.get(key))?.[REVOKED] !== undefined
        ? { revoked: true }
        : { revoked: false, sharing: NOT_SUSPECTED };
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      const outcome = await this.dynamo.attempt(
        (client, options) => client.send(this.record(key, presentation, keepUntil, true), options),
        key,
      );
      if (outcome.written) {
        const countries = presentation.country === undefined ? [] : [presentation.country];
        return { revoked: false, sharing: { suspected: false, networks: [presentation.network], countries } };
      }
      const item = outcome.item;
      if (item?.[REVOKED] !== undefined) return { revoked: true };
      if (!this.beyondLimits(item, presentation)) continue;
      if (this.sharing.action === 'alert') {
        // Alert only: the presentation still counts, so later checks see every network used.
        await this.dynamo.send((client, options) =>
          client.send(this.record(key, presentation, keepUntil, false), options),
        );
      }
      return { revoked: false, sharing: verdictFrom(item, presentation) };
    }
    throw new StoreContention();
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
    return (await this.dynamo.get(tokenKey(token)))?.[REVOKED] !== undefined;
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

  /** ADD the network (and country); `bounded` adds only while the token is unrevoked and within the limits. */
  private record(key: string, presentation: Presentation, keepUntil: number, bounded: boolean): UpdateItemCommand {
    const names: Record<string, string> = { '#n': NETWORKS, '#t': TTL, '#r': REVOKED };
    const values: Record<string, AttributeValue> = {
      ':n': { SS: [presentation.network] },
      ':t': { N: String(keepUntil) },
    };
    const adds = ['#n :n'];
    const conditions = ['attribute_not_exists(#r)'];
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
    return new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: key } },
      UpdateExpression: `ADD ${adds.join(', ')} SET #t = :t`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }
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
