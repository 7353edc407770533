/**
 * The npm package works from outside the repository: `npm pack` (its prepack builds the compiled
 * library, the prebuilt Lambda bundles and the edge function), installed into a fresh CDK app in
 * a temporary folder (offline: the tarball, plus the packages already installed here for its
 * dependencies; no esbuild, no lock file, no project root), composed next to the team's own
 * bucket, topic and distribution and an unrelated bucket, type-checked and synthesized.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { npmPack, type Packed } from '../support/npm-pack';

const ROOT = path.join(__dirname, '..', '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');

/** What the consumer app needs installed besides the tarball: the package's dependencies and peers. */
const INSTALLED = ['aws-cdk-lib', 'constructs', 'zod', 'jose', '@types/node'];

const CONSUMER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Streamgate } from 'streamgate';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Platform', { env: { account: '111111111111', region: 'eu-west-1' } });
const catalogue = new s3.Bucket(stack, 'Catalogue', { enforceSSL: true });
new s3.Bucket(stack, 'Unrelated');
const pager = new sns.Topic(stack, 'Pager');
const web = new cloudfront.Distribution(stack, 'Web', {
  defaultBehavior: { origin: new origins.HttpOrigin('app.example.com') },
});
const video = new Streamgate(stack, 'Video', {
  name: 'video',
  deployment: 'test',
  identity: { issuer: 'https://login.example.com/', audience: 'video-api', jwksUrl: 'https://login.example.com/jwks.json' },
  media: { bucket: catalogue, keyPrefix: 'hls/' },
  alarms: { topic: pager },
  distribution: { distribution: web, publicDomainName: 'video.example.com' },
});
console.log(JSON.stringify({ baseUrl: video.baseUrl }));
app.synth();
`;

let packed: Packed;

beforeAll(() => {
  packed = npmPack(ROOT, 'streamgate-consumer-');
}, 600_000);

test('the tarball carries the compiled library, its types, every prebuilt handler and the edge function, and no sources', () => {
  const files = packed.files();
  expect(files).toEqual(
    expect.arrayContaining([
      'package/dist/lib/index.js',
      'package/dist/lib/index.d.ts',
      'package/dist/edge-function/viewer-request.js',
      'package/dist/cli/main.js',
      'package/LICENSE',
      'package/NOTICE',
    ]),
  );
  const handlers = readdirSync(path.join(ROOT, 'lambda', 'handlers')).map((file) => file.replace(/\.ts$/, ''));
  for (const handler of handlers) expect(files).toContain(`package/dist/lambda-bundles/${handler}/index.js`);
  expect(files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((file) => /^package\/(test|local|bench|web|lambda)\//.test(file))).toEqual([]);
});

test('a fresh CDK app outside the checkout installs it, type-checks against its types and synthesizes with the team’s own resources', () => {
  const app = path.join(packed.work, 'app');
  const modules = path.join(app, 'node_modules');
  packed.installInto(app, 'streamgate');
  for (const name of INSTALLED) {
    const target = path.join(modules, name);
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync(realpathSync(path.join(NODE_MODULES, name)), target, 'dir');
  }
  // Nothing that builds Lambda code is reachable from the app.
  expect(existsSync(path.join(modules, 'esbuild'))).toBe(false);
  writeFileSync(path.join(app, 'app.ts'), CONSUMER_APP);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'platform', private: true }));
  const tsc = path.join(NODE_MODULES, 'typescript', 'bin', 'tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '--strict',
      '--module',
      'commonjs',
      '--target',
      'es2022',
      '--esModuleInterop',
      '--skipLibCheck',
      '--types',
      'node',
      'app.ts',
    ],
    { cwd: app, stdio: 'inherit' },
  );
  const out = path.join(app, 'cdk.out');
  const printed = execFileSync(process.execPath, ['app.js', out], { cwd: app, encoding: 'utf8' });
  expect(JSON.parse(printed.trim().split('\n').pop() ?? '{}')).toEqual({ baseUrl: 'https://video.example.com' });

  const template = JSON.parse(readFileSync(path.join(out, 'Platform.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const resources = Object.values(template.Resources);
  const distributions = resources.filter((resource) => resource.Type === 'AWS::CloudFront::Distribution');
  expect(distributions).toHaveLength(1);
  const behaviours = (
    distributions[0].Properties?.DistributionConfig as {
      CacheBehaviors: { PathPattern: string; TrustedKeyGroups?: unknown[] }[];
    }
  ).CacheBehaviors.map((behaviour) => [behaviour.PathPattern, (behaviour.TrustedKeyGroups ?? []).length]);
  expect(behaviours).toEqual([
    ['/hls/*.m3u8', 1],
    ['/hls/*.mpd', 1],
    ['/hls/*', 1],
    ['/api/*', 0],
  ]);
  // Every function's code is a prebuilt bundle asset holding index.js (nothing was bundled here).
  const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
  expect(functions.length).toBeGreaterThanOrEqual(8);
  const assets = readdirSync(out).filter((entry) => entry.startsWith('asset.'));
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) {
    const dir = path.join(out, asset);
    if (existsSync(path.join(dir, 'index.js.map'))) expect(existsSync(path.join(dir, 'index.js'))).toBe(true);
  }
  // The unrelated bucket is untouched: no tag, policy or setting from streamgate.
  const unrelated = Object.entries(template.Resources).filter(([id]) => id.startsWith('Unrelated'));
  expect(unrelated.map(([, resource]) => resource.Type)).toEqual(['AWS::S3::Bucket']);
  expect(unrelated[0][1].Properties ?? {}).toEqual({});
}, 600_000);
