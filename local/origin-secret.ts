/**
 * Local mode's origin-verify secret and the "distribution" that sends it, so the deployed
 * rotation (lambda/core/origin-secret-rotation.ts) runs locally on the same steps:
 * `origin-verify.json` holds the secret's versions with their staging labels (AWSCURRENT,
 * AWSPENDING, AWSPREVIOUS), `origin-header.json` the value the local edge adds to API requests.
 * The edge re-reads that file at most once a second, as CloudFront takes a while to deploy a
 * change; the receivers (local authorizer and API) re-read the secret every second.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type OriginHeaderSender,
  type OriginSecretStore,
  ORIGIN_SECRET_STEPS,
  rotateOriginSecretStep,
} from '../lambda/core/origin-secret-rotation';
import type { OriginVerifyStage } from '../lambda/core/origin-verify';
import { readIfPresent, writeAtomically } from './atomic-file';

export const ORIGIN_SECRET_FILE = 'origin-verify.json';
export const ORIGIN_HEADER_FILE = 'origin-header.json';
/** How often local receivers re-read the secret, and the edge its header file. */
export const LOCAL_ORIGIN_REFRESH_SECONDS = 1;

interface Version {
  id: string;
  value: string;
  stages: string[];
  createdAt: number;
}

export class LocalOriginSecret implements OriginSecretStore {
  readonly file: string;
  constructor(dir: string) {
    this.file = join(dir, ORIGIN_SECRET_FILE);
  }

  private versions(): Version[] {
    const text = readIfPresent(this.file);
    return text === undefined ? [] : (JSON.parse(text) as { versions: Version[] }).versions;
  }

  private save(versions: Version[]): void {
    writeAtomically(this.file, `${JSON.stringify({ versions }, null, 2)}\n`);
  }

  /** The value under a staging label (what the receivers read). */
  async stage(stage: OriginVerifyStage): Promise<string | undefined> {
    return this.versions().find((version) => version.stages.includes(stage))?.value;
  }

  async versionValue(token: string): Promise<string | undefined> {
    return this.versions().find((version) => version.id === token)?.value;
  }

  async versionCreatedAt(token: string): Promise<number | undefined> {
    return this.versions().find((version) => version.id === token)?.createdAt;
  }

  async putPending(token: string, value: string): Promise<void> {
    const versions = this.versions().map((v) => ({ ...v, stages: v.stages.filter((s) => s !== 'AWSPENDING') }));
    versions.push({ id: token, value, stages: ['AWSPENDING'], createdAt: Math.floor(Date.now() / 1000) });
    this.save(versions);
  }

  async currentVersion(): Promise<string | undefined> {
    return this.versions().find((version) => version.stages.includes('AWSCURRENT'))?.id;
  }

  /** As Secrets Manager: AWSCURRENT moves, AWSPREVIOUS follows to the version it left, AWSPENDING goes. */
  async promote(token: string, from: string | undefined): Promise<void> {
    const versions = this.versions()
      .map((version) => {
        const stages = version.stages.filter((s) => s !== 'AWSCURRENT' && s !== 'AWSPREVIOUS' && s !== 'AWSPENDING');
        if (version.id === token) stages.push('AWSCURRENT');
        if (version.id === from) stages.push('AWSPREVIOUS');
        return { ...version, stages };
      })
      // Versions with no label are deprecated: gone, as Secrets Manager eventually removes them.
      .filter((version) => version.stages.length > 0);
    this.save(versions);
  }

  /** A first value, when the folder has none. */
  ensure(): void {
    if (this.versions().some((version) => version.stages.includes('AWSCURRENT'))) return;
    this.save([{ id: randomUUID(), value: randomBytes(24).toString('hex'), stages: ['AWSCURRENT'], createdAt: 0 }]);
  }
}

export class LocalOriginHeader implements OriginHeaderSender {
  readonly file: string;
  private cached = { value: '', checkedAt: 0, stamp: -1 };

  constructor(dir: string) {
    this.file = join(dir, ORIGIN_HEADER_FILE);
  }

  async sentValues(): Promise<string[]> {
    const text = readIfPresent(this.file);
    return text === undefined ? [] : [(JSON.parse(text) as { value: string }).value];
  }

  async send(value: string): Promise<void> {
    writeAtomically(this.file, `${JSON.stringify({ value })}\n`);
  }

  /** The local edge re-reads the file at least once a refresh period: deployed once that has passed. */
  async deployed(): Promise<boolean> {
    if (!existsSync(this.file)) return true;
    return Date.now() - statSync(this.file).mtimeMs > (LOCAL_ORIGIN_REFRESH_SECONDS + 0.5) * 1000;
  }

  /** What the edge adds now: the file as of its last re-read (at most once a second). */
  edgeValue(): string {
    const now = Date.now();
    if (now - this.cached.checkedAt >= LOCAL_ORIGIN_REFRESH_SECONDS * 1000) {
      this.cached.checkedAt = now;
      const stamp = statSync(this.file).mtimeMs;
      if (stamp !== this.cached.stamp) {
        const text = readIfPresent(this.file);
        if (text !== undefined)
          this.cached = { value: (JSON.parse(text) as { value: string }).value, checkedAt: now, stamp };
      }
    }
    return this.cached.value;
  }

  /** The header file, sending the secret's current value, when the folder has none. */
  async ensure(secret: LocalOriginSecret): Promise<void> {
    if (existsSync(this.file)) return;
    const current = await secret.stage('AWSCURRENT');
    if (current !== undefined) await this.send(current);
  }
}

/** One full rotation, the steps in Secrets Manager's order. */
export async function rotateLocalOriginSecret(dir: string): Promise<void> {
  const store = new LocalOriginSecret(dir);
  store.ensure();
  const sender = new LocalOriginHeader(dir);
  await sender.ensure(store);
  const token = randomUUID();
  for (const step of ORIGIN_SECRET_STEPS) {
    // testSecret: the edge has had time to pick the change up, as a deployed distribution must.
    if (step === 'testSecret') await sleep((LOCAL_ORIGIN_REFRESH_SECONDS + 0.5) * 1000);
    await rotateOriginSecretStep(step, token, {
      store,
      sender,
      now: () => Date.now() / 1000,
      sleep: (seconds) => sleep(seconds * 1000),
      receiverRefreshSeconds: LOCAL_ORIGIN_REFRESH_SECONDS,
      deploymentWaitSeconds: LOCAL_ORIGIN_REFRESH_SECONDS + 2,
      pollSeconds: 0.5,
    });
  }
}
