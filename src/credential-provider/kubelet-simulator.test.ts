import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.js';
import type { CredentialProviderRequest, CredentialProviderResponse } from './api.js';
import type { CredentialProviderEntry, TokenAttributes } from './kubelet-config.js';
import { KubeletCredentialSimulator } from './kubelet-simulator.js';
import type { PluginOutcome, ServiceAccountInfo } from './kubelet-simulator.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';

function provider(over: Partial<CredentialProviderEntry> = {}): CredentialProviderEntry {
  return { name: 'p', matchImages: ['*.registry.io', 'registry.io'], defaultCacheDurationMs: 600_000, apiVersion: V1, args: [], env: [], ...over };
}

/** A runner answering a fixed response and recording requests. */
function recorder(answer: (req: CredentialProviderRequest) => Partial<Omit<CredentialProviderResponse, 'cacheKeyType'>> & { cacheKeyType: string }) {
  const requests: CredentialProviderRequest[] = [];
  const run = async (_p: CredentialProviderEntry, req: CredentialProviderRequest) => {
    requests.push(req);
    return { apiVersion: V1, auth: { 'registry.io': { username: 'u', password: 'p' } }, ...answer(req) } as CredentialProviderResponse & { cacheKeyType: string };
  };
  return { requests, run };
}

const outcome = (o: PluginOutcome | undefined): string => (o === undefined ? 'none' : o.outcome === 'cache-hit' || o.outcome === 'exec' ? `${o.outcome}:${o.cacheKeyType}:${o.cacheBaseKey}` : o.outcome);

describe('KubeletCredentialSimulator: cache keys', () => {
  // [cacheKeyType, second image, exec again?] — the second pull follows the first
  // (registry.io/team/app) one minute later, within the 10 minute cache.
  const cases: readonly (readonly [string, string, string])[] = [
    ['Image', 'registry.io/team/app:v2', 'cache-hit:Image:registry.io/team/app'],
    ['Image', 'registry.io/team/other', 'exec:Image:registry.io/team/other'],
    ['Registry', 'registry.io/team/other', 'cache-hit:Registry:registry.io'],
    ['Registry', 'a.registry.io/team/app', 'exec:Registry:a.registry.io'],
    ['Global', 'a.registry.io/x', 'cache-hit:Global:global'],
  ];
  for (const [type, second, expected] of cases) {
    it(`${type}: then ${second} → ${expected}`, async () => {
      const clock = new FakeClock();
      const r = recorder(() => ({ cacheKeyType: type }));
      const sim = new KubeletCredentialSimulator({ providers: [provider()], clock, run: r.run });
      assert.equal(outcome((await sim.pull('registry.io/team/app:v1')).plugins[0]), `exec:${type}:${type === 'Image' ? 'registry.io/team/app' : type === 'Registry' ? 'registry.io' : 'global'}`);
      await clock.advance(60_000);
      assert.equal(outcome((await sim.pull(second)).plugins[0]), expected);
    });
  }

  it('the plugin is asked about the repository, never the tag or digest', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Image' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider()], clock: new FakeClock(), run: r.run });
    await sim.pull('registry.io/app@sha256:0123');
    assert.deepEqual(r.requests, [{ apiVersion: V1, image: 'registry.io/app' }]);
  });

  it('an entry expires once the clock is past expiresAt (not at it)', async () => {
    const clock = new FakeClock();
    const r = recorder(() => ({ cacheKeyType: 'Registry', cacheDurationMs: 60_000 }));
    const sim = new KubeletCredentialSimulator({ providers: [provider()], clock, run: r.run });
    await sim.pull('registry.io/a');
    await clock.advance(60_000);
    assert.equal((await sim.pull('registry.io/a')).plugins[0]?.outcome, 'cache-hit');
    await clock.advance(1);
    assert.equal((await sim.pull('registry.io/a')).plugins[0]?.outcome, 'exec');
    assert.equal(r.requests.length, 2);
  });

  it('cacheDuration 0 is never cached; absent falls back to defaultCacheDuration; a default of 0 never caches', async () => {
    for (const [answer, def, execs] of [
      [{ cacheDurationMs: 0 }, 600_000, 2],
      [{}, 600_000, 1],
      [{}, 0, 2],
    ] as const) {
      const r = recorder(() => ({ cacheKeyType: 'Registry', ...answer }));
      const sim = new KubeletCredentialSimulator({ providers: [provider({ defaultCacheDurationMs: def })], clock: new FakeClock(), run: r.run });
      await sim.pull('registry.io/a');
      await sim.pull('registry.io/a');
      assert.equal(r.requests.length, execs, JSON.stringify(answer));
    }
  });

  it('an unknown cacheKeyType discards the answer with the kubelet\'s message', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Forever' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider()], clock: new FakeClock(), run: r.run });
    const o = (await sim.pull('registry.io/a')).plugins[0];
    assert.deepEqual(o?.outcome === 'error' && o.kubeletMessage, 'credential provider plugin did not return a valid cacheKeyType: "Forever"');
  });

  it('an image no pattern matches is not sent to the plugin, with the reason', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Image' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider({ matchImages: ['*.registry.io'] })], clock: new FakeClock(), run: r.run });
    const o = (await sim.pull('a.b.registry.io/x')).plugins[0];
    assert.deepEqual(o, { plugin: 'p', outcome: 'not-matched', reason: '*.registry.io: host has 4 labels, the pattern 3' });
    assert.equal(r.requests.length, 0);
  });

  it('concurrent misses of one image share one exec (singleflight)', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Image' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider()], clock: new FakeClock(), run: r.run });
    const reports = await sim.pullTogether([{ reference: 'registry.io/a:1' }, { reference: 'registry.io/a:2' }, { reference: 'registry.io/b' }]);
    assert.equal(r.requests.length, 2);
    assert.deepEqual(reports.map((x) => { const o = x.plugins[0]; return o?.outcome === 'exec' ? Boolean(o.shared) : o?.outcome; }), [false, true, false]);
  });
});

