/**
 * The contracts the deployed app and local mode share. Where both import one module there is
 * nothing to drift; these tests cover what they cannot share: what CloudFront, API Gateway and
 * Lambda end up with (the synthesized template) against what local mode actually does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../lib/config';
import { pageHeaders } from '../../lib/page-headers';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LogCapture } from '../support/harness';
import { EXAMPLE_CONFIG, onlyResource, synthesize, type Synthesis } from './synth';

type Json = Record<string, unknown>;

let synth: Synthesis;
let local: LocalStack;
let logs: LogCapture;

beforeAll(async () => {
  synth = synthesize(loadConfigFile(EXAMPLE_CONFIG));
  logs = new LogCapture();
  local = await startLocalStack({ dir: mkdtempSync(join(tmpdir(), 'streamgate-contracts-')), port: 0, logger: logs.logger });
}, 120_000);

afterAll(async () => {
  await local?.close();
  logs?.stop();
});

/**
 * The headers CloudFront adds for a ResponseHeadersPolicyConfig, by lower-case name. Fails on a
 * setting this does not translate, so a new kind of header cannot slip past the comparison.
 */
function headersCloudFrontSends(config: Json): Record<string, string> {
  expect(Object.keys(config).sort()).toEqual(['Comment', 'CustomHeadersConfig', 'Name', 'SecurityHeadersConfig']);
  const security = config.SecurityHeadersConfig as Record<string, Json>;
  expect(Object.keys(security).sort()).toEqual(
    ['ContentSecurityPolicy', 'ContentTypeOptions', 'FrameOptions', 'ReferrerPolicy', 'StrictTransportSecurity', 'XSSProtection'].sort(),
  );
  for (const setting of Object.values(security)) expect(setting.Override).toBe(true);
  const hsts = security.StrictTransportSecurity;
  const xss = security.XSSProtection;
  const headers: Record<string, string> = {
    'strict-transport-security': `max-age=${String(hsts.AccessControlMaxAgeSec)}${hsts.IncludeSubdomains === true ? '; includeSubDomains' : ''}${hsts.Preload === true ? '; preload' : ''}`,
    'content-security-policy': String(security.ContentSecurityPolicy.ContentSecurityPolicy),
    'x-content-type-options': 'nosniff',
    'x-frame-options': String(security.FrameOptions.FrameOption),
    'referrer-policy': String(security.ReferrerPolicy.ReferrerPolicy),
    'x-xss-protection': xss.Protection === true ? `1${xss.ModeBlock === true ? '; mode=block' : ''}` : '0',
  };
  for (const custom of (config.CustomHeadersConfig as { Items: { Header: string; Value: string; Override: boolean }[] }).Items) {
    expect(custom.Override).toBe(true);
    headers[custom.Header.toLowerCase()] = custom.Value;
  }
  return headers;
}

describe('page security headers', () => {
  let deployed: Record<string, string>;
  beforeAll(() => {
    deployed = headersCloudFrontSends(onlyResource(synth.mainTemplate, 'AWS::CloudFront::ResponseHeadersPolicy').properties.ResponseHeadersPolicyConfig as Json);
  });

  test('the distribution sends the headers of lib/page-headers.ts, HSTS included', () => {
    expect(deployed).toEqual(pageHeaders({ https: true }));
    expect(deployed['content-security-policy']).toContain("object-src 'none'");
    expect(deployed['content-security-policy']).toContain("form-action 'self'");
  });

  test('the local edge sends the same headers on the player page and on a 404, all but HSTS (plain HTTP)', async () => {
    const { 'strict-transport-security': hsts, ...overHttp } = deployed;
    expect(hsts).toMatch(/^max-age=\d+/);
    for (const path of ['', 'no-such-page']) {
      const response = await fetch(`${local.url}${path}`);
      expect(response.status).toBe(path === '' ? 200 : 404);
      const sent = Object.fromEntries(Object.keys(deployed).flatMap((name) => (response.headers.has(name) ? [[name, response.headers.get(name)]] : [])));
      expect(sent).toEqual(overHttp);
      await response.arrayBuffer();
    }
  });
});
