/** `npm pack` of a package folder into a fresh temporary folder, as a consumer would get it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface Packed {
  /** The temporary folder the tarball is in (outside the checkout). */
  readonly work: string;
  readonly tarball: string;
  /** Every path in the tarball (`package/...`). */
  files(): string[];
  /** Extracts the tarball as `<project>/node_modules/<name>`; answers that folder. */
  installInto(project: string, name: string): string;
}

export function npmPack(packageDir: string, prefix: string): Packed {
  const work = mkdtempSync(path.join(tmpdir(), prefix));
  // prepack builds what the package ships (its dist/).
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [{ filename }] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string }[];
  const tarball = path.join(work, filename);
  return {
    work,
    tarball,
    files: () => execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n'),
    installInto: (project, name) => {
      const installed = path.join(project, 'node_modules', name);
      mkdirSync(installed, { recursive: true });
      execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
      return installed;
    },
  };
}
