/**
 * Each construct validates its props in the constructor and names the prop it rejects, so a
 * misuse fails at synth with a pointer to the fix rather than at deploy time.
 */
import * as path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Delivery } from '../../lib/delivery';
import { EdgeProtection } from '../../lib/edge-protection';
import { MediaOrigin } from '../../lib/media-origin';
import { NodeFunction } from '../../lib/node-function';
import { Packaging } from '../../lib/packaging';
import { StateTable } from '../../lib/state-table';
import { SigningKeys } from '../../lib/signing-keys';
import { ROOT } from './synth';

const stackIn = (region: string): Stack => new Stack(new App(), 'Test', { env: { account: '111111111111', region } });

test('SigningKeys names rotateAfterDays when it is over 90 days (AWS FSBP SecretsManager.4)', () => {
  const keys = new SigningKeys(stackIn('eu-west-1'), 'Keys');
  const rotation = {
    distributionIds: ['E1'],
    checkEveryMinutes: 10,
    signedTtlSeconds: 300,
    keyRefreshSeconds: 60,
    clockToleranceSeconds: 30,
    alarmName: 'test-signing-key-age',
  };
  expect(() => keys.addRotation({ ...rotation, rotateAfterDays: 91 })).toThrow(
    /SigningKeys: rotateAfterDays must be a whole number from 1 to 90, got 91/,
  );
});

test('EdgeProtection refuses a region other than us-east-1', () => {
  expect(
    () =>
      new EdgeProtection(stackIn('eu-west-1'), 'Edge', {
        rateLimitPerIp: 1000,
        apiRateLimitPerIp: 100,
        apiMethods: ['POST'],
      }),
  ).toThrow(/must be created in us-east-1/);
});

test('EdgeProtection names apiRateLimitPerIp when it is not the tighter limit', () => {
  expect(
    () =>
      new EdgeProtection(stackIn('us-east-1'), 'Edge', {
        rateLimitPerIp: 100,
        apiRateLimitPerIp: 100,
        apiMethods: ['POST'],
      }),
  ).toThrow(/apiRateLimitPerIp must be lower than rateLimitPerIp/);
});

test('Delivery names manifestTtlSeconds and certificateArn', () => {
  const stack = stackIn('eu-west-1');
  const media = new MediaOrigin(stack, 'Media');
  const keyGroup = cloudfront.KeyGroup.fromKeyGroupId(stack, 'Group', 'kg');
  const base = { media, keyGroup, webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:global/webacl/x/y' };
  expect(() => new Delivery(stack, 'D1', { ...base, manifestTtlSeconds: 0 })).toThrow(/Delivery: manifestTtlSeconds/);
  expect(() => new Delivery(stack, 'D2', { ...base, domainNames: ['video.example.com'] })).toThrow(
    /Delivery: domainNames and certificateArn go together/,
  );
});

test('Packaging names spekeUrl when it is not https', () => {
  const stack = stackIn('eu-west-1');
  const spekeRole = iam.Role.fromRoleArn(stack, 'Speke', 'arn:aws:iam::111111111111:role/speke');
  expect(
    () => new Packaging(stack, 'P', { mode: 'live', name: 'sg', spekeRole, spekeUrl: 'http://speke.example.com' }),
  ).toThrow(/Packaging: spekeUrl/);
});

test('StateTable refuses DESTROY while deletion protection is on', () => {
  expect(() => new StateTable(stackIn('eu-west-1'), 'T', { removalPolicy: RemovalPolicy.DESTROY })).toThrow(
    /StateTable: removalPolicy DESTROY needs deletionProtection: false/,
  );
});

test('NodeFunction names memorySize and logRetentionDays', () => {
  const entry = path.join(ROOT, 'lambda', 'handlers', 'keygen.ts');
  expect(() => new NodeFunction(stackIn('eu-west-1'), 'F1', { entry, description: 'x', memorySize: 64 })).toThrow(
    /NodeFunction F1: memorySize/,
  );
  expect(() => new NodeFunction(stackIn('eu-west-1'), 'F2', { entry, description: 'x', logRetentionDays: 2 })).toThrow(
    /NodeFunction F2: logRetentionDays/,
  );
});
