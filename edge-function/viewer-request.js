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
 * 2. Refuses, 403, a grant on the deny-list: the API revoked it (logout, admin, user cut-off,
 *    sharing) or the stream limit ended its session. A grant is known by the hash of its signed
 *    policy (every CloudFront-Policy cookie and Policy query value sent, in one spelling per
 *    byte string so a re-spelled policy hashes the same): the viewer cannot change those bytes
 *    and keep a valid signature, while an ECDSA signature has a twin that verifies too. The hash
 *    of each signature sent is looked up as well: the id of releases before this one, kept until
 *    the grants recorded under it have expired (docs/operations.md "Upgrading"). The CloudFront
 *    KeyValueStore associated with this function holds the ids (lambda/core/edge-deny-list.ts
 *    computes the same). No store associated (edge revocation off) or a lookup error: the
 *    request goes on, still bound by CloudFront's signature check and its expiry.
 * 3. Domain restriction (docs/access-layers.md), when the deployment lists sites: refuses, 403,
 *    a request whose Origin or Referer names a site that is neither listed nor this host, or
 *    whose Sec-Fetch-Site says same-site/cross-site without an allowed Origin or Referer. A
 *    request carrying none of them (native apps, some players, a typed URL) follows
 *    SETTINGS.missing: 'allow' (default) or 'deny'. lambda/core/domain-restriction.ts decides the same.
 * 4. Device binding (opt-in): refuses, 403, a grant without a valid device tag. The tag (cookie
 *    Streamgate-Device, or query streamgate-device) is `<kid>.<mac>`, mac = HMAC-SHA256 under the
 *    KeyValueStore's `device-key.<kid>` of the grant id and the User-Agent and Accept-Language
 *    headers (lambda/core/device-binding.ts computes the same). Every policy CloudFront may take
 *    must have its tag. A missing key or store refuses: binding on means fail closed.
 * 5. Rewrites /drm/<rest> to MediaPackage's egress path /out/v1/<rest>. Changing the URI keeps
 *    the behaviour and origin already chosen
 *    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
 *
 * SETTINGS is written in at build (lib/viewer-request-code.ts): the file is the template, the
 * deployed and locally run code is its minified build with the deployment's settings.
 *
 * The entry point is the global `handler`. No export statement: CloudFront cannot load a
 * function that has one and then answers 503 to every request. The only imports are the
 * runtime's own modules `cloudfront` (KeyValueStore) and `crypto`. CloudFront Functions are limited
 * to 10 KB (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
 */

import cf from 'cloudfront';
import crypto from 'crypto';

var HEX = '0123456789abcdefABCDEF';
var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/* For a base64 string's last digit: that digit with its unused low bits cleared (see canonicalBase64). */
var KEEP_HIGH = { 2: 0x30, 3: 0x3c };
/* {sites: exact origins allowed besides this host ([] = domain restriction off), missing: 'allow'|'deny', device: bool} */
var SETTINGS = '@@streamgate-edge-settings@@';
var DENY_LIST = null;
try {
  DENY_LIST = cf.kvs();
} catch (_e) {
  DENY_LIST = null; // no KeyValueStore associated: edge revocation is off
}

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

function forbidden(denied) {
  var headers = { 'content-type': { value: 'text/xml' } };
  if (denied) headers['x-streamgate-denied'] = { value: denied };
  return {
    statusCode: 403,
    statusDescription: 'Forbidden',
    headers: headers,
    body: { encoding: 'text', data: FORBIDDEN_BODY },
  };
}

/*
 * A policy or signature as sent (CloudFront's base64: - _ ~, perhaps percent-encoded) in one spelling per
 * byte string: the standard alphabet, padding and any other character dropped, the unused low bits
 * of a last partial digit cleared (a lone last digit holds no byte and is dropped). Two spellings
 * a lenient decoder reads as the same bytes come out equal.
 */
function canonicalBase64(value) {
  var text = value,
    rest,
    last;
  if (value.indexOf('%') !== -1) {
    try {
      text = decodeURIComponent(value);
    } catch (_e) {
      text = value;
    }
  }
  text = text
    .replace(/-/g, '+')
    .replace(/~/g, '/')
    .replace(/[^A-Za-z0-9+/]/g, '');
  rest = text.length % 4;
  if (rest === 1) return text.substring(0, text.length - 1);
  if (rest === 0) return text;
  last = B64.indexOf(text.charAt(text.length - 1)) & KEEP_HIGH[rest];
  return text.substring(0, text.length - 1) + B64.charAt(last);
}

/* Every value of a signing field the request carries, whatever the name's case: CloudFront may take any one. */
function valuesOf(fields, name) {
  var out = [],
    key,
    field,
    j,
    lower;
  for (key in fields) {
    lower = key;
    // Decoding only a name that has an escape: the same result, without a try per field.
    if (key.indexOf('%') !== -1)
      try {
        lower = decodeURIComponent(key);
      } catch (_e) {
        lower = key;
      }
    if (lower.toLowerCase() !== name) continue;
    field = fields[key];
    if (field.multiValue) for (j = 0; j < field.multiValue.length; j++) out.push(field.multiValue[j].value);
    else out.push(field.value);
  }
  return out;
}

/* Grant ids of this request's values, computed once (the deny-list and device binding both need them). */
var IDS = {};

function idOf(value) {
  if (IDS[value] === undefined)
    IDS[value] = crypto.createHash('sha256').update(canonicalBase64(value)).digest('base64url').substring(0, 22);
  return IDS[value];
}

/* The deny-list's reason for one of the request's grants, or '' when none is denied. */
async function deniedGrant(request) {
  var values, i, id, value;
  if (DENY_LIST === null) return '';
  values = valuesOf(request.cookies, 'cloudfront-policy').concat(
    valuesOf(request.querystring, 'policy'),
    valuesOf(request.cookies, 'cloudfront-signature'),
    valuesOf(request.querystring, 'signature'),
  );
  for (i = 0; i < values.length; i++) {
    id = idOf(values[i]);
    try {
      if (await DENY_LIST.exists(id)) {
        value = await DENY_LIST.get(id);
        return String(value).split(' ')[0] || 'revoked';
      }
    } catch (e) {
      console.log('streamgate: deny-list lookup failed: ' + e);
    }
  }
  return '';
}

function header(request, name) {
  var field = request.headers[name];
  return field ? field.value : '';
}

/* The origin (scheme://host[:port]) of a URL, or '' when it has none. */
function originOf(url) {
  var m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)/i.exec(url);
  return m ? m[1].toLowerCase() : '';
}

