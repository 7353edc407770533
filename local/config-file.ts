/**
 * `npm start` with the team's own deploy config file (`--config <file>` or STREAMGATE_CONFIG),
 * so a team tries its own IdP, claim names, plans and content before deploying: the file is read
 * and validated by the deploy's own loader (lib/config.ts), so a bad file fails with the error
 * `cdk synth` gives, naming each bad field; local/config-settings.ts then maps it.
 * The deploy schema loads part of aws-cdk-lib (the alarm table): start.ts imports this module
 * only when a file is given.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigValidationError, loadConfigFile } from '../lib/config';
import type { LocalConfig } from './config-settings';

/**
 * Reads the file as `cdk synth` does (ConfigValidationError naming every bad field), then checks
 * what only local mode uses: the content folder exists.
 */
export function loadLocalConfig(path: string): LocalConfig {
  const config = loadConfigFile(path);
  const folder = config.local.contentDir;
  const contentDir = folder === undefined ? undefined : resolve(dirname(path), folder);
  if (contentDir !== undefined && !(existsSync(contentDir) && statSync(contentDir).isDirectory()))
    throw new ConfigValidationError([{ field: 'local.contentDir', problem: `is not a folder: "${contentDir}"` }], path);
  return { config, externalIdp: config.jwt.jwksUrl !== '', contentDir };
}
