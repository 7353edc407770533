/**
 * The HTTP API authorizer that refuses direct calls to the execute-api endpoint (they skip
 * CloudFront and its WAF), and the API's own second check: real origin-verify values loaded
 * through the same code as deployed (readSecret over a Secrets Manager client, by staging label),
 * with a stand-in client that answers from memory, so nothing but the network call is replaced.
 */
import { randomBytes } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  OriginAuthorizer,
  SECRET_UNAVAILABLE_MESSAGE,
  type OriginAuthorizerOptions,
} from '../../lambda/core/origin-authorizer';
import {
  loadOriginVerifyValues,
  ORIGIN_VERIFY_HEADER,
  ORIGIN_VERIFY_SECRET_VARIABLE,
  originVerified,
  OriginVerifier,
} from '../../lambda/core/origin-verify';
import { readSecret } from '../../lambda/runtime/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:streamgate-ApiOriginVerify-AbCdEf';
// Shaped like the deployed values (48 characters), made at run time.
const CURRENT = randomBytes(24).toString('hex');
const PREVIOUS = randomBytes(24).toString('hex');

interface SecretCall {
  SecretId: string;
  VersionStage?: string;
}

/** A Secrets Manager client answering GetSecretValue from `versions` (by staging label), as the service does. */
function secretsWith(versions: Record<string, string>, calls: SecretCall[] = []): SecretsManagerClient {
  const send = async (command: { input: SecretCall }): Promise<{ SecretString: string }> => {
    calls.push(command.input);
    const value = command.input.SecretId === ARN ? versions[command.input.VersionStage ?? 'AWSCURRENT'] : undefined;
    if (value === undefined)
      throw Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label"), {
        name: 'ResourceNotFoundException',
      });
    return { SecretString: value };
  };
  return { send } as unknown as SecretsManagerClient;
}

/** The deployed handler's load, over `client`. */
function authorizerOver(
  client: SecretsManagerClient,
  options: Partial<OriginAuthorizerOptions> = {},
): OriginAuthorizer {
  return new OriginAuthorizer({
    load: () =>
      loadOriginVerifyValues((stage) =>
        readSecret(client, ARN, ORIGIN_VERIFY_SECRET_VARIABLE, {
          versionStage: stage,
          optional: stage !== 'AWSCURRENT',
        }),
      ),
    ...options,
  });
}

const withHeader = (value: string | undefined): { headers: Record<string, string> } => ({
  headers: value === undefined ? {} : { [ORIGIN_VERIFY_HEADER]: value },
});

test('a request through CloudFront (its origin-verify value) is authorized', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }));
  await expect(authorizer.authorize(withHeader(CURRENT))).resolves.toEqual({ isAuthorized: true });
});

test('a direct call without the origin-verify header is refused', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }));
  await expect(authorizer.authorize(withHeader(undefined))).resolves.toEqual({ isAuthorized: false });
  await expect(authorizer.authorize(withHeader(''))).resolves.toEqual({ isAuthorized: false });
  await expect(authorizer.authorize({ headers: undefined } as never)).resolves.toEqual({ isAuthorized: false });
});

test('a direct call with a guessed origin-verify value is refused', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }));
  const sameLength = `${CURRENT.slice(0, -1)}${CURRENT.endsWith('a') ? 'b' : 'a'}`;
  for (const guess of [sameLength, CURRENT.toUpperCase(), 'guess', `Bearer ${CURRENT}`]) {
    await expect(authorizer.authorize(withHeader(guess))).resolves.toEqual({ isAuthorized: false });
  }
});

test('a guess of the wrong length (a prefix, the value with more after it) is refused', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }));
  for (const guess of [
    CURRENT.slice(0, 16),
    CURRENT.slice(0, -1),
    `${CURRENT}x`,
    `${CURRENT},${CURRENT}`,
    CURRENT.repeat(40),
  ]) {
    await expect(authorizer.authorize(withHeader(guess))).resolves.toEqual({ isAuthorized: false });
  }
});

test('rotation overlap: the previous value (AWSPREVIOUS) is authorized alongside the current one, so a rotation causes no 403 burst', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS }));
  await expect(authorizer.authorize(withHeader(CURRENT))).resolves.toEqual({ isAuthorized: true });
  await expect(authorizer.authorize(withHeader(PREVIOUS))).resolves.toEqual({ isAuthorized: true });
  await expect(authorizer.authorize(withHeader(`${PREVIOUS}x`))).resolves.toEqual({ isAuthorized: false });
});