function allowedSite(origin, host) {
  return (
    origin !== '' && (origin.substring(origin.indexOf('://') + 3) === host || SETTINGS.sites.indexOf(origin) !== -1)
  );
}

/* Why the request shows a site not allowed to play, '' when none: the order and rules of domain-restriction.ts. */
function foreignSite(request) {
  var origin = header(request, 'origin'),
    referer = header(request, 'referer'),
    site = header(request, 'sec-fetch-site'),
    host = header(request, 'host').toLowerCase();
  if (!SETTINGS.sites) return '';
  if (origin !== '' && !allowedSite(origin.toLowerCase(), host)) return 'origin';
  if (referer !== '' && !allowedSite(originOf(referer), host)) return 'referer';
  if (origin !== '' || referer !== '' || site === 'same-origin') return '';
  if (site === 'same-site' || site === 'cross-site') return 'fetch-site';
  return SETTINGS.missing === 'deny' ? 'no-site' : '';
}

/* Why a device-bound request is refused, '' when every policy CloudFront may take has a valid tag. */
async function unboundDevice(request) {
  var inUrl = false,
    policies,
    tags,
    keys = {},
    traits = '\n' + header(request, 'user-agent') + '\n' + header(request, 'accept-language'),
    i,
    j,
    ok,
    dot,
    kid,
    name;
  for (name in request.querystring) if (/^(expires|policy|signature|key-pair-id)$/i.test(name)) inUrl = true;
  policies = inUrl ? valuesOf(request.querystring, 'policy') : valuesOf(request.cookies, 'cloudfront-policy');
  tags = valuesOf(request.querystring, 'streamgate-device').concat(valuesOf(request.cookies, 'streamgate-device'));
  if (policies.length === 0) return 'no-policy';
  if (tags.length === 0) return 'no-tag';
  for (i = 0; i < policies.length; i++) {
    ok = false;
    for (j = 0; j < tags.length && !ok; j++) {
      dot = tags[j].indexOf('.');
      kid = tags[j].substring(0, dot);
      if (dot < 1 || !/^[A-Za-z0-9]{1,16}$/.test(kid)) continue;
      if (keys[kid] === undefined) {
        keys[kid] = '';
        try {
          if (DENY_LIST !== null) keys[kid] = await DENY_LIST.get('device-key.' + kid);
        } catch (_e) {
          keys[kid] = '';
        }
      }
      ok =
        keys[kid] !== '' &&
        crypto
          .createHmac('sha256', keys[kid])
          .update(idOf(policies[i]) + traits)
          .digest('base64url')
          .substring(0, 22) === tags[j].substring(dot + 1);
    }
    if (!ok) return 'device';
  }
  return '';
}

// biome-ignore lint/correctness/noUnusedVariables: the entry point CloudFront calls by name
async function handler(event) {
  var request = event.request;
  var reason = uriRefusal(request.uri);
  IDS = {};
  var denied;
  if (reason !== '') {
    console.log('streamgate: 403 for a non-canonical URI (' + reason + ')');
    return forbidden('');
  }
  denied = await deniedGrant(request);
  if (denied !== '') {
    console.log('streamgate: 403 for a grant on the deny-list (' + denied + ')');
    return forbidden(denied);
  }
  reason = foreignSite(request);
  if (reason !== '') {
    // Machine-matched: a metric filter counts `streamgate-refused <kind>` (lib/monitoring/edge-refusals.ts).
    console.log('streamgate-refused foreign-site ' + reason);
    return forbidden('foreign-site');
  }
  reason = SETTINGS.device ? await unboundDevice(request) : '';
  if (reason !== '') {
    console.log('streamgate-refused device ' + reason);
    return forbidden('device');
  }
  if (request.uri.indexOf('/drm/') === 0) request.uri = '/out/v1/' + request.uri.substring(5);
  return request;
}
