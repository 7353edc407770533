/** lambda/core/access-layers-config.ts: the API's domain-restriction and device-binding settings, each error naming its variable. */
import { readAccessLayers } from '../../lambda/core/access-layers-config';
import { ConfigError } from '../../lambda/core/config';

describe('settings', () => {
  const read = (env: Record<string, string>) => () =>
    readAccessLayers(
      (name) => env[name],
      (variable, problem) => new ConfigError(variable, problem),
    );

  test.each([
    [{ DOMAIN_RESTRICTION: 'yes' }, /^DOMAIN_RESTRICTION: must be on or off/],
    [{ DOMAIN_RESTRICTION: 'on', DOMAIN_RESTRICTION_SITES: 'https://a.example/path' }, /^DOMAIN_RESTRICTION_SITES: /],
    [{ DOMAIN_RESTRICTION: 'on', DOMAIN_RESTRICTION_SITES: 'a.example' }, /^DOMAIN_RESTRICTION_SITES: /],
    [{ DOMAIN_RESTRICTION_MISSING: 'maybe' }, /^DOMAIN_RESTRICTION_MISSING: must be allow or deny/],
    [{ DEVICE_BINDING: 'on' }, /^DEVICE_BINDING: is on, but neither DEVICE_KEY_SECRET_ARN nor DEVICE_KEY_FILE/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(read(env)).toThrow(message);
  });

  test('off by default; on with sites', () => {
    expect(read({})()).toEqual({ deviceBinding: false });
    expect(
      read({ DOMAIN_RESTRICTION: 'on', DOMAIN_RESTRICTION_SITES: 'https://a.example, https://b.example:8443' })(),
    ).toEqual({
      domainRestriction: { sites: ['https://a.example', 'https://b.example:8443'], missing: 'allow' },
      deviceBinding: false,
    });
  });
});
