/** What every route is built from: the shared request pipeline and caller steps, and what they act on. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AccessState } from '../access-state';
import type { ApiConfig } from '../config';
import type { ApiSignals } from '../metrics';
import type { OriginVerifier } from '../origin-verify';
import type { RentalConfig } from '../rentals';
import type { StepUpRules } from '../step-up';
import type { TitleRules } from '../title-access';
import type { TokenVerifier } from '../token-verifier';
import { CallerSteps } from './caller';
import { RequestPipeline } from './pipeline';

export interface RouteDeps {
  readonly config: ApiConfig;
  /** The user's access state: one conditional write per call (lambda/store/access-state-store.ts). */
  readonly access: AccessState;
  readonly logger: Logger;
  readonly signals: ApiSignals;
  readonly pipeline: RequestPipeline;
  readonly caller: CallerSteps;
  /** Entitlement, step-up and rentals by title (lambda/core/title-access.ts). */
  readonly titles: TitleRules;
}

export interface RouteDepsProps {
  readonly config: ApiConfig;
  readonly verifier: TokenVerifier;
  readonly access: AccessState;
  readonly logger: Logger;
  readonly signals: ApiSignals;
  /** Epoch seconds; injected so tests use real values instead of fake timers. */
  readonly now: () => number;
  /**
   * Checks the origin-verify header CloudFront adds (the second layer behind the API Gateway authorizer).
   * @default no check (local mode)
   */
  readonly originVerify?: OriginVerifier;
  /** Titles needing a step-up, rentable titles (lambda/core/step-up.ts, rentals.ts). @default none */
  readonly titleRules?: { readonly stepUp?: StepUpRules; readonly rentals?: RentalConfig };
}

/** One pipeline and one set of caller steps, shared by every route of a process. */
export function routeDeps(props: RouteDepsProps): RouteDeps {
  const { config, verifier, access, logger, signals, now, originVerify, titleRules } = props;
  const stepUp = titleRules?.stepUp;
  const rentals = titleRules?.rentals;
  return {
    titles: {
      entitlement: config.entitlement,
      ...(stepUp !== undefined && stepUp.size > 0 ? { stepUp } : {}),
      ...(rentals !== undefined ? { rentals } : {}),
      clockToleranceSeconds: config.token.clockToleranceSeconds,
    },
    config,
    access,
    logger,
    signals,
    pipeline: new RequestPipeline({ logger, signals, now, originVerify }),
    caller: new CallerSteps({ config, verifier, access }),
  };
}
