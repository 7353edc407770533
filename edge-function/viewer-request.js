/*
 * streamgate viewer-request function: CloudFront Functions, runtime cloudfront-js-2.0.
 * Associated with every signed behaviour (/media/*.m3u8, /media/*.mpd, /media/*, /drm/*); the
 * local edge runs this same file (local/edge/viewer-request-function.ts).
 *
 * 1. Refuses, 403, any URI that is not canonical. CloudFront normalises the path only to pick the
 *    cache behaviour and forwards the raw path to the origin
 *    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern);
 *    a signed Resource like https://host/media/demo-1/* matches a raw /media/demo-1/../demo-2/key
 *    too, and an origin that resolves dot segments would then serve another video. So no path
 *    that normalisation could change gets through, whichever order CloudFront checks in.
 *    Canonical: every segment non-empty, printable ASCII without backslash, percent-escapes
 *    well formed and UTF-8; decoded once, not "." or "..", and no "/", "\", control character
 *    or further percent-escape (a second decoder would turn %252e into a dot).
 * 2. Rewrites /drm/<rest> to MediaPackage's egress path /out/v1/<rest>. Changing the URI keeps
 *    the behaviour and origin already chosen
 *    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 *
 * The entry point is the global `handler`. No export statement: CloudFront cannot load a
 * function that has one and then answers 503 to every request. CloudFront Functions are limited
 * to 10 KB (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
 */

var HEX = '0123456789abcdefABCDEF';

var FORBIDDEN_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>';

function isHex(c) {
  return c.length === 1 && HEX.indexOf(c) !== -1;
}

function hasEscape(text, i) {
  return text.charAt(i) === '%' && isHex(text.charAt(i + 1)) && isHex(text.charAt(i + 2));
}

/* Why one path segment (between slashes, as sent) is not canonical; '' when it is. */
function segmentRefusal(raw) {
  var i, code, decoded;
  if (raw === '') return 'empty segment';
  for (i = 0; i < raw.length; i++) {
    code = raw.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return 'control, space or non-ASCII character';
    if (code === 0x5c) return 'backslash';
    if (code === 0x25 && !hasEscape(raw, i)) return 'invalid percent-encoding';
  }
  try {
    decoded = decodeURIComponent(raw);
  } catch (_e) {
    return 'invalid percent-encoding';
  }
  if (decoded === '.' || decoded === '..') return 'dot segment';
  for (i = 0; i < decoded.length; i++) {
    code = decoded.charCodeAt(i);
    if (code === 0x2f || code === 0x5c) return 'encoded slash or backslash';
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'control character';
    if (hasEscape(decoded, i)) return 'double percent-encoding';
  }
  return '';
}

/* Why a URI (path only, percent-encoded as sent) is not canonical; '' when it is. */
function uriRefusal(uri) {
  var segments, i, reason;
  if (typeof uri !== 'string' || uri.charAt(0) !== '/') return 'not an absolute path';
  segments = uri.split('/');
  for (i = 1; i < segments.length; i++) {
    reason = segmentRefusal(segments[i]);
    if (reason !== '') return reason;
  }
  return '';
}

// biome-ignore lint/correctness/noUnusedVariables: the entry point CloudFront calls by name
function handler(event) {
  var request = event.request;
  var reason = uriRefusal(request.uri);
  if (reason !== '') {
    console.log('streamgate: 403 for a non-canonical URI (' + reason + ')');
    return {
      statusCode: 403,
      statusDescription: 'Forbidden',
      headers: { 'content-type': { value: 'text/xml' } },
      body: { encoding: 'text', data: FORBIDDEN_BODY },
    };
  }
  if (request.uri.indexOf('/drm/') === 0) request.uri = '/out/v1/' + request.uri.substring(5);
  return request;
}
