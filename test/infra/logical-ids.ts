/**
 * The configurations whose deployed templates must keep every logical id (a live stack then
 * updates in place), and what each template holds: logical id → resource type, per stack.
 * `npx tsx test/infra/logical-ids.ts --write` records the baseline in
 * test/fixtures/logical-ids.json; test/infra/logical-ids.test.ts compares against it.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { exampleWith, synthesize } from './synth';

type Overrides = Parameters<typeof exampleWith>[0];

/** Today's documented configurations: the example and the variants the infra tests synthesize. */
export const RECORDED_CONFIGURATIONS: Readonly<Record<string, Overrides>> = {
  example: {},
  'us-east-1': { region: 'us-east-1' },
  'test-deployment-live-ecdsa': {
    deployment: 'test',
    delivery: { domainNames: null, certificateArn: null, geoRestriction: { type: 'deny', countries: ['KP', 'IR'] } },
    signing: { bindViewerIp: false, keyAlgorithm: 'ECDSA_P256' },
    packaging: {
      mode: 'live',
      spekeV1Url: null,
      spekeUrl: 'https://speke.example.com/v2/copyProtection',
      spekeRoleArn: 'arn:aws:iam::111111111111:role/streamgate-speke',
    },
  },
  'no-packaging-no-edge-revocation': {
    packaging: { mode: 'none', spekeUrl: null, spekeV1Url: null, spekeRoleArn: null },
    drm: { catalog: {}, upstreams: {} },
    edgeRevocation: { enabled: false },
  },
};

export type LogicalIds = Record<string, Record<string, string>>;

/** Every stack's resources of one configuration, as logical id → type, keyed by stack name. */
export function logicalIdsOf(overrides: Overrides): LogicalIds {
  const synth = synthesize(exampleWith(overrides));
  const result: LogicalIds = {};
  for (const artifact of synth.assembly.stacks) {
    const resources = (artifact.template as { Resources?: Record<string, { Type: string }> }).Resources ?? {};
    result[artifact.stackName] = Object.fromEntries(
      Object.entries(resources)
        .map(([id, resource]) => [id, resource.Type] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  }
  return result;
}

export const BASELINE_FILE = path.join(__dirname, '..', 'fixtures', 'logical-ids.json');

if (require.main === module && process.argv.includes('--write')) {
  const all = Object.fromEntries(
    Object.entries(RECORDED_CONFIGURATIONS).map(([name, overrides]) => [name, logicalIdsOf(overrides)]),
  );
  writeFileSync(BASELINE_FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`wrote ${BASELINE_FILE}`);
}
