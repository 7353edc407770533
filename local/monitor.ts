/**
 * Local stand-in for the CloudWatch dashboard: counts the same signals the Lambdas emit as EMF
 * and serves them at `/local/monitor.json` for the `/local/monitor` page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiSignal, ApiSignals } from '../lambda/core/metrics';

export interface MonitorSnapshot {
  authorized: number;
  denied: Record<string, number>;
  revokedTokenReuse: number;
  sharingSuspected: number;
  concurrencyLimited: number;
  storeErrors: number;
  recent: { at: string; event: string; detail?: string }[];
}

const RECENT_EVENTS = 25;

export class LocalMonitor implements ApiSignals {
  private readonly counts: MonitorSnapshot = {
    authorized: 0,
    denied: {},
    revokedTokenReuse: 0,
    sharingSuspected: 0,
    concurrencyLimited: 0,
    storeErrors: 0,
    recent: [],
  };

  emit(signal: ApiSignal): void {
    const { counts } = this;
    switch (signal.kind) {
      case 'authorized':
        counts.authorized += 1;
        return;
      case 'denied':
        counts.denied[signal.reason] = (counts.denied[signal.reason] ?? 0) + 1;
        this.note(`denied ${signal.status}`, signal.reason);
        return;
      case 'revoked-token-reuse':
        counts.revokedTokenReuse += 1;
        this.note('revoked token reused');
        return;
      case 'sharing-suspected':
        counts.sharingSuspected += 1;
        this.note('token sharing suspected', `action: ${signal.action}`);
        return;
      case 'concurrency-limited':
        counts.concurrencyLimited += 1;
        this.note('concurrent-stream limit reached');
        return;
      case 'store-error':
        counts.storeErrors += 1;
        this.note('revocation store error');
        return;
      case 'prune-failed':
        this.note('state prune write failed');
        return;
      case 'licence-issued':
        this.note('licence issued');
        return;
      case 'licence-denied':
        this.note(`licence denied ${signal.status}`, signal.reason);
        return;
      case 'licence-upstream-failed':
        this.note(`licence server failed ${signal.status}`, signal.reason);
        return;
    }
  }

  flush(): void {
    // Counts are live; nothing to publish.
  }

  snapshot(): MonitorSnapshot {
    return structuredClone(this.counts);
  }

  /** `GET /local/monitor.json` */
  readonly handler = (_req: IncomingMessage, res: ServerResponse): void => {
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(this.snapshot()));
  };

  private note(event: string, detail?: string): void {
    this.counts.recent.unshift({ at: new Date().toISOString(), event, detail });
    this.counts.recent.length = Math.min(this.counts.recent.length, RECENT_EVENTS);
  }
}
