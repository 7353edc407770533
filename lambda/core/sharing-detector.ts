/**
 * Token-sharing detection at authorize time: per `jti`, the distinct client networks and
 * countries it was presented from during its lifetime, kept in DynamoDB and updated atomically.
 * A presentation that would push either count past its limit is reported as suspected; with
 * the `deny` action it is not recorded, so the networks seen first keep working.
 */
import { AttributeValue, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SharingConfig } from './config';
import type { DynamoCaller } from './dynamo-call';
import { ABUSE_ATTRIBUTES, REVOCATION_TABLE, usageKey } from './revocation-schema';


export interface Presentation {
  jti: string;
  network: string;
  country?: string;
  /** Epoch seconds after which the record is useless (the token's expiry). */
  expiresAt: number;
}

export interface SharingVerdict {
  suspected: boolean;
  /** Networks and countries seen, the new ones included when suspected. */
  networks: string[];
  countries: string[];
}

const { partitionKey: PK, ttlAttribute: TTL } = REVOCATION_TABLE;
const { networks: NETWORKS, countries: COUNTRIES } = ABUSE_ATTRIBUTES;

export class SharingDetector {
  constructor(
    private readonly dynamo: DynamoCaller,
    readonly config: SharingConfig,
  ) {}

  async record(presentation: Presentation): Promise<SharingVerdict> {
    if (this.config.maxNetworks === 0) return { suspected: false, networks: [], countries: [] };
    const within = await this.dynamo.sendConditional((client, options) => client.send(this.add(presentation, true), options));
    if (within) return { suspected: false, networks: [presentation.network], countries: presentation.country === undefined ? [] : [presentation.country] };

    const seen = await this.seen(presentation.jti);
    if (this.config.action === 'alert') {
      await this.dynamo.send((client, options) => client.send(this.add(presentation, false), options));
    }
    return {
      suspected: true,
      networks: union(seen.networks, [presentation.network]),
      countries: union(seen.countries, presentation.country === undefined ? [] : [presentation.country]),
    };
  }

  /** ADD the network (and country) to the token's sets; `bounded` adds only within the limits. */
  private add(presentation: Presentation, bounded: boolean): UpdateItemCommand {
    const names: Record<string, string> = { '#n': NETWORKS, '#t': TTL };
    const values: Record<string, AttributeValue> = { ':n': { SS: [presentation.network] }, ':t': { N: String(presentation.expiresAt) } };
    const adds = ['#n :n'];
    const conditions = ['(attribute_not_exists(#n) OR contains(#n, :nv) OR size(#n) < :maxn)'];
    if (bounded) {
      values[':nv'] = { S: presentation.network };
      values[':maxn'] = { N: String(this.config.maxNetworks) };
    }
    if (presentation.country !== undefined) {
      names['#c'] = COUNTRIES;
      values[':c'] = { SS: [presentation.country] };
      adds.push('#c :c');
      conditions.push('(attribute_not_exists(#c) OR contains(#c, :cv) OR size(#c) < :maxc)');
      if (bounded) {
        values[':cv'] = { S: presentation.country };
        values[':maxc'] = { N: String(this.config.maxCountries) };
      }
    }
    return new UpdateItemCommand({
      TableName: this.dynamo.tableName,
      Key: { [PK]: { S: usageKey(presentation.jti) } },
      UpdateExpression: `ADD ${adds.join(', ')} SET #t = :t`,
      ...(bounded ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  private async seen(jti: string): Promise<{ networks: string[]; countries: string[] }> {
    const output = await this.dynamo.send((client, options) =>
      client.send(new GetItemCommand({ TableName: this.dynamo.tableName, Key: { [PK]: { S: usageKey(jti) } }, ConsistentRead: true }), options),
    );
    return { networks: output.Item?.[NETWORKS]?.SS ?? [], countries: output.Item?.[COUNTRIES]?.SS ?? [] };
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}
