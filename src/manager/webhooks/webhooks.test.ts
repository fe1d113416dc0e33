import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { noopLogger } from '../../log/logger.js';
import { FlagError } from '../options/flag-error.js';
import { ServingCertError, ServingError } from '../serving/index.js';
import { freePort, httpsPost as post } from '../serving/loopback.test-util.js';
import type { AdmissionRequest, AdmissionWebhook } from './admission.js';
import { WebhookRegistrationError, enabledWebhooks } from './enabled-webhooks.js';
import { startWebhookServing } from './serve-webhooks.js';
import type { WebhookServingHandle } from './serve-webhooks.js';

const request1: AdmissionRequest = {
  uid: 'a1b2',
  kind: { group: '', version: 'v1', kind: 'Service' },
  resource: { group: '', version: 'v1', resource: 'services' },
  namespace: 'public',
  name: 'web',
  operation: 'CREATE',
  userInfo: { username: 'alice' },
  object: { metadata: { name: 'web' }, spec: { type: 'LoadBalancer' } },
};
const review = (request: unknown = request1): string => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });

const policy: AdmissionWebhook = {
  name: 'lb-policy',
  path: '/validate-services',
  admit: (r) => (r.namespace === 'public' ? { allowed: false, status: { code: 403, message: 'no public load balancers' } } : { allowed: true }),
};
const failing: AdmissionWebhook = {
  name: 'failing',
  path: '/fail',
  admit: () => {
    throw new Error('quota service down');
  },
};
const silent: AdmissionWebhook = { name: 'silent', path: '/silent', admit: () => Promise.resolve(undefined) };

describe('enabledWebhooks (--webhooks)', () => {
  const all = [policy, failing, silent];
  const cases: [string[], string[]][] = [
    [[], []],
    [['*'], ['lb-policy', 'failing', 'silent']],
    [['*', '-failing'], ['lb-policy', 'silent']],
    [['silent'], ['silent']],
    [['-silent', 'silent'], []],
  ];
  for (const [list, names] of cases) {
    it(`--webhooks=${list.join(',')} turns on [${names.join(', ')}]`, () => assert.deepEqual(enabledWebhooks(all, list).map((w) => w.name), names));
  }
  it('refuses a name no webhook has, naming the flag and the known ones', () => {
    assert.throws(
      () => enabledWebhooks(all, ['*', '-nope']),
      (err: unknown) => err instanceof FlagError && err.message === '--webhooks: "nope" is not in the list of known webhooks: failing, lb-policy, silent',
    );
    assert.throws(() => enabledWebhooks([], ['x']), /"x" is not in the list of known webhooks \(none are registered\)/);
  });
  it('refuses duplicate names and paths and paths without a leading slash', () => {
    assert.throws(() => enabledWebhooks([policy, { ...silent, name: 'lb-policy' }], []), WebhookRegistrationError);
    assert.throws(() => enabledWebhooks([policy, { ...silent, path: '/validate-services' }], []), /already served/);
    assert.throws(() => enabledWebhooks([{ ...silent, path: 'silent' }], []), /must start with "\/"/);
  });
});

