/**
 * The security headers of every response the player's origin sends: one declaration for the
 * distribution's response headers policy (lib/delivery.ts) and the local edge
 * (local/edge-server.ts). No CDK import, so local mode loads it without aws-cdk-lib.
 */

/** The player page's default policy: hls.js plays through MSE (blob: media) and may start a blob: worker. */
export const DEFAULT_PLAYER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The Referrer-Policy values CloudFront's response headers policy offers. */
export type ReferrerPolicyValue =
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'origin'
  | 'origin-when-cross-origin'
  | 'same-origin'
  | 'strict-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';

export interface PageSecurityHeaders {
  /** Strict-Transport-Security max-age; sent over HTTPS only (a browser ignores it over HTTP). */
  readonly hstsMaxAgeSeconds: number;
  readonly hstsIncludeSubdomains: boolean;
  readonly contentTypeOptions: 'nosniff';
  readonly frameOptions: 'DENY' | 'SAMEORIGIN';
  readonly referrerPolicy: ReferrerPolicyValue;
  /** `X-XSS-Protection`: off (`0`); the legacy filter could be abused to blank parts of a page, CSP does the work. */
  readonly xssProtection: '0';
  readonly permissionsPolicy: string;
}

export const PAGE_SECURITY_HEADERS: PageSecurityHeaders = {
  hstsMaxAgeSeconds: 730 * 86_400,
  hstsIncludeSubdomains: true,
  contentTypeOptions: 'nosniff',
  frameOptions: 'DENY',
  // The player's own requests (API, media) are same-origin; elsewhere only the origin is told, over HTTPS only.
  referrerPolicy: 'strict-origin-when-cross-origin',
  xssProtection: '0',
  permissionsPolicy: 'camera=(), microphone=(), geolocation=()',
};

export interface PageHeaderOptions {
  /** @default DEFAULT_PLAYER_CSP */
  readonly contentSecurityPolicy?: string;
  /** Whether the response goes over HTTPS (Strict-Transport-Security only then). */
  readonly https: boolean;
}

/** The headers, by lower-case name, with the values CloudFront sends for PAGE_SECURITY_HEADERS. */
export function pageHeaders(options: PageHeaderOptions): Record<string, string> {
  const headers = PAGE_SECURITY_HEADERS;
  return {
    ...(options.https
      ? {
          'strict-transport-security': `max-age=${headers.hstsMaxAgeSeconds}${headers.hstsIncludeSubdomains ? '; includeSubDomains' : ''}`,
        }
      : {}),
    'content-security-policy': options.contentSecurityPolicy ?? DEFAULT_PLAYER_CSP,
    'x-content-type-options': headers.contentTypeOptions,
    'x-frame-options': headers.frameOptions,
    'referrer-policy': headers.referrerPolicy,
    'x-xss-protection': headers.xssProtection,
    'permissions-policy': headers.permissionsPolicy,
  };
}
