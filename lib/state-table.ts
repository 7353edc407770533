/**
 * The revocation table: `jti#` items (one revoked token), `sub#` items (a per-user cut-off) and
 * the abuse-defence items (`use#`, `streams#`, `rate#`), keyed and expired exactly as
 * lambda/store/table-schema.ts says, so the code and the table cannot disagree. Each grant
 * names the DynamoDB calls one part of lambda/core makes, nothing more.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE } from '../lambda/store/table-schema';

export interface RevocationTableProps {
  /**
   * What happens to the table (and every revocation in it) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse DeleteTable calls, including CloudFormation's.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

export class StateTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RevocationTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.DESTROY && props.deletionProtection !== false) {
      throw new Error('StateTable: removalPolicy DESTROY needs deletionProtection: false (the delete would be refused)');
    }
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: STATE_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: STATE_TABLE.ttlAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
  }

  /** Revocation status (revocation-store.ts): one consistent BatchGetItem of the token's and the user's items. */
  grantStatusRead(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:BatchGetItem');
  }

  /**
   * Revoking (revocation-store.ts), the per-user rate counter (rate-limiter.ts) and releasing a
   * stream slot (stream-limiter.ts): conditional or atomic UpdateItem calls.
   */
  grantUpdate(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:UpdateItem');
  }

  /**
   * Sharing detection and the concurrent-stream limit (sharing-detector.ts, stream-limiter.ts):
   * read a token's or user's record, then write it back under a condition.
   */
  grantAbuseTracking(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  }
}
