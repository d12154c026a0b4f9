import { BODY_CAP_CHARS, failureOf, maskSecrets, maskSecretsInText, resourceOf, statusClassOf, storedRequestBody, storedResponseBody } from '../../src/directory/request-log-entry';

describe('request log entries', () => {
  it('masks passwords and any field named like a token or secret, at any depth and in arrays', () => {
    expect(maskSecrets({ userName: 'a', password: 'p', nested: [{ accessToken: 't', value: 'v' }], ClientSecret: 's', tokenHint: null })).toEqual({
      userName: 'a',
      password: '********',
      nested: [{ accessToken: '********', value: 'v' }],
      ClientSecret: '********',
      tokenHint: null,
    });
  });

  it('masks the value of a PATCH operation whose path names the password', () => {
    expect(maskSecrets({ Operations: [{ op: 'replace', path: 'password', value: 'n3w' }, { op: 'replace', path: 'active', value: false }] })).toEqual({
      Operations: [{ op: 'replace', path: 'password', value: '********' }, { op: 'replace', path: 'active', value: false }],
    });
  });

  it('masks secrets in text too long to parse, strings and scalars alike', () => {
    expect(maskSecretsInText('{"password":"a\\"b","n":1,"pinToken":123456,"x":"password"}')).toBe('{"password":"********","n":1,"pinToken":"********","x":"password"}');
  });

  it('keeps no body for an empty request and caps a long one at 16 KB with its full length', () => {
    expect(storedRequestBody(undefined)).toEqual({ text: null, chars: 0, isTruncated: false });
    expect(storedRequestBody({})).toEqual({ text: null, chars: 0, isTruncated: false });
    const long = storedRequestBody({ v: 'x'.repeat(BODY_CAP_CHARS) });
    expect(long).toEqual({ text: expect.any(String), chars: BODY_CAP_CHARS + 8, isTruncated: true });
    expect(long.text).toHaveLength(BODY_CAP_CHARS);
    expect(storedResponseBody('{"password":"x","id":"1"}')).toEqual({ text: '{"password":"********","id":"1"}', chars: 25, isTruncated: false });
  });

  it('keeps the first 16 KB of a response longer than the capture kept, masked, with its whole length', () => {
    const start = `{"Resources":[{"userName":"a","password":"p1"},{"v":"${'y'.repeat(40_000)}`;
    const stored = storedResponseBody(start, 2_000_000);
    expect(stored.chars).toBe(2_000_000);
    expect(stored.isTruncated).toBe(true);
    expect(stored.text).toHaveLength(BODY_CAP_CHARS);
    expect(stored.text).toContain('"password":"********"');
    expect(stored.text).not.toContain('p1');
  });

  it('gives a failure its SCIM detail, scimType and a reason in words; a success has none', () => {
    expect(failureOf(201, '{}')).toBeNull();
    expect(failureOf(400, '{"status":"400","scimType":"invalidFilter","detail":"bad filter"}')).toEqual({
      detail: 'bad filter',
      scimType: 'invalidFilter',
      reason: 'The IdP sent a filter this service cannot read or that names an unknown attribute.',
    });
    expect(failureOf(503, 'not json')).toEqual({ detail: null, scimType: null, reason: 'The service could not reach its database or Redis; the IdP should retry.' });
    expect(failureOf(502, null)?.reason).toBe('The service failed while handling the request; its log has the details under this request id.');
  });

  it('names the status class and the resource a path addresses', () => {
    expect([200, 204, 304, 409, 500].map(statusClassOf)).toEqual(['2xx', '2xx', '3xx', '4xx', '5xx']);
    expect(['/Users/abc', '/groups?filter=x', '/Bulk', '/.search', '/', '/Foo'].map(resourceOf)).toEqual(['Users', 'Groups', 'Bulk', '.search', 'root', 'other']);
  });
});
