/**
 * The distribution's one viewer-request function: edge-function/viewer-request.js as is, on the
 * cloudfront-js-2.0 runtime, associated with every behaviour that requires signatures, with and
 * without the MediaPackage (`/drm/*`) behaviour; the old inline DrmPath function is gone.
 */
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../../lib/config';
import { VIEWER_REQUEST_FUNCTION_FILE } from '../../lib/delivery';
import { viewerRequestCode } from '../../lib/viewer-request-code';
import { EXAMPLE_CONFIG, exampleWith, onlyResource, synthesize, type Synthesis } from './synth';

interface Behavior {
  PathPattern?: string;
  TrustedKeyGroups?: unknown[];
  FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
}

const SOURCE = readFileSync(VIEWER_REQUEST_FUNCTION_FILE, 'utf8');
/** What the example config deploys: the minified template, both access layers off. */
const DEPLOYED = viewerRequestCode();
const variants: [string, () => Synthesis, string[]][] = [
  [
    'with MediaPackage (example config, VOD packaging)',
    () => synthesize(loadConfigFile(EXAMPLE_CONFIG)),
    ['/media/*.m3u8', '/media/*.mpd', '/media/*', '/drm/*'],
  ],
  [
    'without MediaPackage (packaging mode none)',
    () =>
      synthesize(
        exampleWith({
          packaging: { mode: 'none', spekeUrl: null, spekeV1Url: null, spekeRoleArn: null },
          drm: { catalog: {} },
        }),
      ),
    ['/media/*.m3u8', '/media/*.mpd', '/media/*'],
  ],
];

describe.each(variants)('%s', (_name, synth, signedPatterns) => {
  let functionId: string;
  let functionProps: Record<string, unknown>;
  let behaviors: Behavior[];

  beforeAll(() => {
    const { mainTemplate } = synth();
    ({ id: functionId, properties: functionProps } = onlyResource(mainTemplate, 'AWS::CloudFront::Function'));
    const config = onlyResource(mainTemplate, 'AWS::CloudFront::Distribution').properties.DistributionConfig as Record<
      string,
      unknown
    >;
    behaviors = [...(config.CacheBehaviors as Behavior[]), config.DefaultCacheBehavior as Behavior];
  }, 120_000);

  test('there is exactly one CloudFront Function: the built template, byte for byte, on cloudfront-js-2.0, published', () => {
    expect(functionId).toMatch(/^DeliveryViewerRequest/);
    expect(functionProps.FunctionCode).toBe(DEPLOYED);
    expect(functionProps.FunctionConfig).toMatchObject({ Runtime: 'cloudfront-js-2.0' });
    expect(functionProps.AutoPublish).toBe(true);
    expect(functionId).not.toMatch(/DrmPath/);
  });

  test('every behaviour that requires signatures runs it on viewer request', () => {
    const signed = behaviors.filter((behavior) => (behavior.TrustedKeyGroups ?? []).length > 0);
    expect(signed.map((behavior) => behavior.PathPattern)).toEqual(signedPatterns);
    for (const behavior of signed) {
      expect(behavior.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
      ]);
    }
  });

  test('the API and the player page (default behaviour) need no signature and run no function', () => {
    const unsigned = behaviors.filter((behavior) => (behavior.TrustedKeyGroups ?? []).length === 0);
    expect(unsigned.map((behavior) => behavior.PathPattern)).toEqual(['/api/*', undefined]);
    for (const behavior of unsigned) expect(behavior.FunctionAssociations).toBeUndefined();
  });
});

test('the deployed code is small enough and the source loadable as CloudFront requires', () => {
  expect(Buffer.byteLength(DEPLOYED, 'utf8')).toBeLessThan(10 * 1024);
  // A global handler (async: the deny-list lookup awaits the KeyValueStore).
  expect(SOURCE).toMatch(/^(async )?function handler\(event\) \{$/m);
  // An export makes CloudFront answer 503 to every request; the runtime's two modules are the only imports.
  expect(SOURCE).not.toMatch(/^\s*export\b/m);
  const imports = SOURCE.split('\n').filter((line) => /^\s*import\b/.test(line));
  for (const line of imports) expect(["import cf from 'cloudfront';", "import crypto from 'crypto';"]).toContain(line);
});
