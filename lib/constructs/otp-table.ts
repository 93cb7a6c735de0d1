import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../shared/store/table-schema';

export interface OtpTableProps {
  /** Delete the table with the stack (dev accounts only); otherwise it is retained and deletion-protected. */
  readonly destroyOnRemoval: boolean;
}

/**
 * The service's one DynamoDB table (DESIGN.md §4): string `pk`/`sk`, on-demand, point-in-time
 * recovery, encrypted at rest, TTL on `ttl`. The key names come from the same module the local
 * runtime uses to create its table, so the two cannot drift apart.
 */
export class OtpTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: OtpTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-owned keys would also encrypt, but the AWS-managed key leaves a CloudTrail record of use.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // DynamoDB deletes expired items up to days late; the engine also compares expiresAt itself.
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      // Tenants (hashed credentials, policies) and live codes are data an accidental `cdk destroy` must not lose.
      removalPolicy: props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      deletionProtection: !props.destroyOnRemoval,
    });
  }
}
