/**
 * lambda/runtime/observability.ts: every log line of an invocation carries the Lambda request id,
 * cold start and X-Ray trace id; a 503's line carries the cause chain behind it; no token is
 * logged whole. Read through the in-memory sink: Powertools' own lines, never stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { createObservability, MemorySink, SERVICE_NAME, withInvocation } from '../../lambda/runtime/observability';
import { apiEvent, bearer, LogCapture, playbackEvent, startHarness } from '../support/harness';
import { idpKey, mint } from '../support/tokens';

const idp = idpKey('ES256');
const TRACE_ID = 'Root=1-67891233-abcdef012345678912345678;Parent=463ac35c9f6413ad;Sampled=1';

/** The context the Lambda runtime hands a handler, as its fields are documented. */
function lambdaContext(awsRequestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'streamgate-session',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:streamgate-session',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/streamgate-session',
    logStreamName: '2026/12/07/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 3000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

// What the Lambda runtime sets: the invocation's trace header, and (read when a logger is made) how
// the environment was initialized; cold start is reported for on-demand environments only.
const LAMBDA_ENV = { _X_AMZN_TRACE_ID: TRACE_ID, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };
const saved = { ...process.env };
beforeEach(() => {
  Object.assign(process.env, LAMBDA_ENV);
});
afterAll(() => {
  process.env = saved;
});

test('each line of an invocation carries its request id, cold start (true first, then false) and trace id', () => {
  const sink = new MemorySink();
  const { logger } = createObservability({ sink });
  withInvocation(logger, lambdaContext('req-first'));
  logger.info('first');
  withInvocation(logger, lambdaContext('req-second'));
  logger.info('second');
  const [first, second] = sink.records();
  expect(first).toMatchObject({
    message: 'first',
    service: SERVICE_NAME,
    function_request_id: 'req-first',
    cold_start: true,
    xray_trace_id: '1-67891233-abcdef012345678912345678',
  });
  expect(second).toMatchObject({ message: 'second', function_request_id: 'req-second', cold_start: false });
});

test("the API's own lines carry the invocation's context next to the request's", async () => {
  const harness = await startHarness({ idpKeys: [idp] });
  try {
    const token = await mint(idp, { claims: { sub: 'carol' } });
    withInvocation(harness.logs.logger, lambdaContext('lambda-req-1'));
    const response = await harness.api.session(apiEvent('DELETE', '/api/v1/session', { authorization: bearer(token) }));
    expect(response.statusCode).toBe(204);
    expect(harness.logs.records().find((record) => record.message === 'session ended')).toMatchObject({
      operation: 'logout',
      requestId: 'req-1',
      sub: 'carol',
      function_request_id: 'lambda-req-1',
      cold_start: true,
      xray_trace_id: '1-67891233-abcdef012345678912345678',
    });
    // No token whole, nor its signature, in any line.
    expect(harness.logs.text()).not.toContain(token);
    expect(harness.logs.text()).not.toContain(token.split('.')[2]);
  } finally {
    await harness.close();
  }
});

test("a 503's line carries the failure's cause chain, and never the token", async () => {
  // A JWKS URL nothing listens on: the fetch fails with a connection error behind it.
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((done) => closed.close(() => done()));
  const harness = await startHarness({
    idpKeys: [idp],
    extraEnv: { JWT_JWKS: '', JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` },
  });
  try {
    const token = await mint(idp);
    const response = await harness.api.playback(playbackEvent('demo-1', { authorization: bearer(token) }));
    expect(response.statusCode).toBe(503);
    const denied = harness.logs.records().find((record) => record.message === 'request denied');
    expect(denied).toMatchObject({ status: 503, reason: 'keys_unavailable' });
    // The chain: the fetch's failure, then the connection error behind it.
    expect(denied?.cause).toMatchObject({
      name: expect.any(String),
      message: expect.any(String),
      cause: { message: expect.stringContaining('ECONNREFUSED') },
    });
    expect(harness.logs.text()).not.toContain(token);
    expect(harness.logs.text()).not.toContain(token.split('.')[2]);
  } finally {
    await harness.close();
  }
});

test('metrics go to the same sink as EMF documents, with the one service name', () => {
  const capture = new LogCapture();
  capture.signals.emit({ kind: 'store-error' });
  capture.signals.flush();
  const [document] = capture.records();
  expect(document).toMatchObject({ service: SERVICE_NAME, _aws: { CloudWatchMetrics: [{ Namespace: 'Streamgate' }] } });
});
