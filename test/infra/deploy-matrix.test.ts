/**
 * What every configuration of the deploy matrix (scripts/deploy-matrix.ts: the example, every
 * optional feature on for live and for VOD, a minimal test deployment, geoRestriction none,
 * us-east-1, a 31-character name) must show in its templates for a first deploy, and a redeploy,
 * to succeed: it synthesizes with no unacknowledged cdk-nag finding, nothing retained keeps a
 * name the next deploy would ask for again, MediaPackage resources wait for the role policy that
 * lets MediaPackage read the CDN secret, no secret rotation runs during the deploy, and the API
 * functions' environment fits Lambda's 4 KB. .ci/synth-lint synthesizes the same files and
 * lints them.
 */
import { apiEnvironmentSize, LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../lib/api-environment';
import { loadConfigFile } from '../../lib/config';
import { DEPLOY_MATRIX } from '../../scripts/deploy-matrix';
import { synthesize } from './synth';
import { retainedFixedNames, templatesOf } from './template-checks';

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string | string[] }>;

test('the matrix holds the variants the offline checks promise', () => {
  expect(DEPLOY_MATRIX.map((variant) => variant.name)).toEqual(
    expect.arrayContaining([
      'example',
      'all-on-live',
      'all-on-vod',
      'minimal-test',
      'geo-none',
      'us-east-1',
      'long-name-no-edge-revocation',
      'live-beside-vod',
      'live-byo-beside-drm-live',
      'access-layers',
    ]),
  );
});

/** The IAM policies attached to the role whose ARN `roleArn` (a GetAtt) names. */
function policiesOfRole(resources: Resources, roleArn: unknown): string[] {
  const role = (roleArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
  if (role === undefined) throw new Error(`not a role ARN: ${JSON.stringify(roleArn)}`);
  return Object.entries(resources)
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::IAM::Policy' &&
        ((resource.Properties?.Roles as unknown[]) ?? []).some((ref) => JSON.stringify(ref) === `{"Ref":"${role}"}`),
    )
    .map(([id]) => id);
}

describe.each(DEPLOY_MATRIX.map((variant) => [variant.name, variant.file] as const))('%s', (_, file) => {
  let templates: [string, Json][];

  beforeAll(() => {
    // Synthesis runs cdk-nag as the app's validation plugin: an unacknowledged finding throws here.
    templates = templatesOf(synthesize(loadConfigFile(file)));
  }, 180_000);

  test('nothing retained keeps a fixed name (a redeploy after destroy or a failed first deploy would collide)', () => {
    expect(templates.flatMap(([stack, template]) => retainedFixedNames(stack, template))).toEqual([]);
  });

  test("MediaPackage's packaging group and endpoint policies wait for the CDN-auth role's policy", () => {
    for (const [, template] of templates) {
      const resources = template.Resources as Resources;
      for (const [id, resource] of Object.entries(resources)) {
        const roleArn =
          resource.Type === 'AWS::MediaPackage::PackagingGroup'
            ? (resource.Properties?.Authorization as Json | undefined)?.SecretsRoleArn
            : resource.Type === 'AWS::MediaPackageV2::OriginEndpointPolicy'
              ? (resource.Properties?.CdnAuthConfiguration as Json | undefined)?.SecretsRoleArn
              : undefined;
        if (roleArn === undefined) continue;
        const policies = policiesOfRole(resources, roleArn);
        expect(policies.length).toBeGreaterThan(0);
        const dependsOn = [resource.DependsOn ?? []].flat();
        for (const policy of policies)
          expect({ id, dependsOn: dependsOn.includes(policy) }).toEqual({ id, dependsOn: true });
      }
    }
  });

  test('no secret rotation that changes the distribution runs during the deploy (it would race the distribution the deploy is making)', () => {
    const schedules = templates.flatMap(([, template]) =>
      Object.entries(template.Resources as Resources).filter(
        ([, resource]) => resource.Type === 'AWS::SecretsManager::RotationSchedule',
      ),
    );
    expect(schedules.length).toBeGreaterThan(0);
    for (const [id, schedule] of schedules) {
      // The device-key ring is the exception: its first rotation, at creation, writes the first
      // key to the edge's KeyValueStore (no distribution change), and playback needs that key.
      const immediately = id.startsWith('DeviceKeys') ? undefined : false;
      expect({ id, immediately: schedule.Properties?.RotateImmediatelyOnUpdate }).toEqual({ id, immediately });
    }
  });

  test("the API functions' environment fits Lambda's 4 KB at its deployed worst case", () => {
    expect(apiEnvironmentSize(loadConfigFile(file)).bytes).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  });
});
