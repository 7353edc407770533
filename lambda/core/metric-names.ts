/**
 * The playback API's CloudWatch metrics: namespace, dimensions and names. Shared by the functions
 * (metrics.ts writes them as EMF through Powertools) and the CDK alarms and dashboard
 * (lib/monitoring); no imports, so synthesizing never loads Powertools.
 */

export const METRICS_NAMESPACE = 'Streamgate';
/** The value of the `service` dimension Powertools puts on every metric. */
export const METRICS_SERVICE = 'streamgate';
export const SERVICE_DIMENSION = 'service';
/** The dimension of the PlaybackDenied breakdown; its values are a fixed set (metricReason). */
export const REASON_DIMENSION = 'Reason';

/** Metric names, shared with the CDK alarms and dashboard. */
export const METRIC = {
  authorized: 'PlaybackAuthorized',
  denied: 'PlaybackDenied',
  revokedTokenReuse: 'RevokedTokenReuse',
  sharingSuspected: 'TokenSharingSuspected',
  storeError: 'RevocationStoreError',
  sessionEvicted: 'SessionEvicted',
  latency: 'AuthorizeLatency',
  /** Age in seconds of the key the API signs with, reported by every signing-key rotation run. */
  signingKeyAge: 'ActiveSigningKeyAge',
  licenceIssued: 'LicenceIssued',
  /** Licence route refusals of the viewer, total and by `Reason` (metricReason, plus `licence_refused`). */
  licenceDenied: 'LicenceDenied',
  /**
   * Licence calls the licence server failed (refused the proxy's credential, 5xx or no usable
   * licence, timeout, unreachable), total (alarmed) and by `Reason` (`upstream_*`).
   */
  licenceUpstreamFailed: 'LicenceUpstreamFailed',
  /** Time the licence server took, per forwarded call. */
  licenceUpstreamLatency: 'LicenceUpstreamLatency',
  /**
   * Prune writes of a user item's dead weight that failed (lambda/store/item-hygiene.ts); the call
   * they followed stands. Persistent failures let items grow towards their budget.
   */
  pruneFailed: 'StatePruneFailed',
} as const;

/**
 * The edge deny-list's functions (lambda/runtime/deny-list-runtime.ts): stream records whose
 * revocation could not be written to the KeyValueStore (alarmed), entries written, entries the
 * sweeper deleted, and the store's size in bytes after each sweep (alarmed near its 5 MB limit).
 */
export const DENY_LIST_METRIC = {
  writesFailed: 'DenyListWritesFailed',
  entriesWritten: 'DenyListEntriesWritten',
  writeConflicts: 'DenyListWriteConflicts',
  entriesSwept: 'DenyListEntriesSwept',
  storeBytes: 'DenyListStoreBytes',
} as const;

/**
 * The viewer-request function's refusals (edge-function/viewer-request.js logs
 * `streamgate-refused <kind> <detail>`; CloudFront Functions cannot emit metrics), counted by
 * metric filters on its us-east-1 log group (lib/monitoring/edge-refusals.ts).
 */
export const EDGE_REFUSAL_LOG_TAG = 'streamgate-refused';
export const EDGE_REFUSAL_METRIC = {
  'foreign-site': 'EdgeForeignSiteRefusals',
  device: 'EdgeDeviceRefusals',
} as const;
export type EdgeRefusalKind = keyof typeof EDGE_REFUSAL_METRIC;
