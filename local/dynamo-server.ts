/**
 * Local DynamoDB: a dynalite server on loopback (in memory, or persisted in a folder so local
 * revocations survive a restart) and the revocation table created from the core's schema module.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { REVOCATION_TABLE } from '../lambda/core/revocation-schema';

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

/** Creates the table unless it exists (a persisted dynalite keeps it across restarts). */
export async function ensureRevocationTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const existing = await client.send(new ListTablesCommand({}));
  if (existing.TableNames?.includes(tableName)) {
    client.destroy();
    return;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: REVOCATION_TABLE.ttlAttribute, Enabled: true } }))
    .catch(() => undefined); // dynalite may not implement TTL; the attribute is still written.
  client.destroy();
}
