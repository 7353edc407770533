/**
 * What `npm start` prints once the stack is up: where to go and what to try, in a few lines that
 * nothing else printed at start-up can bury.
 */
import { DEMO_VIEWERS } from './demo-viewers';

export function startBanner(url: string, notes: readonly string[] = []): string {
  const base = url.replace(/\/$/, '');
  const viewers = Object.entries(DEMO_VIEWERS)
    .map(([name, videos]) => `${name} (${videos.join(', ')})`)
    .join(', ');
  return [
    '',
    'streamgate local is up',
    `  player       ${base}/`,
    `  viewers      ${viewers}: sign in on the player page`,
    `  monitor      ${base}/local/monitor`,
    `  a token      npm run -s token -- --sub alice --videos demo-1`,
    `  play by API  curl -i -X POST -H "Authorization: Bearer $(npm run -s token -- --sub alice --videos demo-1)" ${base}/api/v1/playback/demo-1`,
    ...notes.map((note) => `  note         ${note}`),
    '  Ctrl-C stops everything.',
    '',
  ].join('\n');
}

/**
 * Takes over Node's warning output: the AWS SDK's notice that it will need a newer Node.js
 * becomes one short note for the banner instead of nine lines around it; other warnings print
 * as one line each, as Node would. Call it before anything loads the SDK.
 */
export function collectStartupWarnings(): string[] {
  const notes: string[] = [];
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    // The SDK emits it as a plain Warning whose message starts with its own name.
    if (warning.message.startsWith('NodeVersionSupportWarning')) {
      notes.push(`the AWS SDK will need Node.js 22 or later from January 2027 (this is ${process.version})`);
      return;
    }
    process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
  return notes;
}
