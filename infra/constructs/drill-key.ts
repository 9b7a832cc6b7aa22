import { Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface DrillKeyProps {
  /** The evaluate function's role: it verifies drill signatures. */
  readonly verifier: iam.IRole;
  /** IAM role ARNs of the operators who run `trailwarden drill --invoke` (they sign with the key). */
  readonly operatorRoleArns: readonly string[];
}

/** What the key's readers may do; nobody else may read it, whatever their IAM policies say. */
const READ_ACTIONS = ['secretsmanager:GetSecretValue'];

/**
 * The drill key (rules/core/drill-auth.ts): a generated secret that signs drill events. Only the evaluate function
 * and the configured drill operators can read it; only the operators can replace its value. The resource policy
 * denies everyone else even when an identity policy allows it, so `secretsmanager:*` on `*` does not let an
 * account admin read the key and forge a drill (changing the resource policy itself is a logged API call).
 */
export class DrillKey extends Construct {
  readonly secret: secretsmanager.Secret;
  /** Who may read the key; resolved at synth, so signers added later (`addSigner`) are exempt from the deny. */
  private readonly readers: string[];

  constructor(scope: Construct, id: string, props: DrillKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      // Named after the stack so the self-protection rules know it as Trailwarden's (`<StackName>-*`).
      secretName: `${Stack.of(this).stackName}-drill-key`,
      description: 'Trailwarden drill key: signs trailwarden drill events (evaluate function and drill operators only)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    this.secret.grantRead(props.verifier);
    this.readers = [props.verifier.roleArn, ...props.operatorRoleArns];
    const readers = Lazy.list({ produce: () => this.readers });
    if (props.operatorRoleArns.length > 0) {
      this.secret.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DrillOperatorsSign',
          principals: props.operatorRoleArns.map((arn) => new iam.ArnPrincipal(arn)),
          actions: [...READ_ACTIONS, 'secretsmanager:DescribeSecret', 'secretsmanager:PutSecretValue'],
          resources: ['*'],
        }),
      );
    }
    this.secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyElseReads',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: READ_ACTIONS,
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': readers } },
      }),
    );
    // Replacing the value would let its writer sign drills: the operators only.
    this.secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'NobodyElseReplaces',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:PutSecretValue'],
        resources: ['*'],
        ...(props.operatorRoleArns.length > 0
          ? { conditions: { ArnNotEquals: { 'aws:PrincipalArn': [...props.operatorRoleArns] } } }
          : {}),
      }),
    );
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The drill key signs drill events only; operators replace it with PutSecretValue (the evaluate function re-reads it within 15 minutes). A rotation Lambda would be one more principal able to read it.',
    });
  }

  /**
   * A function that verifies drills beside the evaluate function (the elevated-access check, which judges signed
   * drill observations): read access like the evaluate function's, exempt from the deny.
   */
  addVerifier(role: iam.IRole): void {
    this.addSigner(role);
  }

  /** A function that signs drills (the scheduled drill function): GetSecretValue on this secret, nothing else. */
  addSigner(role: iam.IRole): void {
    this.readers.push(role.roleArn);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    );
  }
}
