/**
 * The playback call's two opt-in access layers, as the API applies them: domain restriction
 * (lambda/core/domain-restriction.ts) before anything else is read, device binding
 * (lambda/core/device-binding.ts) on the grant once signed.
 */
import type { ApiConfig } from './config';
import { bindToDevice, type BindableGrant, type DeviceKey, deviceTraits } from './device-binding';
import { foreignSite } from './domain-restriction';
import { SiteNotAllowed } from './errors';

type Headers = Readonly<Record<string, string | undefined>> | undefined;

/** Throws SiteNotAllowed when domain restriction is on and the call shows a site it does not allow. */
export function requireAllowedSite(headers: Headers, config: Pick<ApiConfig, 'domainRestriction' | 'signing'>): void {
  const restriction = config.domainRestriction;
  if (restriction === undefined) return;
  const found = foreignSite(
    {
      origin: headers?.origin,
      referer: headers?.referer,
      secFetchSite: headers?.['sec-fetch-site'],
      // The API answers on the media's domain (the distribution's `/api/*`): that host is the service's own.
      host: new URL(config.signing.mediaBaseUrl).host,
    },
    restriction,
  );
  if (found !== undefined) throw new SiteNotAllowed();
}

/** The grant with its device tags when device binding is on (`key` reads the current device key). */
export async function deviceBoundGrant<G extends BindableGrant>(
  grant: G,
  headers: Headers,
  config: Pick<ApiConfig, 'deviceBinding'>,
  key: (() => Promise<DeviceKey>) | undefined,
): Promise<G> {
  if (!config.deviceBinding) return grant;
  if (key === undefined) throw new Error('device binding is on, but this process has no device key');
  return bindToDevice(
    grant,
    await key(),
    deviceTraits((name) => headers?.[name]),
  );
}
