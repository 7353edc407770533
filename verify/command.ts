/**
 * `streamgate verify`: reads the options, runs the battery, prints the summary (stdout; stderr
 * when the JSON report goes to stdout) and writes the JSON report. Exit status: 0 when no check
 * failed, 1 when one did, 2 for a bad command line.
 */
import { writeFileSync } from 'node:fs';
import { CHECKS } from './checks';
import { VerifyContext } from './context';
import { parseVerifyArgs, USAGE, UsageError } from './options';
import { formatJson, formatSummary } from './report';
import { runBattery, selectChecks } from './runner';
import { TokenSourceError } from './tokens';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export async function verifyCommand(argv: string[], io: CommandIo): Promise<number> {
  let options: ReturnType<typeof parseVerifyArgs>;
  try {
    options = parseVerifyArgs(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TokenSourceError)) throw error;
    io.stderr(`streamgate verify: ${error.message}\n(streamgate verify --help for the options)\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const checks = selectChecks(CHECKS, options.only, options.skip);
  if (checks.length === 0) {
    io.stderr('streamgate verify: --only/--skip leave no check to run\n');
    return 2;
  }
  const ctx = new VerifyContext(options, { progress: (line) => io.stderr(`${line}\n`) });
  const report = await runBattery(ctx, checks);
  const summary = formatSummary(report, { verbose: options.verbose });
  if (options.json === '-') {
    io.stderr(summary);
    io.stdout(formatJson(report));
  } else {
    io.stdout(summary);
    if (options.json !== undefined) writeFileSync(options.json, formatJson(report));
  }
  return report.summary.fail > 0 ? 1 : 0;
}
