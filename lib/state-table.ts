/**
 * The access-state table: ONE ITEM PER USER (`usr#`) holds all of that user's state (revocation
 * cut-off, rate counters, stream slots, each session's marks and the grants issued), keyed and
 * expired exactly as lambda/store/table-schema.ts says, so the code and the table cannot
 * disagree. No index: every call reads and writes one item by its key. With edge revocation on,
 * its stream feeds the edge deny-list.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
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
  /**
   * The table's DynamoDB stream (NEW_AND_OLD_IMAGES), which edge revocation reads.
   * @default false
   */
  readonly stream?: boolean;
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
      // Edge revocation reads both images: what a change revoked, and what it was before.
      stream: props.stream === true ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
  }

  /**
   * Every API function's calls (lambda/store/): a consistent GetItem of a user's item, and
   * conditional UpdateItems that check and record in one write. Nothing else.
   */
  grantStateAccess(grantee: iam.IGrantable): iam.Grant {
    // Not table.grant: should an index ever be added, it would grant `<table>/index/*` too.
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
    });
  }
}
