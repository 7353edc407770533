/**
 * Domain restriction (`domainRestriction`) and device binding (`deviceBinding`), the two opt-in
 * access layers the viewer-request function and the playback API apply (docs/access-layers.md).
 */
import { SITE_ORIGIN } from '../../lambda/core/domain-restriction';
import { choice, flag, integer, list, optionalSection, text } from './fields';

export const domainRestrictionSchema = optionalSection({
  enabled: flag().default(false),
  /** Exact origins allowed to play besides the distribution's own host names, e.g. https://www.example.com. */
  sites: list(
    text(
      SITE_ORIGIN,
      'an origin such as https://www.example.com (scheme, lower-case host, optional port, nothing after)',
    ),
    0,
    50,
  ).default([]),
  /**
   * A media request or playback call carrying no Origin, Referer or Sec-Fetch-Site (native apps,
   * Safari's native player, players that strip them): `allow` (default: those clients keep
   * working, and a browser page always sends one) or `deny`.
   */
  missingHeaders: choice(['allow', 'deny']).default('allow'),
});

export const deviceBindingSchema = optionalSection({
  enabled: flag().default(false),
  /** Days between rotations of the device key (the edge accepts the current and the previous one). */
  rotateAfterDays: integer(1, 90).default(30),
});