test('after the overlap ends (AWSPREVIOUS label removed) a leaked previous value is refused', async () => {
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }));
  await expect(authorizer.authorize(withHeader(PREVIOUS))).resolves.toEqual({ isAuthorized: false });
  await expect(authorizer.authorize(withHeader(CURRENT))).resolves.toEqual({ isAuthorized: true });
});

test('the secret is read once per refresh period (all three staging labels), not per request', async () => {
  const calls: SecretCall[] = [];
  const authorizer = authorizerOver(secretsWith({ AWSCURRENT: CURRENT }, calls));
  for (const value of [CURRENT, 'guess', CURRENT, undefined]) await authorizer.authorize(withHeader(value));
  expect(calls).toEqual([
    { SecretId: ARN, VersionStage: 'AWSCURRENT' },
    { SecretId: ARN, VersionStage: 'AWSPREVIOUS' },
    { SecretId: ARN, VersionStage: 'AWSPENDING' },
  ]);
});

test('rotation: a pending value (AWSPENDING) is authorized once the container re-reads, before CloudFront sends it', async () => {
  let now = 0;
  const versions: Record<string, string> = { AWSCURRENT: PREVIOUS };
  const calls: SecretCall[] = [];
  const client = {
    send: (command: never) => secretsWith(versions, calls).send(command),
  } as unknown as SecretsManagerClient;
  const authorizer = authorizerOver(client, { now: () => now, refreshAfterMs: 60_000 });
  await expect(authorizer.authorize(withHeader(PREVIOUS))).resolves.toEqual({ isAuthorized: true });
  versions.AWSPENDING = CURRENT; // the rotation's createSecret
  now = 59_999;
  await expect(authorizer.authorize(withHeader(PREVIOUS))).resolves.toEqual({ isAuthorized: true });
  expect(calls.length).toBe(3);
  now = 60_000; // the rotation waits at least this long before CloudFront sends the new value
  await expect(authorizer.authorize(withHeader(CURRENT))).resolves.toEqual({ isAuthorized: true });
  await expect(authorizer.authorize(withHeader(PREVIOUS))).resolves.toEqual({ isAuthorized: true });
  expect(calls.length).toBe(6);
});

