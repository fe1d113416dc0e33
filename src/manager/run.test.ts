import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudProvider } from '../cloud/provider.js';
import { ProviderRegistry } from '../cloud/registry.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { HttpApiServer } from '../kube/memory/http/index.js';
import { FakeCloudProvider } from '../providers/fake/index.js';
import { registerBuiltinProviders } from '../providers/builtin.js';
import { EXIT_OK, EXIT_USAGE, runCloudControllerManager } from './run.js';
import { freePort, httpsPost } from './serving/loopback.test-util.js';

/** Captures text and tells listeners about each write. */
class Capture {
  text = '';
  readonly #waiters: { match: RegExp; resolve: () => void }[] = [];
  write(chunk: string): boolean {
    this.text += chunk;
    for (const w of [...this.#waiters]) {
      if (w.match.test(this.text)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
    return true;
  }
  waitFor(match: RegExp): Promise<void> {
    if (match.test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

async function run(argv: string[], registry = registerBuiltinProviders(new ProviderRegistry())): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCloudControllerManager({ argv, registry, stdout, stderr, handleSignals: false, env: {} });
  return { code, out: stdout.text, err: stderr.text };
}


describe('runCloudControllerManager', () => {
  it('prints --help with upstream sections and exits 0', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, EXIT_OK);
    assert.match(r.out, /Leader-migration flags:/);
    assert.match(r.out, /--leader-elect-lease-duration duration/);
  });

  it('prints --version and exits 0', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, EXIT_OK);
    assert.match(r.out, /^outrigger \d+\.\d+\.\d+/);
  });

  const bad: [string, string[], RegExp][] = [
    ['an unknown flag', ['--cloud-provider=fake', '--nope'], /^Error: unknown flag: --nope\n$/],
    ['a missing --cloud-provider', [], /^Error: --cloud-provider cannot be empty\n$/],
    ['an unknown provider', ['--cloud-provider=acme'], /Error: unknown cloud provider "acme" \(registered: "fake", "local"\)\n$/],
    ['"external" (no provider in this process)', ['--cloud-provider=external'], /Error: --cloud-provider=external: no cloud provider runs in this process/],
    ['a missing kubeconfig file', ['--cloud-provider=fake', '--kubeconfig=/nonexistent/kubeconfig'], /Error: .*\/nonexistent\/kubeconfig/],
    ['an unknown TLS cipher suite', ['--cloud-provider=fake', '--tls-cipher-suites=TLS_NOPE'], /^Error: --tls-cipher-suites: unknown cipher suite "TLS_NOPE"/],
    ['an unknown --webhooks name', ['--cloud-provider=fake', '--webhooks=nope'], /^Error: --webhooks: "nope" is not in the list of known webhooks \(none are registered\)\n$/],
  ];
  for (const [name, argv, message] of bad) {
    it(`exits 2 on ${name} with one message and no stack trace`, async () => {
      const r = await run(argv);
      assert.equal(r.code, EXIT_USAGE, r.err);
      assert.match(r.err, message);
      assert.doesNotMatch(r.err, /\n\s+at /);
    });
  }

  it('builds in the local provider: --cloud-provider=local reads its --cloud-config (file:line errors)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-run-local-'));
    try {
      const path = join(dir, 'local.yaml');
      await writeFile(path, 'pools:\n  - name: a\n    ranges: [nope]\n');
      const r = await run(['--cloud-provider=local', `--cloud-config=${path}`]);
      assert.equal(r.code, EXIT_USAGE, r.err);
      assert.match(r.err, /Error: could not init cloud provider "local": invalid local cloud config .*local\.yaml:3: pools\[0\]\.ranges\[0\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints the stack trace of an input error at -v=4', async () => {
    const r = await run(['-v=4', '--cloud-provider=acme']);
    assert.equal(r.code, EXIT_USAGE);
    assert.match(r.err, /UnknownProviderError: unknown cloud provider "acme"[^\n]*\n\s+at /);
  });

  it('prints pflag deprecation warnings on stderr', async () => {
    const r = await run(['--node-sync-period=1m']);
    assert.match(r.err, /^Flag --node-sync-period has been deprecated, it does nothing and will be removed\.\n/);
  });

  describe('against the simulated API over HTTP', () => {
    let http: HttpApiServer;
    let api: SimulatedApiServer;
    let dir: string;
    let kubeconfig: string;
    before(async () => {
      api = new SimulatedApiServer();
      http = await HttpApiServer.start({ server: api });
      dir = await mkdtemp(join(tmpdir(), 'outrigger-run-'));
      kubeconfig = join(dir, 'kubeconfig');
      await http.writeKubeconfig(kubeconfig);
    });
    after(async () => {
      await http.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('stops its controllers and exits 1 when another holder takes the lease', async () => {
      const api = new SimulatedApiServer();
      const face = await HttpApiServer.start({ server: api });
      const config = join(dir, 'lost-kubeconfig');
      await face.writeKubeconfig(config);
      const stderr = new Capture();
      try {
        const done = runCloudControllerManager({
          argv: [
            '--cloud-provider=fake',
            '--cluster-cidr=10.244.0.0/16',
            `--kubeconfig=${config}`,
            '--secure-port=0',
            '--leader-elect-lease-duration=3s',
            '--leader-elect-renew-deadline=2s',
            '--leader-elect-retry-period=500ms',
          ],
          registry: registerBuiltinProviders(new ProviderRegistry()),
          stdout: new Capture(),
          stderr,
          handleSignals: false,
          env: {},
        });
        await stderr.waitFor(/"Started controller"/);
        // Another candidate overwrites the record: our renewals now fail until the renew deadline.
        const leases = api.client().leases;
        const lease = await leases.get({ namespace: 'kube-system', name: 'cloud-controller-manager' });
        await leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date(Date.now() + 60_000).toISOString().replace('Z', '000Z'), leaseDurationSeconds: 60 } });
        assert.equal(await done, 1, stderr.text);
        assert.match(stderr.text, /leaderelection lost/);
      } finally {
        await face.close();
      }
    });

    it('hands the Lease back on shutdown once its controllers drained (empty holder), so a standby need not wait out the lease', async () => {
      const api = new SimulatedApiServer();
      const face = await HttpApiServer.start({ server: api });
      const config = join(dir, 'release-kubeconfig');
      await face.writeKubeconfig(config);
      const stderr = new Capture();
      const shutdown = new AbortController();
      try {
        const done = runCloudControllerManager({
          argv: ['--cloud-provider=fake', '--cluster-cidr=10.244.0.0/16', `--kubeconfig=${config}`, '--secure-port=0', '--leader-elect-lease-duration=60s', '--leader-elect-renew-deadline=40s', '--leader-elect-retry-period=2s'],
          registry: registerBuiltinProviders(new ProviderRegistry()),
          stdout: new Capture(),
          stderr,
          signal: shutdown.signal,
          handleSignals: false,
          env: {},
        });
        await stderr.waitFor(/"Started controller"/);
        const held = await api.client().leases.get({ namespace: 'kube-system', name: 'cloud-controller-manager' });
        assert.notEqual(held.spec?.holderIdentity ?? '', '');
        shutdown.abort();
        assert.equal(await done, 0, stderr.text);
        const released = await api.client().leases.get({ namespace: 'kube-system', name: 'cloud-controller-manager' });
        assert.equal(released.spec?.holderIdentity ?? '', '');
        assert.equal(released.spec?.leaseDurationSeconds, 1);
        assert.match(stderr.text, /"Released lease"/);
      } finally {
        await face.close();
      }
    });

    it('with --use-service-account-credentials, each controller writes with its own service-account token while informers keep the root credentials', async () => {
      const sim = new SimulatedApiServer();
      const face = await HttpApiServer.start({ server: sim, token: 'root-token' });
      const config = join(dir, 'sa-kubeconfig');
      await face.writeKubeconfig(config);
      const stderr = new Capture();
      const shutdown = new AbortController();
      try {
        await sim.client().services.create({ metadata: { namespace: 'default', name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } });
        const statusPatch = face.nextRequest((r) => r.method === 'PATCH' && r.pathname === '/api/v1/namespaces/default/services/web/status');
        const done = runCloudControllerManager({
          argv: ['--cloud-provider=acme', `--kubeconfig=${config}`, '--secure-port=0', '--use-service-account-credentials', '--controllers=service', '--leader-elect=false'],
          registry: registerBuiltinProviders(new ProviderRegistry()),
          providers: [
            {
              name: 'acme',
              factory: (): CloudProvider => {
                const fake = new FakeCloudProvider({ name: 'acme', capabilities: ['loadBalancer'] });
                // A provider's own housekeeping client, by a name of its choosing.
                fake.initialize = async ({ clientBuilder }) => {
                  await clientBuilder.client('acme-housekeeping').nodes.list();
                };
                return fake;
              },
            },
          ],
          stdout: new Capture(),
          stderr,
          signal: shutdown.signal,
          handleSignals: false,
          env: {},
        });
        const patch = await statusPatch;
        const token = /^Bearer (.+)$/.exec(patch.headers['authorization'] ?? '')?.[1] ?? '';
        assert.equal(sim.authenticateToken(token)?.username, 'system:serviceaccount:kube-system:service-controller', stderr.text);
        assert.equal(patch.headers['user-agent'], 'cloud-controller-manager/service-controller');
        const minted = face.requests.filter((r) => r.method === 'POST' && r.pathname.endsWith('/token'));
        assert.deepEqual(minted.map((r) => r.pathname).sort(), [
          '/api/v1/namespaces/kube-system/serviceaccounts/acme-housekeeping/token',
          '/api/v1/namespaces/kube-system/serviceaccounts/service-controller/token',
        ]);
        const housekeeping = face.requests.find((r) => r.method === 'GET' && r.pathname === '/api/v1/nodes' && r.headers['user-agent'] === 'cloud-controller-manager/acme-housekeeping');
        assert.equal(sim.authenticateToken(/^Bearer (.+)$/.exec(housekeeping?.headers['authorization'] ?? '')?.[1] ?? '')?.username, 'system:serviceaccount:kube-system:acme-housekeeping');
        assert.ok(minted.every((r) => r.headers['authorization'] === 'Bearer root-token'), 'the manager mints tokens with its own credentials');
        const informerRequests = face.requests.filter((r) => r.method === 'GET' && r.pathname === '/api/v1/services');
        assert.ok(informerRequests.length > 0 && informerRequests.every((r) => r.headers['authorization'] === 'Bearer root-token'));
        shutdown.abort();
        assert.equal(await done, EXIT_OK, stderr.text);
      } finally {
        await face.close();
      }
    });

    it('serves the admission webhooks --webhooks turns on, with the CloudControllerManagerWebhook gate, before and regardless of leadership', async () => {
      const port = await freePort();
      const shutdown = new AbortController();
      const stderr = new Capture();
      const done = runCloudControllerManager({
        argv: [
          '--cloud-provider=fake',
          `--kubeconfig=${kubeconfig}`,
          '--secure-port=0',
          // No '*': nothing runs but the webhooks.
          '--controllers=-service-lb-controller',
          '--feature-gates=CloudControllerManagerWebhook=true',
          '--webhooks=*,-other',
          '--webhook-bind-address=127.0.0.1',
          `--webhook-secure-port=${port}`,
          '--leader-elect-resource-name=webhook-test',
        ],
        registry: registerBuiltinProviders(new ProviderRegistry()),
        webhooks: [
          { name: 'deny-all', path: '/deny', admit: () => ({ allowed: false }) },
          { name: 'other', path: '/other', admit: () => ({ allowed: true }) },
        ],
        stdout: new Capture(),
        stderr,
        signal: shutdown.signal,
        handleSignals: false,
        env: {},
      });
      await Promise.race([stderr.waitFor(/"Serving webhooks"/), done.then((code) => assert.fail(`exited ${code}: ${stderr.text}`))]);
      const review = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'x1', operation: 'CREATE' } });
      const answer = await httpsPost(port, '/deny', review);
      assert.equal(answer.status, 200, answer.body);
      assert.deepEqual(JSON.parse(answer.body), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { allowed: false, uid: 'x1' } });
      assert.equal((await httpsPost(port, '/other', review)).status, 404, 'a webhook --webhooks turned off is not served');
      shutdown.abort();
      assert.equal(await done, EXIT_OK, stderr.text);
      await assert.rejects(httpsPost(port, '/deny', review), /ECONNREFUSED/, 'the listener closes on shutdown');
    });

    it('registers the caller\'s providers, initialises once under leader migration, runs migrated controllers under the migration lease, and exits 0 when aborted', async () => {
      let initialized = 0;
      const registry = new ProviderRegistry();
      const stderr = new Capture();
      const shutdown = new AbortController();
      const migrationConfig = join(dir, 'migration.yaml');
      await writeFile(
        migrationConfig,
        [
          'apiVersion: controllermanager.config.k8s.io/v1',
          'kind: LeaderMigrationConfiguration',
          'leaderName: test-migration',
          'controllerLeaders:',
          '  - name: cloud-node-lifecycle-controller',
          '    component: "*"',
          '  - name: node-route-controller',
          '    component: kube-controller-manager',
          '',
        ].join('\n'),
      );
      const done = runCloudControllerManager({
        argv: [
          '--cloud-provider=acme',
          `--kubeconfig=${kubeconfig}`,
          '--secure-port=0',
          '--enable-leader-migration',
          `--leader-migration-config=${migrationConfig}`,
          '--leader-elect-lease-duration=3s',
          '--leader-elect-renew-deadline=2s',
          '--leader-elect-retry-period=500ms',
        ],
        registry,
        providers: [
          {
            name: 'acme',
            factory: (): CloudProvider => {
              const fake = new FakeCloudProvider({ name: 'acme', capabilities: ['instancesV2', 'loadBalancer', 'routes'] });
              const initialize = fake.initialize.bind(fake);
              fake.initialize = async (ctx) => {
                initialized++;
                await initialize(ctx);
              };
              return fake;
            },
          },
        ],
        stdout: new Capture(),
        stderr,
        signal: shutdown.signal,
        handleSignals: false,
        env: {},
      });
      await stderr.waitFor(/"Started controller" controller="cloud-node-lifecycle-controller"/);
      assert.match(stderr.text, /"Controllers owned by another manager will not run here" controllers=\["node-route-controller"\]/);
      // The migrated controller starts only after the migration lease is held.
      const migrationStart = stderr.text.indexOf('lease="kube-system/test-migration"');
      assert.ok(migrationStart > 0 && migrationStart < stderr.text.indexOf('controller="cloud-node-lifecycle-controller"'), stderr.text);
      assert.doesNotMatch(stderr.text, /"Starting controller" controller="node-route-controller"/);
      shutdown.abort();
      assert.equal(await done, EXIT_OK, stderr.text);
      assert.equal(initialized, 1);
      // client-go's lock events, recorded on each Lease by the manager's recorder (drained on exit).
      const leaseEvents = (await api.client().events.list({ namespace: 'kube-system' })).items.filter((e) => e.reason === 'LeaderElection');
      for (const lease of ['cloud-controller-manager', 'test-migration']) {
        const became = leaseEvents.find((e) => e.involvedObject.name === lease && / became leader$/.test(e.message ?? ''));
        assert.ok(became !== undefined, `no "became leader" event on Lease ${lease}: ${JSON.stringify(leaseEvents)}`);
        assert.equal(became.involvedObject.kind, 'Lease');
        assert.equal(became.involvedObject.apiVersion, 'coordination.k8s.io/v1');
        assert.equal(became.type, 'Normal');
        assert.equal(became.source?.component, 'cloud-controller-manager');
        assert.match(became.message ?? '', /^[^_\s]+_[0-9a-f-]{36} became leader$/);
      }
    });
  });
});
