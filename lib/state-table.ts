/**
 * The access-state table: one item per token (`tok#`: revoked, where it was presented from) and
 * one per user (`usr#`: revocation cut-off, rate counters, stream slots), keyed and expired
 * exactly as lambda/store/table-schema.ts says, so the code and the table cannot disagree.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { STATE_TABLE } from '../lambda/store/table-schema';

export interface StateTableProps {
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

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.DESTROY && props.deletionProtection !== false) {
      throw new Error(
        'StateTable: removalPolicy DESTROY needs deletionProtection: false (the delete would be refused)',
      );
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

  /**
   * Every API function's calls (lambda/store/): a consistent GetItem of a token's or a user's
   * item, and conditional UpdateItems that check and record in one write. Nothing else.
   */
  grantStateAccess(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }
}
