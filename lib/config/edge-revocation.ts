/**
 * Edge revocation (`edgeRevocation`): the CloudFront KeyValueStore deny-list the viewer-request
 * function reads, filled from the state table's stream (lib/edge-revocation.ts). Off, the store,
 * its association, the stream consumer and the sweeper are not deployed, and the API records no
 * grant ids (EDGE_DENY_LIST=off): revocation then reaches the edge when the cookies expire.
 */
import { flag, integer, optionalSection } from './fields';

export const edgeRevocationSchema = optionalSection({
  enabled: flag().default(true),
  /**
   * Minutes between sweeps of entries whose grant has expired anyway (a sweep lists the store only
   * from 1 MB): shorter leaves more room for live entries, longer makes fewer API calls.
   */
  sweepIntervalMinutes: integer(1, 1440).default(5),
});
