/**
 * The operator's admin commands (docs/operations.md, incident runbook): revoke a token, a user or
 * a list of users, show a user's live sessions and grants, lift a mistaken cut-off. Each talks to
 * the admin routes of `--api` (npm start or a deployment alike) with an admin token from
 * ./credentials.ts. Exit status: 0 done, 1 refused or failed, 2 bad command line.
 */
import { parseArgs } from 'node:util';
import type { CommandIo } from '../../verify/command';
import type { UserStateAnswer } from '../../lambda/core/user-state';
import { AdminApi, AdminApiError } from './admin-api';
import { readUserList, revokeAll } from './bulk-revoke';
import {
  ADMIN_TOKEN_VARIABLE,
  adminTokens,
  CLIENT_ID_VARIABLE,
  CLIENT_SECRET_VARIABLE,
  CredentialError,
} from './credentials';

const COMMON = {
  api: { type: 'string' },
  'token-url': { type: 'string' },
  scope: { type: 'string' },
  audience: { type: 'string' },
  'client-auth': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CREDENTIALS_HELP = `
  --api <url>          the deployment's origin (https://video.example.com) or npm start's
  --token-url <url>    the IdP's OAuth 2.0 token endpoint: the client-credentials grant, with the
                       client in $${CLIENT_ID_VARIABLE} and $${CLIENT_SECRET_VARIABLE} (never on the command line)
  --scope <scopes>     scope to ask for (e.g. streamgate:admin); --audience <id> for IdPs that want one (Auth0)
  --client-auth basic|post   how the client authenticates (default basic)
  or, instead of --token-url, an admin token in $${ADMIN_TOKEN_VARIABLE}`;

class UsageError extends Error {}

interface AdminCommand {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(values: Record<string, string | boolean | undefined>, api: AdminApi, io: CommandIo): Promise<number>;
}

const required = (values: Record<string, string | boolean | undefined>, name: string): string => {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
};

const wholeNumber = (value: string | boolean | undefined, flag: string, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max)
    throw new UsageError(`--${flag}: a whole number from 1 to ${max}, got "${String(value)}"`);
  return Number(value);
};

const print = (io: CommandIo, value: unknown) => io.stdout(`${JSON.stringify(value, null, 2)}\n`);

export const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  revoke: {
    summary: "revoke one token (by the user's sub and the token's jti)",
    usage: 'streamgate revoke --sub <sub> --jti <jti> --api <url> [credentials]',
    options: { sub: { type: 'string' }, jti: { type: 'string' }, 'token-jti': { type: 'string' } },
    run: async (values, api, io) => {
      const jti = (values.jti ?? values['token-jti']) as string | undefined;
      if (jti === undefined || jti === '') throw new UsageError('--jti (or --token-jti) is required');
      print(io, await api.revokeToken(required(values, 'sub'), jti));
      return 0;
    },
  },
  'revoke-user': {
    summary: 'revoke every token of a user issued so far (a cut-off)',
    usage: 'streamgate revoke-user --sub <sub> [--before <epoch seconds>] --api <url> [credentials]',
    options: { sub: { type: 'string' }, before: { type: 'string' } },
    run: async (values, api, io) => {
      const before = values.before === undefined ? undefined : wholeNumber(values.before, 'before', 0, 1e11);
      print(io, await api.revokeUser(required(values, 'sub'), before));
      return 0;
    },
  },
  'revoke-users': {
    summary: 'revoke every user listed in a file (paced, resumable, with a summary)',
    usage:
      'streamgate revoke-users --file <users.txt> [--progress <file>] [--rate <per s, default 20>] [--concurrency <default 4>] --api <url> [credentials]\n' +
      '  users.txt: one sub per line (# comments). Outcomes are appended to --progress (default <file>.progress);\n' +
      '  run again with the same progress file to resume: users done there are skipped, failures retried.',
    options: {
      file: { type: 'string' },
      progress: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
    },
    run: async (values, api, io) => {
      const file = required(values, 'file');
      let list: ReturnType<typeof readUserList>;
      try {
        list = readUserList(file);
      } catch (error) {
        throw new UsageError(`--file: cannot read ${file} (${(error as Error).message})`);
      }
      const progressFile = (values.progress as string | undefined) ?? `${file}.progress`;
      const summary = await revokeAll({
        subs: list.subs,
        revoke: (sub) => api.revokeUser(sub),
        progressFile,
        ratePerSecond: wholeNumber(values.rate, 'rate', 20, 1000),
        concurrency: wholeNumber(values.concurrency, 'concurrency', 4, 32),
        onFailure: (sub, message) => io.stderr(`failed: ${sub}: ${message}\n`),
      });
      io.stdout(
        `revoke-users: ${summary.ok} revoked, ${summary.failed} failed, ${summary.skipped} skipped (done in an earlier run), ` +
          `${list.duplicates} duplicate lines; ${(summary.elapsedMs / 1000).toFixed(1)} s; progress in ${progressFile}\n`,
      );
      return summary.failed === 0 ? 0 : 1;
    },
  },
  sessions: {
    summary: "show a user's cut-off, live sessions and grants, as the store holds them",
    usage: 'streamgate sessions --sub <sub> [--json] --api <url> [credentials]',
    options: { sub: { type: 'string' }, json: { type: 'boolean' } },
    run: async (values, api, io) => {
      const state = (await api.userState(required(values, 'sub'))) as UserStateAnswer;
      if (values.json === true) print(io, state);
      else io.stdout(describeState(state));
      return 0;
    },
  },
  'lift-cutoff': {
    summary: "lift a user's cut-off made by mistake (new and unrevoked tokens play again)",
    usage: 'streamgate lift-cutoff --sub <sub> --api <url> [credentials]',
    options: { sub: { type: 'string' } },
    run: async (values, api, io) => {
      print(io, await api.liftCutoff(required(values, 'sub')));
      return 0;
    },
  },
};

