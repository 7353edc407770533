/**
 * streamgate as a construct library: `new Streamgate(this, 'Video', { ... })` inside a team's own
 * stack, with the pieces a team places in a us-east-1 stack beside it (the WAF web ACL, the edge
 * alarms), and the contracts its clients and tools share (media paths, API routes, page headers).
 */
export { API_ROUTES } from '../lambda/core/api-routes';
export { DEFAULT_PLAYER_CSP } from './config';
export { EdgeProtection as StreamgateEdgeProtection, type EdgeProtectionProps } from './edge-protection';
export { EdgeAlarms as StreamgateEdgeAlarms, type EdgeAlarmsProps } from './monitoring';
export { Streamgate, StreamgatePropsError, type StreamgateInternalOptions, resolveSettings } from './streamgate';
export {
  type AbuseOptions,
  type AlarmOptions,
  type DistributionOptions,
  type DrmOptions,
  type EntitlementOptions,
  type GrantOptions,
  type IdentityOptions,
  type MediaOptions,
  type PackagingOptions,
  type StreamgateProps,
  StreamgateGeoRestriction,
  StreamgateWebAcl,
} from './streamgate-props';
export {
  DEFAULT_MEDIA_KEY_PREFIX,
  DRM_PATH_PREFIX,
  mediaBehaviourPatterns,
  mediaPathPrefix,
  videoFolder,
} from '../lambda/core/media-paths';
