import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, ResponseDecodeError } from './codec.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const V1BETA1 = 'credentialprovider.kubelet.k8s.io/v1beta1';
const MASKED = 'error decoding credential provider plugin response from stdout';

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads', () => {
    for (const t of ['{}', '[]', '"a\\u00e9\\n"', '-1.5e3', 'true', 'null', ' {"a":[1,{"b":null}]} ']) assert.equal(JSON.stringify(parseStrictJson(t)), JSON.stringify(JSON.parse(t)));
  });
  it('refuses duplicate keys, trailing data, bad escapes and deep nesting', () => {
    for (const [t, m] of [
      ['{"a":1,"a":2}', /duplicate field "a" at character 7/],
      ['{} x', /unexpected data/],
      ['"\\x"', /invalid escape/],
      ['['.repeat(100), /nested deeper than 64/],
      ['{"a":01}', /expected "," or "}"/],
    ] as const) {
      assert.throws(() => parseStrictJson(t), (e: unknown) => e instanceof StrictJsonError && m.test(e.message));
    }
  });
  it('keeps __proto__ as an ordinary key', () => {
    const v = parseStrictJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['__proto__']);
  });
});

describe('encodeRequest / decodeRequest round trip', () => {
  it('omits empty service-account fields as Go omitempty does', () => {
    assert.equal(encodeRequest({ apiVersion: V1, image: 'r.io/a', serviceAccountToken: '', serviceAccountAnnotations: {} }), `{"kind":"CredentialProviderRequest","apiVersion":"${V1}","image":"r.io/a"}`);
  });
  it('round-trips a service-account request', () => {
    const req = { apiVersion: V1, image: 'r.io/a', serviceAccountToken: 't', serviceAccountAnnotations: { k: 'v' } } as const;
    assert.deepEqual(decodeRequest(encodeRequest(req)), req);
  });
  it('treats null optional fields as absent, as Go decodes null to the zero value', () => {
    assert.deepEqual(decodeRequest(`{"kind":"CredentialProviderRequest","apiVersion":"${V1}","image":"r.io/a","serviceAccountToken":null}`), { apiVersion: V1, image: 'r.io/a' });
  });
});

describe('encodeResponse', () => {
  it('writes Go duration text and omits an empty auth map', () => {
    assert.equal(encodeResponse({ apiVersion: V1, cacheKeyType: 'Image', cacheDurationMs: 90_000, auth: {} }), `{"kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Image","cacheDuration":"1m30s"}`);
  });
  it('refuses a negative duration and a non-string password', () => {
    assert.throws(() => encodeResponse({ apiVersion: V1, cacheKeyType: 'Image', cacheDurationMs: -1, auth: {} }), /finite number >= 0/);
    assert.throws(() => encodeResponse({ apiVersion: V1, cacheKeyType: 'Image', auth: { 'r.io': { username: 'u', password: 5 as unknown as string } } }), /string username and password/);
  });
});

describe('decodeResponse, as the kubelet', () => {
  const ok = (fields: Record<string, unknown>, v = V1): string => JSON.stringify({ kind: 'CredentialProviderResponse', apiVersion: v, ...fields });
  it('decodes a good response', () => {
    assert.deepEqual(decodeResponse(ok({ cacheKeyType: 'Registry', cacheDuration: '1h', auth: { 'r.io': { username: 'u', password: 'p' } } }), V1), {
      apiVersion: V1,
      cacheKeyType: 'Registry',
      cacheDurationMs: 3_600_000,
      auth: { 'r.io': { username: 'u', password: 'p' } },
    });
  });
  const cases: { name: string; text: string; expected?: typeof V1 | typeof V1BETA1; kubelet: RegExp; detail: RegExp }[] = [
    { name: 'garbage', text: 'hello', kubelet: /^error reading GVK from response: /, detail: /not JSON/ },
    { name: 'empty stdout', text: '', kubelet: /^error reading GVK from response: /, detail: /not JSON/ },
    { name: 'another apiVersion', text: ok({ cacheKeyType: 'Image' }, V1BETA1), kubelet: /did not match expected apiVersion:credentialprovider.kubelet.k8s.io\/v1, actual apiVersion:credentialprovider.kubelet.k8s.io\/v1beta1$/, detail: /did not match/ },
    { name: 'no apiVersion', text: '{"kind":"CredentialProviderResponse"}', kubelet: /actual apiVersion:$/, detail: /did not match/ },
    { name: 'an unknown field', text: ok({ cacheKeyType: 'Image', expiresAt: 'x' }), kubelet: new RegExp(`^${MASKED}$`), detail: /unknown field "expiresAt"/ },
    { name: 'an unknown field inside auth', text: ok({ cacheKeyType: 'Image', auth: { 'r.io': { username: 'u', password: 'p', email: 'e' } } }), kubelet: new RegExp(`^${MASKED}$`), detail: /unknown field auth\["r.io"\]."email"/ },
    { name: 'a duplicated field', text: `{"kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Image","cacheKeyType":"Global"}`, kubelet: new RegExp(`^${MASKED}$`), detail: /duplicate field "cacheKeyType"/ },
    { name: 'a numeric cacheDuration', text: ok({ cacheKeyType: 'Image', cacheDuration: 300 }), kubelet: new RegExp(`^${MASKED}$`), detail: /Go duration string/ },
    { name: 'a cacheDuration without unit', text: ok({ cacheKeyType: 'Image', cacheDuration: '300' }), kubelet: new RegExp(`^${MASKED}$`), detail: /missing unit/ },
    { name: 'a wrong kind', text: JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1, cacheKeyType: 'Image' }), kubelet: new RegExp(`^${MASKED}$`), detail: /kind "CredentialProviderRequest" is not CredentialProviderResponse/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => decodeResponse(c.text, c.expected ?? V1),
        (e: unknown) => e instanceof ResponseDecodeError && c.kubelet.test(e.kubeletMessage) && c.detail.test(e.detail),
      );
    });
  }
  it('never puts a password in the error', () => {
    assert.throws(
      () => decodeResponse(ok({ cacheKeyType: 'Image', auth: { 'r.io': { username: 'u', password: 'HUNTER2', x: 1 } } }), V1),
      (e: unknown) => e instanceof ResponseDecodeError && !e.message.includes('HUNTER2'),
    );
  });
  it('leaves an unknown cacheKeyType to the caller (the kubelet checks it after decoding)', () => {
    assert.equal(decodeResponse(ok({ cacheKeyType: 'Forever' }), V1).cacheKeyType, 'Forever');
  });
});