describe('startWebhookServing', () => {
  const recorded: string[] = [];
  let serving: WebhookServingHandle;
  before(async () => {
    serving = await startWebhookServing({
      bindAddress: '127.0.0.1',
      securePort: await freePort(),
      webhooks: [policy, failing, silent],
      metrics: { webhookRequest: (code, webhook) => recorded.push(`${webhook} ${code}`) },
      logger: noopLogger,
    });
  });
  after(() => serving.close());

  it('answers an AdmissionReview with the response, its uid set to the request uid', async () => {
    const answer = await post(serving.port, '/validate-services', review());
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'application/json');
    assert.deepEqual(JSON.parse(answer.body), {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'a1b2', allowed: false, status: { code: 403, message: 'no public load balancers' } },
    });
    assert.deepEqual((JSON.parse((await post(serving.port, '/validate-services', review({ ...request1, uid: 'u2', namespace: 'team' }))).body) as { response: unknown }).response, { uid: 'u2', allowed: true });
  });

  const bad: [string, string, string, string, number, RegExp][] = [
    ['a non-JSON content type', '/validate-services', review(), 'text/plain', 400, /^Content-Type: "text\/plain" should be "application\/json"\n$/],
    ['an empty body', '/validate-services', '', 'application/json', 400, /^admission request HTTP body is empty\n$/],
    ['a body that is not JSON', '/validate-services', '{"apiVersion":', 'application/json', 400, /^could not deserialize incoming admission review: /],
    ['another kind', '/validate-services', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), 'application/json', 400, /expected apiVersion "admission.k8s.io\/v1" and kind "AdmissionReview"/],
    ['a review without a request', '/validate-services', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'application/json', 400, /^admission review can't be used: Request field is nil\n$/],
    ['a handler that throws', '/fail', review(), 'application/json', 500, /^error generating admission response: quota service down\n$/],
    ['a handler with no answer', '/silent', review(), 'application/json', 500, /^admission response cannot be nil\n$/],
    ['an unknown path', '/other', review(), 'application/json', 404, /^404 page not found\n$/],
  ];
  for (const [name, path, body, type, status, message] of bad) {
    it(`answers ${status} to ${name}`, async () => {
      const answer = await post(serving.port, path, body, type);
      assert.equal(answer.status, status);
      assert.match(answer.body, message);
    });
  }

  it('accepts media-type parameters on application/json', async () => {
    assert.equal((await post(serving.port, '/validate-services', review(), 'application/json; charset=utf-8')).status, 200);
  });

  it('counts each answered request by webhook and code (cloud_provider_webhook_request_*)', async () => {
    recorded.length = 0;
    await post(serving.port, '/validate-services', review());
    await post(serving.port, '/fail', review());
    await post(serving.port, '/silent', '');
    await post(serving.port, '/other', review());
    assert.deepEqual(recorded, ['lb-policy 200', 'failing 500', 'silent 400']);
  });
});

describe('startWebhookServing listener', () => {
  it('serves nothing with port 0 or no enabled webhook', async () => {
    for (const o of [{ securePort: 0, webhooks: [policy] }, { securePort: 10260, webhooks: [] }]) {
      const handle = await startWebhookServing({ bindAddress: '127.0.0.1', metrics: { webhookRequest: () => {} }, logger: noopLogger, ...o });
      assert.equal(handle.port, 0);
      await handle.close();
    }
  });
  it('says in words that the port is taken', async () => {
    const first = await startWebhookServing({ bindAddress: '127.0.0.1', securePort: await freePort(), webhooks: [policy], metrics: { webhookRequest: () => {} }, logger: noopLogger });
    try {
      await assert.rejects(
        startWebhookServing({ bindAddress: '127.0.0.1', securePort: first.port, webhooks: [policy], metrics: { webhookRequest: () => {} }, logger: noopLogger }),
        (err: unknown) => err instanceof ServingError && err.message === `failed to listen on 127.0.0.1:${first.port}: address already in use`,
      );
    } finally {
      await first.close();
    }
  });
  it('names the --webhook-tls-* flag of a missing certificate file', async () => {
    await assert.rejects(
      startWebhookServing({ bindAddress: '127.0.0.1', securePort: await freePort(), tlsCertFile: '/nonexistent/tls.crt', tlsPrivateKeyFile: '/nonexistent/tls.key', webhooks: [policy], metrics: { webhookRequest: () => {} }, logger: noopLogger }),
      (err: unknown) => err instanceof ServingCertError && err.flag === '--webhook-tls-cert-file' && /^--webhook-tls-cert-file: cannot read "\/nonexistent\/tls.crt"/.test(err.message),
    );
  });
});
