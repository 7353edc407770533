/**
 * `streamgate <command>`: the operator's command line (package.json "bin"). Each command is one
 * entry of COMMANDS, taking its own arguments and returning its exit status.
 */
import { verifyCommand, type CommandIo } from '../verify/command';
import { ADMIN_COMMANDS, adminCommand } from './admin/commands';

interface Command {
  summary: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  verify: {
    summary: 'run the conformance battery against a deployed streamgate (or npm start)',
    run: verifyCommand,
  },
  ...Object.fromEntries(Object.keys(ADMIN_COMMANDS).map((name) => [name, adminCommand(name)])),
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: streamgate <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'streamgate <command> --help for its options',
  ].join('\n');
}

export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr(`streamgate: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  return command.run(rest, io);
}

/** The process entry: `streamgate ...` (cli/streamgate.js) and `npm run verify`. */
export function runCli(): void {
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`streamgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runCli();
