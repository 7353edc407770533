/**
 * CloudFront's 403 answers (docs/cloudfront-rules.md, "403 answers"): the codes and messages a denial carries, and the
 * exact XML body the edge sends. Only MissingKey's text is verified; the others are [U].
 */
import { checkSignedAccess, errorXml, type EdgeRequest } from '../../local/edge/cloudfront-access';
import { ORIGIN, generateTestKey, requestFor } from './edge-test-kit';

describe('errorXml', () => {
  it('renders the captured MissingKey body byte for byte (Content-Length 146)', () => {
    const body = errorXml('MissingKey', 'Missing Key-Pair-Id query parameter or cookie value');
    expect(body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>',
    );
    expect(Buffer.byteLength(body, 'utf8')).toBe(146);
  });

  it('escapes XML metacharacters so a message cannot break the document', () => {
    expect(errorXml('A&B', '<x> "y" \'z\'')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>A&amp;B</Code><Message>&lt;x&gt; &quot;y&quot; &apos;z&apos;</Message></Error>',
    );
  });
});

describe('denial codes and messages', () => {
  const key = generateTestKey('EC P-256', 'K2ERRORSKEY');
  const url = `${ORIGIN}/media/v1/a.ts`;
  const signedQuery = (params: string): EdgeRequest => requestFor(`${url}?${params}`);

  it.each<[string, string, EdgeRequest]>([
    ['MissingKey', 'Missing Key-Pair-Id query parameter or cookie value', requestFor(url)],
    ['InvalidKey', 'Unknown Key ([U] text)', signedQuery('Expires=1&Signature=AAAA&Key-Pair-Id=K2NOTTRUSTED')],
    [
      'MalformedSignature',
      'Could not unencode Signature ([U] text)',
      signedQuery(`Expires=1&Signature=%%%&Key-Pair-Id=${key.id}`),
    ],
    ['MalformedPolicy', 'Malformed Policy ([U] text)', signedQuery(`Policy=e30_&Signature=AAAA&Key-Pair-Id=${key.id}`)],
    [
      'AccessDenied',
      'Access denied ([U] text, lower-case d)',
      signedQuery(`Expires=1&Signature=AAAA&Key-Pair-Id=${key.id}`),
    ],
  ])('answers 403 %s with the message "%s"', (code, described, req) => {
    const message = described.replace(/ \(\[U\].*\)$/, '');
    expect(checkSignedAccess(req, key.trusted)).toEqual({ allowed: false, status: 403, code, message });
  });
});
