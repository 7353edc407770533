/**
 * Properties every synthesized variant must have, shared by the tests that synthesize many
 * configurations (test/infra/config-values.test.ts, test/infra/deploy-matrix.test.ts).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { Synthesis } from './synth';

type Json = Record<string, unknown>;

/** Each stack's template, by stack name. */
export function templatesOf(synth: Synthesis): [string, Json][] {
  const stacks: [string, Template | undefined][] = [
    [synth.edge.stackName, synth.edgeTemplate],
    [synth.main.stackName, synth.mainTemplate],
    [synth.edgeAlarms?.stackName ?? '', synth.edgeAlarmsTemplate],
  ];
  return stacks.flatMap(([name, template]) =>
    template === undefined ? [] : [[name, template.toJSON()] as [string, Json]],
  );
}

/**
 * The property that holds the physical name, for every resource type a variant retains. A
 * retained type missing here is reported too: whoever retains a new kind of resource says how
 * it is named.
 */
export const PHYSICAL_NAME_PROPERTY: Readonly<Record<string, string | null>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::CloudFront::KeyValueStore': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  // A KMS key has no name (its alias does, and aliases are not retained).
  'AWS::KMS::Key': null,
};

const RETAINING = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/**
 * Resources that outlive their stack (`cdk destroy`, or the rollback of a failed first deploy)
 * under a name the next deploy of the same config would ask for again: that deploy then fails
 * with "already exists". A name is fixed unless it contains the stack's id (unique per stack
 * instance); CloudFormation-generated names (no name property) never collide.
 */
export function retainedFixedNames(stack: string, template: Json): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries((template.Resources ?? {}) as Record<string, Json>)) {
    const retained =
      RETAINING.has(String(resource.DeletionPolicy)) || RETAINING.has(String(resource.UpdateReplacePolicy));
    if (!retained) continue;
    const type = String(resource.Type);
    if (!(type in PHYSICAL_NAME_PROPERTY)) {
      problems.push(`${stack}/${id}: retained ${type}, whose name property this check does not know`);
      continue;
    }
    const property = PHYSICAL_NAME_PROPERTY[type];
    if (property === null) continue;
    const name = ((resource.Properties ?? {}) as Json)[property];
    if (name !== undefined && !JSON.stringify(name).includes('"AWS::StackId"'))
      problems.push(`${stack}/${id}: retained ${type} named ${JSON.stringify(name)}`);
  }
  return problems;
}