describe('KubeletCredentialSimulator: service-account token mode', () => {
  const sa: ServiceAccountInfo = { namespace: 'ns', name: 'puller', uid: 'sa-uid', annotations: { 'example.com/role': 'r1', 'example.com/other': 'x' } };
  const attrs = (over: Partial<TokenAttributes> = {}): TokenAttributes => ({
    serviceAccountTokenAudience: 'registry.io',
    cacheType: 'ServiceAccount',
    requireServiceAccount: true,
    requiredServiceAccountAnnotationKeys: ['example.com/role'],
    optionalServiceAccountAnnotationKeys: [],
    ...over,
  });
  const pod = (name: string, serviceAccountName = 'puller') => ({ namespace: 'ns', name, uid: `uid-${name}`, serviceAccountName });

  it('sends the token and only the configured annotations', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Registry' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider({ tokenAttributes: attrs() })], clock: new FakeClock(), run: r.run, serviceAccounts: [sa] });
    await sim.pull('registry.io/a', pod('web-1'));
    assert.deepEqual(r.requests[0]?.serviceAccountAnnotations, { 'example.com/role': 'r1' });
    const claims = JSON.parse(Buffer.from(r.requests[0]?.serviceAccountToken?.split('.')[1] ?? '', 'base64url').toString()) as { aud: string[]; sub: string };
    assert.deepEqual([claims.aud, claims.sub], [['registry.io'], 'system:serviceaccount:ns:puller']);
  });

  it('cacheType ServiceAccount: a second pod of the same service account hits the cache', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Registry' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider({ tokenAttributes: attrs() })], clock: new FakeClock(), run: r.run, serviceAccounts: [sa] });
    await sim.pull('registry.io/a', pod('web-1'));
    assert.equal((await sim.pull('registry.io/a', pod('web-2'))).plugins[0]?.outcome, 'cache-hit');
  });

  it('cacheType Token: each pod (each token) execs; the same pod hits', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Registry' }));
    const sim = new KubeletCredentialSimulator({ providers: [provider({ tokenAttributes: attrs({ cacheType: 'Token' }) })], clock: new FakeClock(), run: r.run, serviceAccounts: [sa] });
    await sim.pull('registry.io/a', pod('web-1'));
    assert.equal((await sim.pull('registry.io/a', pod('web-2'))).plugins[0]?.outcome, 'exec');
    assert.equal((await sim.pull('registry.io/a', pod('web-1'))).plugins[0]?.outcome, 'cache-hit');
  });

  it('a missing required annotation or a pod without a service account skips the plugin', async () => {
    const r = recorder(() => ({ cacheKeyType: 'Registry' }));
    const bare: ServiceAccountInfo = { namespace: 'ns', name: 'bare', uid: 'u' };
    const sim = new KubeletCredentialSimulator({ providers: [provider({ tokenAttributes: attrs() })], clock: new FakeClock(), run: r.run, serviceAccounts: [sa, bare] });
    const a = (await sim.pull('registry.io/a', pod('w', 'bare'))).plugins[0];
    const b = (await sim.pull('registry.io/a', pod('w', ''))).plugins[0];
    assert.match(a?.outcome === 'skipped' ? a.reason : '', /required annotation example.com\/role not found/);
    assert.match(b?.outcome === 'skipped' ? b.reason : '', /service account name is empty for pod ns\/w/);
    assert.equal(r.requests.length, 0);
  });

  it('the token echoed as the password is refused unless cacheType is Token', async () => {
    const echo = (req: CredentialProviderRequest) => ({ cacheKeyType: 'Registry', auth: { 'registry.io': { username: 'u', password: req.serviceAccountToken ?? '' } } });
    for (const [cacheType, expected] of [['ServiceAccount', 'error'], ['Token', 'exec']] as const) {
      const r = recorder(echo);
      const sim = new KubeletCredentialSimulator({ providers: [provider({ tokenAttributes: attrs({ cacheType }) })], clock: new FakeClock(), run: r.run, serviceAccounts: [sa] });
      assert.equal((await sim.pull('registry.io/a', pod('w'))).plugins[0]?.outcome, expected);
    }
  });
});
