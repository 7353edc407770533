/**
 * Identity providers as they are: for each, the deploy-config recipe docs/identity-providers.md
 * gives, and tokens of exactly that provider's shape (header and claims as the provider sends
 * them), signed with a local key standing in for the provider's JWKS. Shapes follow the vendors'
 * documented samples; where a detail is from memory rather than a page it says so.
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';

export interface Recipe {
  jwt: Record<string, unknown>;
  entitlement: Record<string, unknown>;
}

/** A provider's signing key: its JWKS entry carries what the provider publishes (kid, and x5t for Entra). */
export interface ProviderKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

export function providerKey(kid: string, extra: Record<string, unknown> = {}): ProviderKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256', ...extra } };
}

/** Signs `claims` under exactly `header` (no defaults added), RS256. */
export function sign(key: ProviderKey, header: Record<string, unknown>, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', ...header }).sign(key.privateKey);
}

/** The same videos everywhere: plans name them by prefix. */
export const VIDEOS = { free: 'free-trailer-1', series12: 'series-12-e01', series13: 'series-13-e01' } as const;

export interface Shape {
  /** The heading of its recipe in docs/identity-providers.md. */
  heading: string;
  recipe: Recipe;
  /** A viewer's access token, as the provider issues it; `claims` override or add (undefined removes). */
  viewer(key: ProviderKey, now: number, claims?: JWTPayload): Promise<string>;
  /** An admin's token (the admin scope as the recipe says), or undefined where the provider cannot carry one. */
  admin?(key: ProviderKey, now: number): Promise<string>;
  /** Claims that put the viewer on the premium plan (every video, 4 streams) the way this provider says it. */
  premium?: JWTPayload;
  /** What the viewer's default token may play, and may not. */
  plays: string[];
  refused: string[];
}

const merge = (base: JWTPayload, overrides: JWTPayload = {}): JWTPayload => {
  const claims: JWTPayload = { ...base, ...overrides };
  for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete claims[name];
  return claims;
};

const AUTH0_TENANT = 'https://streamgate-test.eu.auth0.com/';
const AUTH0_API = 'https://api.streamgate.example.com';
const AUTH0_NS = 'https://streamgate.example.com/';
const AUTH0_CLIENT = 'kD9xN2fQ7rT1vB3mL5pZ8wY4sH6jC0aE';
/** What both Auth0 profiles share: the tenant, the API, the namespaced claims and their plans. */
const auth0Recipe = (jwt: Record<string, unknown>): Recipe => ({
  jwt: {
    issuer: AUTH0_TENANT,
    audience: AUTH0_API,
    ...jwt,
    jwksUrl: `${AUTH0_TENANT}.well-known/jwks.json`,
    algorithms: ['RS256'],
    maxLifetimeSeconds: 86400,
  },
  entitlement: {
    videosClaim: `${AUTH0_NS}videos`,
    planClaim: `${AUTH0_NS}plan`,
    plans: { basic: { videos: ['free-*', 'series-12-*'], maxStreams: 1 }, premium: { videos: ['*'], maxStreams: 4 } },
  },
});
/** A user's token: the claims both profiles carry. */
const auth0User = (now: number): JWTPayload => ({
  iss: AUTH0_TENANT,
  sub: 'auth0|6650c1f0a2b3c4d5e6f70812',
  aud: [AUTH0_API, `${AUTH0_TENANT}userinfo`],
  iat: now,
  exp: now + 86400,
});

