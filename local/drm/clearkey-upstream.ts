/**
 * The local ClearKey licence server as a licence upstream of the proxy, two ways: in process
 * (`ClearKeyUpstream`, no network: tests and benches), or over loopback HTTP behind a credential
 * header (`localClearKeyUpstreams`, what `npm start` uses), so locally a licence goes browser →
 * licence proxy → licence server, as deployed.
 */
import { randomBytes } from 'node:crypto';
import type { LicenceAnswer, LicenceCall, LicenceUpstream } from '../../lambda/core/licence-proxy';
import type { ContentKey } from './cenc-encrypter';
import {
  CLEARKEY_CREDENTIAL_REFUSED_STATUSES,
  type ClearKeyLicenceServer,
  type RunningClearKeyServer,
  startClearKeyServer,
} from './clearkey-server';

export class ClearKeyUpstream implements LicenceUpstream {
  readonly credentialRefusedStatuses = CLEARKEY_CREDENTIAL_REFUSED_STATUSES;
  constructor(private readonly server: ClearKeyLicenceServer) {}

  async call(request: LicenceCall): Promise<LicenceAnswer> {
    request.signal.throwIfAborted();
    const answer = this.server.answer(request.videoId, request.body);
    return { status: answer.status, contentType: 'application/json', body: Buffer.from(answer.body) };
  }
}

/** The header the local licence server requires, as a vendor's requires the proxy's API key. */
export const LOCAL_CLEARKEY_HEADER = 'x-clearkey-credential';
/** The API's variable holding that credential (the deployed equivalent is a Secrets Manager secret). */
export const LOCAL_CLEARKEY_CREDENTIAL_VARIABLE = 'LOCAL_CLEARKEY_CREDENTIAL';

export interface LocalLicensing {
  /** The API variables (DRM_CATALOG, LICENCE_UPSTREAMS and the credential) for the local DRM videos. */
  env: Record<string, string>;
  server: RunningClearKeyServer;
}

/**
 * Starts the ClearKey server on a loopback port with a fresh credential, and describes it and the
 * DRM videos (each packaged under `/drm/<videoId>/`) in the API's own configuration variables.
 */
export async function startLocalLicensing(
  licences: ClearKeyLicenceServer,
  videoIds: readonly string[],
  keysOf: (videoId: string) => readonly ContentKey[] | undefined,
): Promise<LocalLicensing> {
  const credential = randomBytes(24).toString('base64url');
  const server = await startClearKeyServer(licences, {
    credential: { header: LOCAL_CLEARKEY_HEADER, value: credential },
  });
  const catalog = Object.fromEntries(
    videoIds.map((videoId) => [
      videoId,
      {
        paths: [`/drm/${videoId}/`],
        manifest: `/drm/${videoId}/index.m3u8`,
        // The proxy refuses other videos' key ids itself, before the licence server would.
        ...keyIdsOf(keysOf(videoId)),
      },
    ]),
  );
  return {
    server,
    env: {
      DRM_CATALOG: JSON.stringify(catalog),
      LICENCE_UPSTREAMS: JSON.stringify({
        clearkey: {
          url: `${server.url}/clearkey/{videoId}`,
          header: LOCAL_CLEARKEY_HEADER,
          secretEnv: LOCAL_CLEARKEY_CREDENTIAL_VARIABLE,
          credentialRefusedStatuses: CLEARKEY_CREDENTIAL_REFUSED_STATUSES,
        },
      }),
      [LOCAL_CLEARKEY_CREDENTIAL_VARIABLE]: credential,
    },
  };
}

function keyIdsOf(keys: readonly ContentKey[] | undefined): { keyIds?: string[] } {
  return keys === undefined || keys.length === 0 ? {} : { keyIds: keys.map((key) => key.kid.toString('hex')) };
}
