/**
 * What every API decision tells CloudWatch, as EMF through Powertools Metrics (namespace
 * `Streamgate`). Dimensions stay low-cardinality: `service`, and `Reason` from a fixed set;
 * never a user, token or video id.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SharingAction } from './config';
import type { ApiError } from './errors';
import { METRIC, METRICS_NAMESPACE, METRICS_SERVICE, REASON_DIMENSION } from './metric-names';

export { METRIC, METRICS_NAMESPACE, METRICS_SERVICE };

export type ApiSignal =
  | { kind: 'authorized'; latencyMs: number }
  | { kind: 'denied'; reason: string; status: number; latencyMs: number }
  | { kind: 'revoked-token-reuse' }
  | { kind: 'sharing-suspected'; action: SharingAction }
  | { kind: 'concurrency-limited' }
  | { kind: 'session-evicted' }
  | { kind: 'store-error' }
  /** A hygiene (prune) write of the state store failed after the call's own write succeeded. */
  | { kind: 'prune-failed' }
  | { kind: 'licence-issued'; upstreamMs: number }
  | { kind: 'licence-denied'; reason: string; status: number; upstreamMs?: number }
  | { kind: 'licence-upstream-failed'; reason: string; status: number; upstreamMs?: number };

export interface ApiSignals {
  emit(signal: ApiSignal): void;
  /** Writes what was emitted during this invocation. */
  flush(): void;
}

/** Reasons worth their own series; every other denial is counted under its API error code. */
const NAMED_REASONS = new Set([
  'expired',
  'bad_signature',
  'revoked',
  'not_entitled',
  'site_not_allowed',
  'rate_limited',
  'concurrency_limit',
  'session_ended',
  'sharing_suspected',
  'store_unavailable',
  'store_contention',
  'too_many_sessions',
  'too_many_grants',
  'session_not_playing',
  'step_up_required',
  'rental_expired',
  'too_many_rentals',
]);

export function metricReason(error: ApiError): string {
  return NAMED_REASONS.has(error.reason) ? error.reason : error.code;
}

export class EmfSignals implements ApiSignals {
  private pending = false;
  /** `metrics`: the function's one instance (lambda/runtime/observability.ts). */
  constructor(private readonly metrics: Metrics) {}

  emit(signal: ApiSignal): void {
    this.pending = true;
    switch (signal.kind) {
      case 'authorized':
        this.metrics.addMetric(METRIC.authorized, MetricUnit.Count, 1);
        this.metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, signal.latencyMs);
        return;
      case 'denied': {
        // The total (for alarms) and, as a separate series, the breakdown by reason.
        this.metrics.addMetric(METRIC.denied, MetricUnit.Count, 1);
        this.metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, signal.latencyMs);
        const byReason = this.metrics.singleMetric();
        byReason.addDimension(REASON_DIMENSION, signal.reason);
        byReason.addMetric(METRIC.denied, MetricUnit.Count, 1);
        return;
      }
      case 'revoked-token-reuse':
        this.metrics.addMetric(METRIC.revokedTokenReuse, MetricUnit.Count, 1);
        return;
      case 'sharing-suspected':
        this.metrics.addMetric(METRIC.sharingSuspected, MetricUnit.Count, 1);
        return;
      case 'store-error':
        this.metrics.addMetric(METRIC.storeError, MetricUnit.Count, 1);
        return;
      case 'prune-failed':
        this.metrics.addMetric(METRIC.pruneFailed, MetricUnit.Count, 1);
        return;
      case 'concurrency-limited':
        return; // counted as PlaybackDenied{Reason=concurrency_limit}
      case 'session-evicted':
        this.metrics.addMetric(METRIC.sessionEvicted, MetricUnit.Count, 1);
        return;
      case 'licence-issued':
        this.metrics.addMetric(METRIC.licenceIssued, MetricUnit.Count, 1);
        this.metrics.addMetric(METRIC.licenceUpstreamLatency, MetricUnit.Milliseconds, signal.upstreamMs);
        return;
      case 'licence-denied':
      case 'licence-upstream-failed': {
        // A refusal of the viewer, or a failure of the licence server: the total and the breakdown.
        const name = signal.kind === 'licence-denied' ? METRIC.licenceDenied : METRIC.licenceUpstreamFailed;
        this.metrics.addMetric(name, MetricUnit.Count, 1);
        if (signal.upstreamMs !== undefined)
          this.metrics.addMetric(METRIC.licenceUpstreamLatency, MetricUnit.Milliseconds, signal.upstreamMs);
        const byReason = this.metrics.singleMetric();
        byReason.addDimension(REASON_DIMENSION, signal.reason);
        byReason.addMetric(name, MetricUnit.Count, 1);
        return;
      }
    }
  }

  flush(): void {
    // Powertools warns on an empty flush; calls that emitted nothing have nothing to say.
    if (!this.pending) return;
    this.pending = false;
    this.metrics.publishStoredMetrics();
  }
}

/** Fans signals out to several sinks (EMF, and the local monitor page). */
export class SignalFanout implements ApiSignals {
  constructor(private readonly sinks: ApiSignals[]) {}
  emit(signal: ApiSignal): void {
    for (const sink of this.sinks) sink.emit(signal);
  }
  flush(): void {
    for (const sink of this.sinks) sink.flush();
  }
}