/** Auth0, default ("Auth0") access-token profile: array `aud` with /userinfo, `azp`, no `jti`, 24 h [V Auth0 access-token-profiles]. */
export const AUTH0: Shape = {
  heading: 'Auth0 (default access-token profile)',
  recipe: auth0Recipe({ requireJti: false }),
  viewer: (key, now, claims) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid },
      merge(
        {
          ...auth0User(now),
          azp: AUTH0_CLIENT,
          scope: 'openid profile email stream:play',
          [`${AUTH0_NS}plan`]: 'basic',
        },
        claims,
      ),
    ),
  // A machine-to-machine (client-credentials) token: `gty`, sub `<client id>@clients`.
  admin: (key, now) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid },
      {
        iss: AUTH0_TENANT,
        sub: 'Yq3wR8tU1iO5pA9sD2fG6hJ0kL4zX7cV@clients',
        aud: AUTH0_API,
        iat: now,
        exp: now + 86400,
        scope: 'streamgate:admin',
        gty: 'client-credentials',
        azp: 'Yq3wR8tU1iO5pA9sD2fG6hJ0kL4zX7cV',
      },
    ),
  premium: { [`${AUTH0_NS}plan`]: 'premium' },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

/** Auth0, RFC 9068 profile: header `typ: at+jwt`, `client_id`, `jti` [V Auth0 access-token-profiles; RFC 9068 §2.1]. */
export const AUTH0_RFC9068: Shape = {
  heading: 'Auth0 (RFC 9068 access-token profile)',
  recipe: auth0Recipe({ tokenType: 'at+jwt' }),
  viewer: (key, now, claims) =>
    sign(
      key,
      { typ: 'at+jwt', kid: key.kid },
      merge(
        {
          ...auth0User(now),
          client_id: AUTH0_CLIENT,
          jti: randomUUID().replace(/-/g, '').slice(0, 22),
          scope: 'openid profile stream:play',
          [`${AUTH0_NS}plan`]: 'premium',
        },
        claims,
      ),
    ),
  plays: [VIDEOS.free, VIDEOS.series12, VIDEOS.series13],
  refused: [],
};

const COGNITO_POOL = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI';
const COGNITO_CLIENT = '4k1f0example0clientid00000';
/** The on-call app client (client-credentials grant, with a secret): a second id the recipe lists. */
const COGNITO_ONCALL_CLIENT = '7oncall0m2m0client0000000';

/**
 * Amazon Cognito user-pool access token: header `kid` + `alg` only, `client_id`, `token_use:
 * access`, `cognito:groups`, `version: 2`, no `aud` [V Cognito "access token" page, via the
 * adoption review]; custom scopes are `<resource server>/<scope>`.
 */
