/**
 * `npm run rotate-keys`: rotates local mode's CloudFront signing key with the deployed sequence
 * (generate, publish, trust, wait for the edge, switch the signer, wait out the old grants,
 * retire), against the local folder's files. A running `npm start` keeps playing throughout:
 * its edge trusts both keys during the overlap and its API follows the active slot.
 * Flags: --if-due (rotate only when the key is older than 30 days, like the schedule),
 * --no-wait (stop at the first wait; the next run resumes).
 * Environment: STREAMGATE_LOCAL_DIR, STREAMGATE_KEY_GROUP_FILE, SIGNED_TTL_SECONDS (as given to
 * `npm start`: the overlap lasts that long), STREAMGATE_KEY_ALGORITHM (the new key's type).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type RotationRun, type RotationStep, runRotation } from '../lambda/core/signing-key-rotation';
import type { CloudFrontKeyAlgorithm } from '../lambda/core/cloudfront-key-types';
import { ensureCloudFrontKey, KEY_ALGORITHM_VARIABLE, localKeyAlgorithm } from './cloudfront-keys';
import { localDir } from './idp/defaults';
import { localRotationPolicy, localRotationPorts } from './signing-key-rotation';

export interface LocalRotationOptions {
  dir: string;
  keyGroupFile?: string;
  signedTtlSeconds: number;
  /** The new key's type. @default 'RSA_2048' */
  algorithm?: CloudFrontKeyAlgorithm;
  /** Rotate even if the key is not due. */
  force: boolean;
  /** Sleep through the waits until the rotation is complete (else stop at the first wait). */
  wait: boolean;
  onStep?: (step: RotationStep) => void;
}

export async function rotateLocalKeys(options: LocalRotationOptions): Promise<RotationRun> {
  const key = ensureCloudFrontKey(options.dir, options.algorithm);
  const ports = localRotationPorts(options.dir, options.keyGroupFile ?? key.keyGroupFile);
  const policy = localRotationPolicy(options.signedTtlSeconds, options.algorithm);
  let force = options.force;
  for (;;) {
    const run = await runRotation(ports, policy, { force });
    for (const step of run.performed) options.onStep?.(step);
    if (run.performed.some((step) => step.kind === 'generate')) force = false;
    if (run.stoppedAt.kind === 'idle' || !options.wait) return run;
    options.onStep?.(run.stoppedAt);
    await sleep(Math.max(200, run.stoppedAt.until * 1000 - Date.now() + 50));
  }
}

function describe(step: RotationStep): string {
  switch (step.kind) {
    case 'wait':
      return `waiting ${Math.max(0, step.until - Math.floor(Date.now() / 1000))} s for ${step.reason === 'deployment' ? 'the edge to trust the new key' : 'grants signed with the old key to expire'}`;
    case 'idle':
      return `idle; next rotation due ${new Date(step.until * 1000).toISOString()}`;
    case 'publish':
      return 'published the new public key';
    case 'trust':
      return `added ${step.keyPairId} to the key group`;
    case 'activate':
      return `the API now signs with ${step.keyPairId}`;
    case 'untrust':
      return `removed ${step.keyPairId} from the key group`;
    case 'delete-public-key':
      return `deleted public key ${step.keyPairId}`;
    default:
      return step.kind;
  }
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  const unknown = [...args].filter((arg) => !['--if-due', '--no-wait'].includes(arg));
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (expected --if-due, --no-wait)`);
  const ttl = Number(process.env.SIGNED_TTL_SECONDS ?? '300');
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new Error(`SIGNED_TTL_SECONDS: must be a whole number of seconds, got "${process.env.SIGNED_TTL_SECONDS}"`);
  const run = await rotateLocalKeys({
    dir: localDir(),
    keyGroupFile: process.env.STREAMGATE_KEY_GROUP_FILE || undefined,
    signedTtlSeconds: ttl,
    algorithm: localKeyAlgorithm(process.env[KEY_ALGORITHM_VARIABLE]),
    force: !args.has('--if-due'),
    wait: !args.has('--no-wait'),
    onStep: (step) => console.log(`rotate-keys: ${describe(step)}`),
  });
  console.log(`rotate-keys: ${describe(run.stoppedAt)}; active key ${run.activeKeyPairId ?? '(none)'}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`rotate-keys failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
