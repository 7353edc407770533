/**
 * The configurations every offline deploy check synthesizes (.ci/synth-lint, and the template
 * tests in test/infra/deploy-matrix.test.ts): the example, and each file in
 * test/fixtures/deploy-configs/ (every optional feature on for live and for VOD, a minimal test
 * deployment, geoRestriction none, us-east-1, a 31-character name without edge revocation). A
 * file added there is synthesized, cdk-nag checked and linted from then on.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..');
export const DEPLOY_CONFIGS_DIR = path.join(ROOT, 'test', 'fixtures', 'deploy-configs');

export interface DeployVariant {
  /** Short name (the file's, without `.json`). */
  readonly name: string;
  readonly file: string;
}

export const DEPLOY_MATRIX: readonly DeployVariant[] = [
  { name: 'example', file: path.join(ROOT, 'config', 'example.json') },
  ...readdirSync(DEPLOY_CONFIGS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: file.replace(/\.json$/, ''), file: path.join(DEPLOY_CONFIGS_DIR, file) })),
];
