/** The node table: partition key `pk`, sort key `sk`, on-demand, a TTL attribute. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { Attr } from './layout.js';

/** Creates the table if it does not exist (the embedded deployment; CDK creates it on AWS). */
export async function ensureNodeTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: Attr.pk, AttributeType: 'S' },
          { AttributeName: Attr.sk, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: Attr.pk, KeyType: 'HASH' },
          { AttributeName: Attr.sk, KeyType: 'RANGE' },
        ],
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: Attr.ttl, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}
