/**
 * Shared by the infrastructure tests: the example config, cdk.json's context, and one full
 * synthesis of both stacks (bundling skipped unless asked for) into a temporary directory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { StreamgateStacks } from '../../lib/app';
import { exampleApp } from '../../bin/example-app';
import { NodeFunction } from '../../lib/node-function';
import { ConfigValidationError, validateConfig, type StreamgateConfig } from '../../lib/config';

export const ROOT = path.join(__dirname, '..', '..');
export const EXAMPLE_CONFIG = path.join(ROOT, 'config', 'example.json');

type Json = Record<string, unknown>;

/** A fresh, mutable copy of config/example.json. */
export function exampleJson(): Json {
  const parsed: unknown = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
  if (!isRecord(parsed)) throw new Error('example config is not an object');
  return parsed;
}

/**
 * The example config JSON with overrides: an object merges into the section of the same name
 * (one level deep), anything else replaces it, and `null` removes the field.
 */
export function exampleJsonWith(overrides: Json): Json {
  const json = exampleJson();
  for (const [section, value] of Object.entries(overrides)) {
    const current = json[section];
    if (isRecord(value) && isRecord(current)) {
      const merged: Json = { ...current };
      for (const [key, field] of Object.entries(value)) {
        if (field === null) delete merged[key];
        else merged[key] = field;
      }
      json[section] = merged;
    } else if (value === null) {
      delete json[section];
    } else {
      json[section] = value;
    }
  }
  return json;
}

export function exampleWith(overrides: Json): StreamgateConfig {
  return validateConfig(exampleJsonWith(overrides), 'test');
}

/** The fields validation reports for the example config with overrides (empty: valid). */
export function issuesOf(overrides: Json): string[] {
  try {
    validateConfig(exampleJsonWith(overrides), 'test');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues.map((issue) => issue.field);
    throw error;
  }
  return [];
}

/** cdk.json's context (feature flags), so tests synthesize exactly what `cdk synth` does. */
export function cdkContext(): Json {
  const cdkJson: unknown = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  return isRecord(cdkJson) && isRecord(cdkJson.context) ? { ...cdkJson.context } : {};
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface Synthesis extends StreamgateStacks {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly mainTemplate: Template;
  readonly edgeTemplate: Template;
  /** The us-east-1 edge alarms stack; absent when the main stack is in us-east-1. */
  readonly edgeAlarmsTemplate?: Template;
}

export function synthesize(config: StreamgateConfig, options: { bundle?: boolean } = {}): Synthesis {
  const app = new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'streamgate-synth-')),
    context: { ...cdkContext(), ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stacks = exampleApp(app, config);
  const assembly = app.synth();
  return {
    ...stacks,
    app,
    assembly,
    mainTemplate: Template.fromStack(stacks.main),
    edgeTemplate: Template.fromStack(stacks.edge),
    edgeAlarmsTemplate: stacks.edgeAlarms === undefined ? undefined : Template.fromStack(stacks.edgeAlarms),
  };
}

/** Every resource of `type` in a template, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, { Properties?: Json }> {
  return template.findResources(type);
}

/** The one resource of `type`; fails when there is not exactly one. */
export function onlyResource(template: Template, type: string): { id: string; properties: Json } {
  const found = Object.entries(resourcesOf(template, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0];
  return { id, properties: resource.Properties ?? {} };
}

/**
 * Bundles handlers for real with the project's local esbuild (no Docker), exactly as `cdk synth`
 * does through NodeFunction; answers each handler's bundled `index.js`, by name.
 */
export function bundleHandlers(entries: readonly { name: string; entry: string }[]): Map<string, string> {
  const bundles = new Map<string, string>();
  if (entries.length === 0) return bundles;
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'streamgate-bundle-')), context: cdkContext() });
  const stack = new Stack(app, 'Bundles', { env: { account: '111111111111', region: 'eu-west-1' } });
  const functions = entries.map(({ name, entry }) => ({
    name,
    fn: new NodeFunction(stack, name, { entry, description: name }),
  }));
  const assembly = app.synth();
  const resources = assembly.getStackByName('Bundles').template.Resources as Record<
    string,
    { Properties: { Code: { S3Key: string } } }
  >;
  for (const { name, fn } of functions) {
    const resource = fn.function.node.defaultChild;
    if (!CfnElement.isCfnElement(resource)) throw new Error(`${name} has no CloudFormation function`);
    const hash = resources[stack.getLogicalId(resource)].Properties.Code.S3Key.replace(/\.zip$/, '');
    bundles.set(name, path.join(assembly.directory, `asset.${hash}`, 'index.js'));
  }
  return bundles;
}
