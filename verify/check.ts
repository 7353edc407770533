/**
 * What a check is and what it reports: the promise it tests, the evidence it saw, the page of
 * docs/ that explains the promise, and pass, fail or skip (with the reason).
 */
import type { VerifyContext } from './context';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export type CheckFamily = 'playback' | 'revocation' | 'origin' | 'transport' | 'abuse' | 'timing' | 'question';

export interface CheckOutcome {
  status: CheckStatus;
  /** What was sent and what came back, one line each; failed lines start with ✗. */
  evidence: string[];
  /** Why it was skipped (or why it could not run to the end). */
  reason?: string;
  /** For the open questions: the answer this deployment gave. */
  finding?: string;
  /** Figures measured, by name (milliseconds unless the name says otherwise). */
  measurements?: Record<string, number>;
}

export interface Check {
  /** `<family>.<name>`, stable: scripts and --only/--skip match on it. */
  id: string;
  family: CheckFamily;
  /** The promise, in one sentence: what must hold. */
  promise: string;
  /** The docs section that explains it: `docs/<page>.md#<anchor>`. */
  doc: string;
  run(ctx: VerifyContext): Promise<CheckOutcome>;
}

/** A skip with its reason. */
export function skipped(reason: string, evidence: string[] = []): CheckOutcome {
  return { status: 'skip', reason, evidence };
}

/**
 * Collects a check's evidence: `note` records what was seen, `require` records a condition of the
 * promise and fails the check when it does not hold.
 */
export class Proof {
  readonly evidence: string[] = [];
  readonly measurements: Record<string, number> = {};
  private failures = 0;
  finding?: string;

  note(line: string): void {
    this.evidence.push(line);
  }

  /** Records the line as held (✓) or broken (✗); returns the condition. */
  require(condition: boolean, line: string): boolean {
    this.evidence.push(`${condition ? '✓' : '✗'} ${line}`);
    if (!condition) this.failures += 1;
    return condition;
  }

  measure(name: string, value: number): void {
    this.measurements[name] = Math.round(value * 10) / 10;
  }

  get failed(): boolean {
    return this.failures > 0;
  }

  outcome(): CheckOutcome {
    return {
      status: this.failed ? 'fail' : 'pass',
      evidence: this.evidence,
      ...(this.finding === undefined ? {} : { finding: this.finding }),
      ...(Object.keys(this.measurements).length === 0 ? {} : { measurements: this.measurements }),
    };
  }

  /** Stops here without a verdict on the promise: what was seen so far, and why. */
  skip(reason: string): CheckOutcome {
    return { ...this.outcome(), status: this.failed ? 'fail' : 'skip', reason };
  }
}