const time = (epoch: number | undefined) => (epoch === undefined ? '-' : new Date(epoch * 1000).toISOString());

/** The state for a person: one line for the user, one per session, its grants counted. */
export function describeState(state: UserStateAnswer): string {
  const lines = [
    `${state.sub} (issuer ${state.iss}), read ${state.readAt}`,
    state.known
      ? `  cut-off: ${state.revokedBefore === undefined ? 'none' : `tokens issued before ${time(state.revokedBefore)}`}; ` +
        `${state.sessions.length} sessions, ${state.liveSlots} live stream slots; calls this window: ${state.callsThisWindow ?? 0}`
      : '  nothing stored: no call recorded (or all of it expired)',
  ];
  for (const session of state.sessions) {
    const live = session.grants.filter((grant) => grant.live).length;
    const marks = [
      session.slotUntil === undefined ? undefined : `slot until ${time(session.slotUntil)}`,
      session.revokedUntil === undefined ? undefined : 'REVOKED',
      session.endedUntil === undefined ? undefined : 'ENDED (stream limit)',
      session.networks.length > 0 ? `networks ${session.networks.join(' ')}` : undefined,
      session.countries.length > 0 ? `countries ${session.countries.join(' ')}` : undefined,
      `grants ${session.grants.length} (${live} live)`,
    ].filter((mark) => mark !== undefined);
    lines.push(`  session ${session.session}: ${marks.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `streamgate <name> ...` for one admin command. */
export function adminCommand(name: string): { summary: string; run(argv: string[], io: CommandIo): Promise<number> } {
  const command = ADMIN_COMMANDS[name];
  const help = `usage: ${command.usage}\n\ncredentials:${CREDENTIALS_HELP}\n`;
  return {
    summary: command.summary,
    run: async (argv, io) => {
      let values: Record<string, string | boolean | undefined>;
      let api: AdminApi;
      try {
        values = parseArgs({ args: argv, options: { ...COMMON, ...command.options }, strict: true }).values;
        if (values.help === true) {
          io.stdout(help);
          return 0;
        }
        const clientAuth = values['client-auth'];
        if (clientAuth !== undefined && clientAuth !== 'basic' && clientAuth !== 'post')
          throw new UsageError(`--client-auth: basic or post, got "${String(clientAuth)}"`);
        const base = required(values, 'api');
        if (!/^https?:\/\/[^/]+\/?$/.test(base))
          throw new UsageError(`--api: an origin such as https://video.example.com, got "${base}"`);
        const token = adminTokens(
          {
            tokenUrl: values['token-url'] as string | undefined,
            scope: values.scope as string | undefined,
            audience: values.audience as string | undefined,
            clientAuth: clientAuth as 'basic' | 'post' | undefined,
          },
          io.env,
        );
        api = new AdminApi({ api: base, token });
      } catch (error) {
        // node:util parseArgs throws ERR_PARSE_ARGS_* for an unknown or malformed option.
        const parseError = String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
        if (!(error instanceof UsageError || error instanceof CredentialError || parseError)) throw error;
        io.stderr(`streamgate ${name}: ${(error as Error).message}\n${help}`);
        return 2;
      }
      try {
        return await command.run(values, api, io);
      } catch (error) {
        if (error instanceof UsageError) {
          io.stderr(`streamgate ${name}: ${error.message}\n${help}`);
          return 2;
        }
        if (error instanceof AdminApiError || (error instanceof Error && error.name === 'TokenSourceError')) {
          io.stderr(`streamgate ${name}: ${error.message}\n`);
          return 1;
        }
        throw error;
      }
    },
  };
}
