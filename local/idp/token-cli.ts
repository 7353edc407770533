/**
 * Prints a dev bearer token, alone on stdout, so it can be captured:
 *   TOKEN=$(tsx local/idp/token-cli.ts --sub alice --videos demo-1,demo-2)
 * The key comes from $STREAMGATE_LOCAL_DIR (default <repo>/.local), created if absent.
 * Exit codes: 0 token printed, 2 bad arguments, 1 anything else.
 */
import { parseArgs } from 'node:util';
import { localDir } from './defaults';
import { DevIdp } from './dev-idp';
import { TokenRequestError, type TokenRequest } from './token-request';

const USAGE = `usage: tsx local/idp/token-cli.ts --sub <user> [--videos <id,id,...|*>] [--scope "<scopes>"] [--ttl <seconds>] [--jti <id>]
  --sub     subject (the viewer), e.g. alice
  --videos  videos the token entitles, comma-separated or repeated; "*" for all (default: no videos claim, which the API refuses unless REQUIRE_VIDEOS_CLAIM=false)
  --scope   space-separated scopes (default: stream:play; admin: streamgate:admin)
  --ttl     lifetime in seconds, 10 to 3600 (default: 900)
  --jti     token id (default: a random UUID)`;

class UsageError extends Error {}

const OPTIONS = {
  sub: { type: 'string' },
  videos: { type: 'string', multiple: true },
  scope: { type: 'string' },
  ttl: { type: 'string' },
  jti: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function tokenRequest(argv: string[]): TokenRequest | 'help' {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; strict: true; allowPositionals: false; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { sub, videos, scope, ttl, jti, help } = parsed.values;
  if (help === true) return 'help';
  if (sub === undefined) throw new UsageError('--sub is required');
  if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--ttl must be a whole number of seconds');
  const ids = videos
    ?.flatMap((list) => list.split(','))
    .map((id) => id.trim())
    .filter((id) => id !== '');
  return {
    sub,
    ...(ids !== undefined ? { videos: ids.length === 1 && ids[0] === '*' ? '*' : ids } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ...(ttl !== undefined ? { ttlSeconds: Number(ttl) } : {}),
    ...(jti !== undefined ? { jti } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  try {
    const request = tokenRequest(argv);
    if (request === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const idp = await DevIdp.open({ keyDir: localDir() });
    process.stdout.write(`${await idp.issueToken(request)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof TokenRequestError) {
      process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
