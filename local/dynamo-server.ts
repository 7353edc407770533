/**
 * Local DynamoDB: a dynalite server on loopback (in memory, or persisted in a folder so local
 * revocations survive a restart) or one the user runs, and the revocation table created from
 * the core's schema module.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { STATE_TABLE } from '../lambda/store/table-schema';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startDynalite(options: { port?: number; path?: string } = {}): Promise<LocalDynamo> {
  const port = options.port ?? 0;
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this, close() waits for them.
        server.closeAllConnections();
      }),
  };
}

/**
 * A DynamoDB-compatible server someone else runs (DynamoDB Local, a dynalite of their own):
 * stopping it is theirs to do.
 */
export function externalDynamo(endpoint: string): LocalDynamo {
  const url = new URL(endpoint);
  return { endpoint, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)), stop: async () => undefined };
}

/**
 * Creates the table unless it exists (a persisted or external server keeps it across restarts),
 * and returns once it is ACTIVE: servers other than an in-process dynalite create tables slowly.
 */
export async function ensureStateTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const created = (await tableStatus(client, tableName)) === undefined && (await createTable(client, tableName));
    await waitUntilActive(client, tableName);
    if (created) {
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
          }),
        )
        .catch(() => undefined); // dynalite may not implement TTL; the attribute is still written.
    }
  } finally {
    client.destroy();
  }
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** False when another process created it first. */
async function createTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: STATE_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ResourceInUseException) return false;
    throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    const status = await tableStatus(client, tableName);
    if (status === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is still ${status ?? 'missing'} after 30 s`);
    await delay(50);
  }
}