test('secret unreadable: the request is refused (fail closed) with a fixed error that leaks nothing of the cause, and no value is authorized', async () => {
  const denied = Object.assign(
    new Error(
      `User: arn:aws:sts::111111111111:assumed-role/x is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN}`,
    ),
    {
      name: 'AccessDeniedException',
    },
  );
  const failures: unknown[] = [];
  const authorizer = authorizerOver({ send: () => Promise.reject(denied) } as unknown as SecretsManagerClient, {
    onLoadFailure: (error) => failures.push(error),
  });
  for (const value of [CURRENT, PREVIOUS, undefined]) {
    await expect(authorizer.verdict(withHeader(value))).resolves.toBe('secret-unavailable');
    // Thrown, not `{isAuthorized: false}`: API Gateway answers 500 and caches nothing, so once the
    // secret is readable again CloudFront's value is not locked out for the rest of a cached TTL.
    const error: unknown = await authorizer.authorize(withHeader(value)).then(
      (result) => result,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(SECRET_UNAVAILABLE_MESSAGE);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toMatch(/arn:|AccessDenied|111111111111/);
  }
  // The log line names the variable and the error class, never the ARN or a value.
  expect(failures.map((failure) => (failure as Error).message)).toEqual([
    `${ORIGIN_VERIFY_SECRET_VARIABLE}: cannot be read (AccessDeniedException)`,
  ]);
});

test('secret unreadable: a flood of requests makes one Secrets Manager call per retry delay, then reads again once it is back', async () => {
  let now = 1_000_000;
  let readable = false;
  const calls: SecretCall[] = [];
  const healthy = secretsWith({ AWSCURRENT: CURRENT }, calls);
  const client = {
    send: (command: { input: SecretCall }) =>
      readable
        ? healthy.send(command as never)
        : (calls.push(command.input), Promise.reject(Object.assign(new Error('x'), { name: 'InternalServiceError' }))),
  } as unknown as SecretsManagerClient;
  const authorizer = authorizerOver(client, { now: () => now, retryAfterMs: 5000 });
  for (let request = 0; request < 100; request += 1)
    await expect(authorizer.verdict(withHeader(CURRENT))).resolves.toBe('secret-unavailable');
  expect(calls.length).toBe(3); // one load: its three labels, read at once
  readable = true;
  now += 4999;
  await expect(authorizer.verdict(withHeader(CURRENT))).resolves.toBe('secret-unavailable');
  now += 1;
  await expect(authorizer.verdict(withHeader(CURRENT))).resolves.toBe('verified');
  await expect(authorizer.authorize(withHeader('guess'))).resolves.toEqual({ isAuthorized: false });
});

test('a current value shorter than 16 characters fails closed; a short or repeated previous value is dropped', async () => {
  const failures: unknown[] = [];
  const short = authorizerOver(secretsWith({ AWSCURRENT: 'short' }), {
    onLoadFailure: (error) => failures.push(error),
  });
  await expect(short.verdict(withHeader('short'))).resolves.toBe('secret-unavailable');
  expect((failures[0] as Error).message).toMatch(
    /^ORIGIN_VERIFY_SECRET_ARN: secret must hold a string of at least 16 characters/,
  );
  await expect(loadOriginVerifyValues(async (stage) => (stage === 'AWSCURRENT' ? CURRENT : 'old'))).resolves.toEqual({
    current: CURRENT,
  });
  await expect(loadOriginVerifyValues(async () => CURRENT)).resolves.toEqual({ current: CURRENT });
});

test('the comparison itself: only an exact, non-empty match of either accepted value passes', () => {
  expect(originVerified(CURRENT, { current: CURRENT })).toBe(true);
  expect(originVerified(PREVIOUS, { current: CURRENT, previous: PREVIOUS })).toBe(true);
  expect(originVerified(PREVIOUS, { current: CURRENT })).toBe(false);
  expect(originVerified('', { current: CURRENT })).toBe(false);
  expect(originVerified(undefined, { current: CURRENT, previous: PREVIOUS })).toBe(false);
  expect(originVerified(`${CURRENT}\u0000`, { current: CURRENT })).toBe(false);
});

describe("the API's second layer (OriginVerifier)", () => {
  const verifierOver = (
    versions: { current: Record<string, string> },
    calls: SecretCall[],
    now: () => number,
  ): Promise<OriginVerifier> =>
    OriginVerifier.create(
      () =>
        loadOriginVerifyValues((stage) =>
          readSecret(secretsWith(versions.current, calls), ARN, ORIGIN_VERIFY_SECRET_VARIABLE, {
            versionStage: stage,
            optional: stage !== 'AWSCURRENT',
          }),
        ),
      { now, refreshAfterMs: 30_000 },
    );

  test('rotation racing the deploy: a container loaded before the rotation accepts the new value after one re-read', async () => {
    let now = 0;
    const calls: SecretCall[] = [];
    const versions = { current: { AWSCURRENT: PREVIOUS } as Record<string, string> };
    const verifier = await verifierOver(versions, calls, () => now);
    versions.current = { AWSCURRENT: CURRENT, AWSPREVIOUS: PREVIOUS };
    now = 1;
    await expect(verifier.verified(CURRENT)).resolves.toBe(true);
    await expect(verifier.verified(PREVIOUS)).resolves.toBe(true);
    expect(calls.length).toBe(6);
  });

  test('a flood of wrong values re-reads the secret at most once per 30 s, and a missing header never does', async () => {
    let now = 0;
    const calls: SecretCall[] = [];
    const verifier = await verifierOver({ current: { AWSCURRENT: CURRENT } }, calls, () => now);
    expect(calls.length).toBe(3);
    for (let request = 0; request < 50; request += 1) await expect(verifier.verified('guess')).resolves.toBe(false);
    await expect(verifier.verified(undefined)).resolves.toBe(false);
    expect(calls.length).toBe(6);
    now = 29_999;
    await expect(verifier.verified('guess')).resolves.toBe(false);
    expect(calls.length).toBe(6);
    now = 30_000;
    for (let request = 0; request < 50; request += 1) await expect(verifier.verified('guess')).resolves.toBe(false);
    expect(calls.length).toBe(9);
    await expect(verifier.verified(CURRENT)).resolves.toBe(true);
  });

  test('a failed re-read keeps the values it had (the unknown value is refused, the known one still passes)', async () => {
    let now = 0;
    let fail = false;
    const healthy = secretsWith({ AWSCURRENT: CURRENT });
    const client = {
      send: (command: never) =>
        fail ? Promise.reject(Object.assign(new Error('x'), { name: 'InternalServiceError' })) : healthy.send(command),
    } as unknown as SecretsManagerClient;
    const verifier = await OriginVerifier.create(
      () =>
        loadOriginVerifyValues((stage) =>
          readSecret(client, ARN, ORIGIN_VERIFY_SECRET_VARIABLE, {
            versionStage: stage,
            optional: stage !== 'AWSCURRENT',
          }),
        ),
      { now: () => now },
    );
    fail = true;
    now = 60_000;
    await expect(verifier.verified(PREVIOUS)).resolves.toBe(false);
    await expect(verifier.verified(CURRENT)).resolves.toBe(true);
  });
});
