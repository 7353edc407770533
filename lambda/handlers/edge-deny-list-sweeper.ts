/**
 * Scheduled (EventBridge): deletes deny-list entries whose grant has expired anyway. Thin entry
 * over lambda/runtime/deny-list-runtime.ts; a failure throws, which the function's errors alarm.
 */
import type { SweepReport } from '../store/kvs-deny-list';
import { sharedDenyListRuntime } from '../runtime/deny-list-runtime';

export const handler = (): Promise<SweepReport> => sharedDenyListRuntime().sweep();
