/**
 * Offline deploy checks: synthesizes every configuration of the deploy matrix
 * (scripts/deploy-matrix.ts) exactly as `cdk synth` does (the same app, cdk.json's context,
 * cdk-nag as the validation plugin: an unacknowledged finding or a bad config fails here), then
 * runs cfn-lint on every template. Bundling is skipped (templates do not depend on it;
 * test/infra/bundle.test.ts bundles every handler).
 *
 * cfn-lint errors fail the run, except the findings listed in KNOWN_LINTER_GAPS, each matched
 * narrowly (rule, message and where) with its reason. Warnings are printed, not fatal: the ones
 * CDK produces (W3005, an explicit DependsOn next to a Ref) are not faults.
 *
 * Usage: tsx scripts/synth-lint.ts [out-dir]   (exit 1 on any failure; cfn-lint missing: lint skipped, said so)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { createStreamgate } from '../lib/app';
import { ConfigValidationError, loadConfigFile } from '../lib/config';
import { DEPLOY_MATRIX, ROOT } from './deploy-matrix';

interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[]; readonly Start: { readonly LineNumber: number } };
}

/**
 * cfn-lint findings that are the linter's gaps, not template faults: features CloudFormation
 * has and this cfn-lint's schemas do not know yet. Each is matched on rule, message and place.
 */
export const KNOWN_LINTER_GAPS: readonly {
  readonly rules: readonly string[];
  readonly reason: string;
  readonly matches: (finding: Finding, template: Record<string, unknown>) => boolean;
}[] = [
  {
    rules: ['E1017', 'E1022'],
    reason:
      "Fn::GetStackOutput (CDK's cross-region references) inside Fn::Split/Fn::Select/Fn::Join: the linter's schema predates the function",
    matches: (finding) => finding.Message.includes("'Fn::GetStackOutput'"),
  },
  {
    rules: ['E3002'],
    reason:
      "Tags on AWS::CloudWatch::Dashboard, which CloudFormation takes: this linter's resource schema predates them",
    matches: (finding, template) => {
      const [section, id, properties, property] = finding.Location.Path;
      const resources = template.Resources as Record<string, { Type?: string }> | undefined;
      return (
        section === 'Resources' &&
        properties === 'Properties' &&
        property === 'Tags' &&
        resources?.[String(id)]?.Type === 'AWS::CloudWatch::Dashboard' &&
        finding.Message.includes("'Tags' was unexpected")
      );
    },
  },
];

function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/** Synthesizes one configuration into `outdir`; answers its template files. */
function synthesize(file: string, outdir: string): string[] {
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  createStreamgate(app, loadConfigFile(file));
  app.synth();
  return readdirSync(outdir)
    .filter((name) => name.endsWith('.template.json'))
    .map((name) => path.join(outdir, name));
}

function main(): number {
  const started = Date.now();
  const out = process.argv[2] ?? mkdtempSync(path.join(tmpdir(), 'streamgate-synth-lint-'));
  let failed = false;
  const templates: string[] = [];
  for (const variant of DEPLOY_MATRIX) {
    const t0 = Date.now();
    try {
      const made = synthesize(variant.file, path.join(out, variant.name));
      templates.push(...made);
      console.log(`synth ok    ${variant.name} (${made.length} templates, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed = true;
      const message = error instanceof ConfigValidationError || error instanceof Error ? error.message : String(error);
      console.log(`synth FAIL  ${variant.name} (${path.relative(ROOT, variant.file)}):\n${message}`);
    }
  }

  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error !== undefined || version.status !== 0) {
    console.log(
      'cfn-lint: not installed here, so the templates are NOT linted (it is a Python tool with no Debian package; `pip install cfn-lint` where PyPI is reachable)',
    );
  } else if (templates.length > 0) {
    console.log(`${version.stdout.trim()}: linting ${templates.length} templates`);
    for (const gap of KNOWN_LINTER_GAPS) console.log(`  ignored where matched: ${gap.rules.join('/')}: ${gap.reason}`);
    const lint = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    let findings: Finding[];
    try {
      findings = JSON.parse(lint.stdout || '[]') as Finding[];
    } catch {
      console.log(`cfn-lint FAIL: unreadable output (exit ${lint.status}):\n${lint.stdout}\n${lint.stderr}`);
      return 1;
    }
    const templatesByFile = new Map<string, Record<string, unknown>>();
    const templateOf = (file: string) => {
      const known = templatesByFile.get(file);
      if (known !== undefined) return known;
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      templatesByFile.set(file, parsed);
      return parsed;
    };
    let ignored = 0;
    /** Warnings by rule: how many, and the first, printed once each (W3005 alone comes ~15 times a template). */
    const warnings = new Map<string, { count: number; first: string }>();
    for (const finding of findings) {
      const where = `${path.relative(out, finding.Filename)}:${finding.Location.Start.LineNumber} ${finding.Location.Path.join('/')}`;
      const gap = KNOWN_LINTER_GAPS.find(
        (candidate) =>
          candidate.rules.includes(finding.Rule.Id) && candidate.matches(finding, templateOf(finding.Filename)),
      );
      if (gap !== undefined) {
        ignored++;
      } else if (finding.Level === 'Error') {
        failed = true;
        console.log(`cfn-lint FAIL  ${finding.Rule.Id} ${where}: ${finding.Message}`);
      } else {
        const seen = warnings.get(finding.Rule.Id);
        if (seen === undefined) warnings.set(finding.Rule.Id, { count: 1, first: `${where}: ${finding.Message}` });
        else seen.count++;
      }
    }
    if (lint.status !== 0 && findings.length === 0) {
      failed = true;
      console.log(`cfn-lint FAIL: exit ${lint.status} without findings:\n${lint.stderr}`);
    }
    for (const [rule, { count, first }] of warnings)
      console.log(`cfn-lint warning ${rule} x${count} (not fatal), e.g. ${first}`);
    console.log(`cfn-lint: ${findings.length} findings, ${ignored} known linter gaps, the rest warnings`);
  }
  console.log(
    `synth-lint: ${DEPLOY_MATRIX.length} configurations, ${templates.length} templates, ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(0)} s (${out})`,
  );
  return failed ? 1 : 0;
}

process.exitCode = main();