export const COGNITO: Shape = {
  heading: 'Amazon Cognito (access tokens)',
  recipe: {
    jwt: {
      issuer: COGNITO_POOL,
      clientId: [COGNITO_CLIENT, COGNITO_ONCALL_CLIENT],
      tokenUse: 'access',
      jwksUrl: `${COGNITO_POOL}/.well-known/jwks.json`,
      algorithms: ['RS256'],
    },
    entitlement: {
      playScope: 'streamgate/play',
      adminScope: 'streamgate/admin',
      planClaim: 'cognito:groups',
      plans: { basic: { videos: ['free-*', 'series-12-*'], maxStreams: 1 }, premium: { videos: ['*'], maxStreams: 4 } },
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { kid: key.kid },
      merge(
        {
          sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
          'cognito:groups': ['eu-west-1_AbCdEfGhI_Google', 'basic'],
          iss: COGNITO_POOL,
          version: 2,
          client_id: COGNITO_CLIENT,
          origin_jti: randomUUID(),
          event_id: randomUUID(),
          token_use: 'access',
          scope: 'openid streamgate/play',
          auth_time: now,
          exp: now + 3600,
          iat: now,
          jti: randomUUID(),
          username: 'alice',
        },
        claims,
      ),
    ),
  admin: (key, now) =>
    sign(
      key,
      { kid: key.kid },
      {
        sub: COGNITO_ONCALL_CLIENT,
        iss: COGNITO_POOL,
        version: 2,
        client_id: COGNITO_ONCALL_CLIENT,
        token_use: 'access',
        scope: 'streamgate/admin',
        auth_time: now,
        exp: now + 3600,
        iat: now,
        jti: randomUUID(),
      },
    ),
  premium: { 'cognito:groups': ['premium'] },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

/** The ID token Cognito issues beside it: `aud` = client id, `token_use: id`, no `client_id`. */
export function cognitoIdToken(key: ProviderKey, now: number): Promise<string> {
  return sign(
    key,
    { kid: key.kid },
    {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['basic'],
      email_verified: true,
      iss: COGNITO_POOL,
      'cognito:username': 'alice',
      origin_jti: randomUUID(),
      aud: COGNITO_CLIENT,
      event_id: randomUUID(),
      token_use: 'id',
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: randomUUID(),
      email: 'alice@example.com',
    },
  );
}

const OKTA = 'https://streamgate.okta.com/oauth2/default';

/**
 * Okta custom authorization server: `ver`, `jti` "AT.…", `cid`, `uid`, `scp` as an array, `sub`
 * = login; the groups claim is one the admin adds (Groups filter) [U: from Okta's sample tokens].
 */
export const OKTA_SHAPE: Shape = {
  heading: 'Okta (custom authorization server)',
  recipe: {
    jwt: {
      issuer: OKTA,
      audience: 'api://streamgate',
      jwksUrl: `${OKTA}/v1/keys`,
      algorithms: ['RS256'],
    },
    entitlement: {
      scopeClaim: 'scp',
      planClaim: 'groups',
      plans: {
        'Streamgate Basic': { videos: ['free-*', 'series-12-*'], maxStreams: 1 },
        'Streamgate Premium': { videos: ['*'], maxStreams: 4 },
      },
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { kid: key.kid },
      merge(
        {
          ver: 1,
          jti: `AT.${randomUUID().replace(/-/g, '')}`,
          iss: OKTA,
          aud: 'api://streamgate',
          iat: now,
          exp: now + 3600,
          cid: '0oa1b2c3d4e5f6g7h8i9',
          uid: '00u1a2b3c4d5e6f7g8h9',
          scp: ['openid', 'stream:play'],
          auth_time: now - 60,
          sub: 'alice@example.com',
          groups: ['Everyone', 'Streamgate Basic'],
        },
        claims,
      ),
    ),
  admin: (key, now) =>
    sign(
      key,
      { kid: key.kid },
      {
        ver: 1,
        jti: `AT.${randomUUID().replace(/-/g, '')}`,
        iss: OKTA,
        aud: 'api://streamgate',
        iat: now,
        exp: now + 3600,
        cid: '0oa9z8y7x6w5v4u3t2s1',
        scp: ['streamgate:admin'],
        sub: '0oa9z8y7x6w5v4u3t2s1',
      },
    ),
  premium: { groups: ['Everyone', 'Streamgate Premium'] },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
const ENTRA = `https://login.microsoftonline.com/${TENANT}/v2.0`;

/**
 * Microsoft Entra ID, v2 access token for your own API (accessTokenAcceptedVersion 2): header
 * `typ`, `kid` and `x5t`; `aud` = the API's client id (a GUID), `scp` space-separated, app roles in
 * `roles`, `uti` but no `jti`, a lifetime of 60 to 90 minutes [V Microsoft access-token docs].
 */
export const ENTRA_SHAPE: Shape = {
  heading: 'Microsoft Entra ID (v2 access tokens)',
  recipe: {
    jwt: {
      issuer: ENTRA,
      audience: ENTRA_API,
      jwksUrl: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
      algorithms: ['RS256'],
      maxLifetimeSeconds: 5400,
      requireJti: false,
    },
    entitlement: {
      scopeClaim: ['scp', 'roles'],
      playScope: 'Stream.Play',
      adminScope: 'Streamgate.Admin',
      planClaim: 'roles',
      plans: {
        'Streamgate.Basic': { videos: ['free-*', 'series-12-*'], maxStreams: 1 },
        'Streamgate.Premium': { videos: ['*'], maxStreams: 4 },
      },
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid, x5t: key.kid },
      merge(
        {
          aud: ENTRA_API,
          iss: ENTRA,
          iat: now,
          nbf: now,
          exp: now + 4799,
          aio: 'AWQAm/8XAAAAexampleAioValue==',
          azp: 'a1b2c3d4-e5f6-47a8-99b0-c1d2e3f4a5b6',
          azpacr: '0',
          name: 'Alice Example',
          oid: '00000000-0000-0000-66f3-3332eca7ea81',
          preferred_username: 'alice@contoso.example',
          rh: '0.AXoAv4j5cvGGr0GRqy180BHbR-example.',
          roles: ['Streamgate.Basic'],
          scp: 'Stream.Play User.Read',
          sub: 'bQ0Vj3eYkFg2mZpC4xW8rT6sN1uL5hA9dE7oI0yK3zB',
          tid: TENANT,
          uti: 'fqiBqXLPj0eQa82S-IYFAA',
          ver: '2.0',
        },
        claims,
      ),
    ),
  // An app-only (client-credentials) token: the admin app role in `roles`, no `scp`.
  admin: (key, now) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid, x5t: key.kid },
      {
        aud: ENTRA_API,
        iss: ENTRA,
        iat: now,
        nbf: now,
        exp: now + 3599,
        azp: 'f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f',
        azpacr: '1',
        oid: '11111111-2222-3333-4444-555555555555',
        roles: ['Streamgate.Admin'],
        sub: '11111111-2222-3333-4444-555555555555',
        tid: TENANT,
        uti: 'Zx3YbQ7mT0aLk9Pq2WvB1A',
        ver: '2.0',
      },
    ),
  premium: { roles: ['Streamgate.Premium'] },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

const KEYCLOAK = 'https://sso.example.com/realms/streamgate';

/**
 * Keycloak realm access token: `typ: Bearer` claim, `azp`, `sid`, `acr`, `realm_access`, `aud`
 * holding `account` unless an Audience mapper adds the API, 5 minutes by default [U: from
 * Keycloak's default token contents, versions 24–26].
 */
export const KEYCLOAK_SHAPE: Shape = {
  heading: 'Keycloak',
  recipe: {
    jwt: {
      issuer: KEYCLOAK,
      audience: 'streamgate-api',
      jwksUrl: `${KEYCLOAK}/protocol/openid-connect/certs`,
      algorithms: ['RS256'],
    },
    entitlement: {
      planClaim: 'plan',
      plans: { basic: { videos: ['free-*', 'series-12-*'], maxStreams: 1 }, premium: { videos: ['*'], maxStreams: 4 } },
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid },
      merge(
        {
          exp: now + 300,
          iat: now,
          auth_time: now - 30,
          jti: randomUUID(),
          iss: KEYCLOAK,
          aud: ['streamgate-api', 'account'],
          sub: '5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f',
          typ: 'Bearer',
          azp: 'streamgate-player',
          sid: randomUUID(),
          acr: '1',
          'allowed-origins': ['https://video.example.com'],
          realm_access: { roles: ['default-roles-streamgate', 'offline_access', 'uma_authorization'] },
          resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
          scope: 'openid profile email stream:play',
          email_verified: true,
          preferred_username: 'alice',
          plan: 'basic',
        },
        claims,
      ),
    ),
  admin: (key, now) =>
    sign(
      key,
      { typ: 'JWT', kid: key.kid },
      {
        exp: now + 300,
        iat: now,
        jti: randomUUID(),
        iss: KEYCLOAK,
        aud: 'streamgate-api',
        sub: '9e8d7c6b-5a49-4382-a716-f5e4d3c2b1a0',
        typ: 'Bearer',
        azp: 'streamgate-oncall',
        scope: 'profile email streamgate:admin',
        clientHost: '10.0.0.5',
        preferred_username: 'service-account-streamgate-oncall',
        client_id: 'streamgate-oncall',
      },
    ),
  premium: { plan: 'premium' },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

const FIREBASE_PROJECT = 'streamgate-prod';
const FIREBASE = `https://securetoken.google.com/${FIREBASE_PROJECT}`;

/**
 * Google Identity Platform (Firebase Authentication) ID token: `aud` = project id, `user_id`,
 * `firebase`, custom claims set with the Admin SDK at the top level, no `jti`, 1 h
 * [V Firebase "verify ID tokens" page; custom claims via setCustomUserClaims].
 */
export const GOOGLE_IDENTITY_PLATFORM: Shape = {
  heading: 'Google Identity Platform (Firebase Authentication)',
  recipe: {
    jwt: {
      issuer: FIREBASE,
      audience: FIREBASE_PROJECT,
      jwksUrl: 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com',
      algorithms: ['RS256'],
      requireJti: false,
    },
    entitlement: {
      planClaim: 'plan',
      plans: { basic: { videos: ['free-*', 'series-12-*'], maxStreams: 1 }, premium: { videos: ['*'], maxStreams: 4 } },
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { alg: 'RS256', kid: key.kid, typ: 'JWT' },
      merge(
        {
          name: 'Alice Example',
          scope: 'stream:play',
          plan: 'basic',
          iss: FIREBASE,
          aud: FIREBASE_PROJECT,
          auth_time: now - 120,
          user_id: 'kQ2mX9vB4nR7tY1wE5zA8cD3fG6h',
          sub: 'kQ2mX9vB4nR7tY1wE5zA8cD3fG6h',
          iat: now,
          exp: now + 3600,
          email: 'alice@example.com',
          email_verified: true,
          firebase: { identities: { email: ['alice@example.com'] }, sign_in_provider: 'password' },
        },
        claims,
      ),
    ),
  admin: (key, now) =>
    sign(
      key,
      { alg: 'RS256', kid: key.kid, typ: 'JWT' },
      {
        scope: 'streamgate:admin',
        iss: FIREBASE,
        aud: FIREBASE_PROJECT,
        auth_time: now - 60,
        user_id: 'oNcAlL0pErAtOr0uId00000000',
        sub: 'oNcAlL0pErAtOr0uId00000000',
        iat: now,
        exp: now + 3600,
        email: 'oncall@example.com',
        email_verified: true,
        firebase: { identities: { email: ['oncall@example.com'] }, sign_in_provider: 'password' },
      },
    ),
  premium: { plan: 'premium' },
  plays: [VIDEOS.free, VIDEOS.series12],
  refused: [VIDEOS.series13],
};

const GOOGLE_CLIENT = '123456789012-abc123def456ghi789jkl012mno345pq.apps.googleusercontent.com';

/**
 * Sign in with Google ID token: `aud` = the OAuth client id, `azp`, `email`, no scope and no
 * custom claims [V Google "authenticate with a backend server" page]. Every viewer gets the
 * default plan; the admin route stays out of reach (no scope can be carried).
 */
export const GOOGLE_SIGN_IN: Shape = {
  heading: 'Google (Sign in with Google ID tokens)',
  recipe: {
    jwt: {
      issuer: 'https://accounts.google.com',
      audience: GOOGLE_CLIENT,
      jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
      algorithms: ['RS256'],
      requireJti: false,
    },
    entitlement: {
      requirePlayScope: false,
      plans: { signedIn: { videos: ['free-*'], maxStreams: 1 } },
      defaultPlan: 'signedIn',
    },
  },
  viewer: (key, now, claims) =>
    sign(
      key,
      { alg: 'RS256', kid: key.kid, typ: 'JWT' },
      merge(
        {
          iss: 'https://accounts.google.com',
          azp: GOOGLE_CLIENT,
          aud: GOOGLE_CLIENT,
          sub: '110169484474386276334',
          email: 'alice@example.com',
          email_verified: true,
          at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q',
          name: 'Alice Example',
          picture: 'https://lh3.googleusercontent.com/a/example',
          given_name: 'Alice',
          family_name: 'Example',
          iat: now,
          exp: now + 3599,
        },
        claims,
      ),
    ),
  plays: [VIDEOS.free],
  refused: [VIDEOS.series12, VIDEOS.series13],
};

export const SHAPES: readonly Shape[] = [
  AUTH0,
  AUTH0_RFC9068,
  COGNITO,
  OKTA_SHAPE,
  ENTRA_SHAPE,
  KEYCLOAK_SHAPE,
  GOOGLE_IDENTITY_PLATFORM,
  GOOGLE_SIGN_IN,
];
