/** Local mode only: the dev IdP signs demo viewers in (`npm start` serves it; a deployment has none). */

/** Demo viewers and the videos their tokens entitle. */
export const DEMO_VIEWERS: Record<string, string[]> = {
  alice: ['demo-1', 'demo-2', 'demo-3', 'live-1'],
  bob: ['demo-1'],
};

/** The scope of the demo's admin token (the API's `ADMIN_SCOPE` default). */
const ADMIN_SCOPE = 'streamgate:admin';

/** Demo viewers' rentals: each sign-in rents these titles anew (played as rentals where RENTAL_TITLES lists them). */
export const DEMO_RENTALS: Record<string, string[]> = { bob: ['demo-2'] };

/** A demo viewer's token (a plain sign-in), entitled to that viewer's videos and renting its rentals. */
export const devIdpToken = (name: string): Promise<string> => issue(viewerRequest(name));

/**
 * The same viewer signed in again at a level a title asked for (RFC 9470 `acr_values`), confirmed
 * with the dev IdP's second factor: a new token, so a new session whose sign-in is now.
 */
export const devIdpStepUpToken = (
  name: string,
  acrValues: string[] | undefined,
  secondFactor: string,
): Promise<string> =>
  issue({ ...viewerRequest(name), acrValues: (acrValues ?? ['urn:streamgate:loa:2']).join(' '), secondFactor });

function viewerRequest(name: string): Record<string, unknown> {
  const rentedAt = Math.floor(Date.now() / 1000);
  const rentals = (DEMO_RENTALS[name] ?? []).map((video) => ({ video, rented_at: rentedAt }));
  return { sub: name, videos: DEMO_VIEWERS[name], ...(rentals.length > 0 ? { rentals } : {}) };
}

/** A token with the admin scope, for the demo's "revoke everywhere" (an operator's call in real life). */
export const devIdpAdminToken = (): Promise<string> => issue({ sub: 'demo-admin', scope: ADMIN_SCOPE });

async function issue(request: Record<string, unknown>): Promise<string> {
  const response = await fetch('/idp/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
    cache: 'no-store',
  });
  const body = (await response.json().catch(() => null)) as { access_token?: unknown } | null;
  if (response.status !== 200 || typeof body?.access_token !== 'string') {
    const description = (body as { error_description?: unknown } | null)?.error_description;
    throw new Error(`dev IdP: HTTP ${response.status}${typeof description === 'string' ? `: ${description}` : ''}`);
  }
  return body.access_token;
}

export interface CatalogEntry {
  id: string;
  title: string;
  encrypted: boolean;
  /** The DRM system the video is packaged for (e.g. `clearkey`), if any. */
  drm?: string;
}

export async function localCatalog(): Promise<CatalogEntry[]> {
  const response = await fetch('/local/catalog.json', { cache: 'no-store' });
  if (response.status !== 200) throw new Error(`catalog: HTTP ${response.status}`);
  const list = (await response.json()) as unknown;
  if (!Array.isArray(list)) throw new Error('catalog: not a list');
  return list
    .filter(
      (entry): entry is { id: string; title?: unknown; encrypted?: unknown; drm?: unknown } =>
        typeof entry?.id === 'string',
    )
    .map((entry) => ({
      id: entry.id,
      title: typeof entry.title === 'string' ? entry.title : entry.id,
      encrypted: entry.encrypted === true,
      ...(typeof entry.drm === 'string' ? { drm: entry.drm } : {}),
    }));
}
