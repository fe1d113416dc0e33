import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, RealClock } from '../../kube/clock.js';
import { MemoryLogSink, createLogger, noopLogger } from '../../log/logger.js';
import { createManagerMetrics } from '../metrics/index.js';
import { DelegatedAuth } from './delegated-auth.js';
import type { HealthCheck } from './health.js';
import { ReviewStub } from './review-stub.test-util.js';
import { DEFAULT_ALWAYS_ALLOW_PATHS, ServingError, bearerToken, isAlwaysAllowed, startServing } from './start-serving.js';
import type { ServingHandle, StartServingOptions } from './start-serving.js';
import { ServingCertError, loadServingCertificate } from './tls.js';
import { freePort } from './loopback.test-util.js';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly cert: PeerCertificate;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const socket = res.socket as unknown as { getPeerCertificate(): PeerCertificate };
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers, cert: socket.getPeerCertificate() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function options(overrides: Partial<StartServingOptions> = {}): StartServingOptions {
  return {
    bindAddress: '127.0.0.1',
    securePort: 0,
    alwaysAllowPaths: DEFAULT_ALWAYS_ALLOW_PATHS,
    metrics: createManagerMetrics({ processMetrics: false }),
    healthz: [],
    readyz: [],
    livez: [],
    logger: noopLogger,
    ...overrides,
  };
}

describe('startServing without auth', () => {
  let leaderHealthy = true;
  let synced = false;
  const leaderElection: HealthCheck = {
    name: 'leaderElection',
    check: () => {
      if (!leaderHealthy) throw new Error('lease not renewed for 45s');
    },
  };
  const cacheSync: HealthCheck = {
    name: 'informer-sync',
    check: async () => {
      await Promise.resolve();
      if (!synced) throw new Error('caches not synced');
    },
  };
  const ping: HealthCheck = { name: 'ping', check: () => {} };
  const logs = new MemoryLogSink();
  const metrics = createManagerMetrics({ processMetrics: false });
  let serving: ServingHandle;

  before(async () => {
    serving = await startServing(
      options({
        securePort: await freePort(),
        metrics,
        healthz: [ping, leaderElection],
        readyz: [ping, cacheSync],
        livez: [ping],
        configz: '{"cloudcontrollermanager.config.k8s.io":{"kind":"CloudControllerManagerConfiguration"}}',
        logger: createLogger(logs.sink, 4),
      }),
    );
    metrics.workQueue.add('service');
  });
  after(() => serving.close());

  const cases: { name: string; path: string; setup?: () => void; status: number; body: string | RegExp }[] = [
    { name: '/healthz answers ok when every check passes', path: '/healthz', status: 200, body: 'ok' },
    { name: '/healthz?verbose lists every check and ends with "check passed"', path: '/healthz?verbose', status: 200, body: '[+]ping ok\n[+]leaderElection ok\nhealthz check passed\n' },
    {
      name: '/healthz fails with the list and withholds the reason when a check fails',
      path: '/healthz',
      setup: () => (leaderHealthy = false),
      status: 500,
      body: '[+]ping ok\n[-]leaderElection failed: reason withheld\nhealthz check failed\n',
    },
    {
      name: '/healthz?exclude= skips a failing check and says so in verbose output',
      path: '/healthz?verbose&exclude=leaderElection',
      setup: () => (leaderHealthy = false),
      status: 200,
      body: '[+]ping ok\n[+]leaderElection excluded: ok\nhealthz check passed\n',
    },
    {
      name: '/healthz warns about excluded checks that do not exist',
      path: '/healthz?verbose&exclude=nope',
      status: 200,
      body: '[+]ping ok\n[+]leaderElection ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nhealthz check passed\n',
    },
    {
      name: '/healthz/<name> runs one check and shows its error',
      path: '/healthz/leaderElection',
      setup: () => (leaderHealthy = false),
      status: 500,
      body: 'internal server error: lease not renewed for 45s\n',
    },
    { name: '/healthz/<name> answers ok for a passing check', path: '/healthz/ping', status: 200, body: 'ok' },
    { name: '/healthz/<unknown> is 404', path: '/healthz/nope', status: 404, body: '404 page not found\n' },
    { name: '/readyz fails until the caches are synced', path: '/readyz?verbose', status: 500, body: '[+]ping ok\n[-]informer-sync failed: reason withheld\nreadyz check failed\n' },
    { name: '/readyz passes once the caches are synced', path: '/readyz', setup: () => (synced = true), status: 200, body: 'ok' },
    { name: '/livez answers ok', path: '/livez?verbose', status: 200, body: '[+]ping ok\nlivez check passed\n' },
    { name: 'an unknown path is 404', path: '/debug/pprof/', status: 404, body: '404 page not found\n' },
    { name: '/configz serves the component configuration', path: '/configz', status: 200, body: '{"cloudcontrollermanager.config.k8s.io":{"kind":"CloudControllerManagerConfiguration"}}' },
    { name: 'a path below /configz is 404', path: '/configz/x', status: 404, body: '404 page not found\n' },
    { name: 'a path below a health check is 404', path: '/healthz/ping/extra', status: 404, body: '404 page not found\n' },
    { name: '/metrics serves the registry in the Prometheus text format', path: '/metrics', status: 200, body: /^workqueue_adds_total\{name="service"\} 1$/m },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      leaderHealthy = true;
      synced = false;
      c.setup?.();
      const answer = await get(serving.port, c.path);
      assert.equal(answer.status, c.status);
      if (typeof c.body === 'string') assert.equal(answer.body, c.body);
      else assert.match(answer.body, c.body);
    });
  }

  it('answers health endpoints as text/plain and /metrics with the Prometheus content type', async () => {
    assert.equal((await get(serving.port, '/healthz')).headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal((await get(serving.port, '/metrics')).headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  });

  it('logs the withheld reason of a failed check', async () => {
    leaderHealthy = false;
    await get(serving.port, '/healthz');
    leaderHealthy = true;
    assert.ok(logs.records.some((r) => r.msg === 'healthz check failed' && r.values['check'] === 'leaderElection'));
  });

  it('serves a self-signed certificate valid for localhost and 127.0.0.1', async () => {
    const { cert } = await get(serving.port, '/healthz');
    assert.equal(cert.subject.CN, 'localhost');
    assert.match(cert.subjectaltname ?? '', /DNS:localhost/);
    assert.match(cert.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
  });
});

describe('startServing listener and certificates', () => {
  it('does not listen when the secure port is 0', async () => {
    const serving = await startServing(options({ securePort: 0 }));
    assert.equal(serving.port, 0);
    await serving.close();
  });

  it('fails with an error naming the address and port when the port is in use', async () => {
    const first = await startServing(options({ securePort: await freePort() }));
    try {
      await assert.rejects(
        startServing(options({ securePort: first.port })),
        (err: unknown) =>
          err instanceof ServingError &&
          err.port === first.port &&
          err.address === '127.0.0.1' &&
          err.message === `failed to listen on 127.0.0.1:${first.port}: address already in use`,
      );
    } finally {
      await first.close();
    }
  });

  it('rejects an out-of-range port', async () => {
    await assert.rejects(startServing(options({ securePort: 70000 })), /--secure-port must be an integer between 0 and 65535/);
  });

  it('serves the certificate from --tls-cert-file/--tls-private-key-file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-serving-'));
    try {
      const pair = await loadServingCertificate({ bindAddress: '10.1.2.3', clock: new RealClock() });
      await writeFile(join(dir, 'tls.crt'), pair.cert);
      await writeFile(join(dir, 'tls.key'), pair.key);
      const serving = await startServing(options({ securePort: await freePort(), tlsCertFile: join(dir, 'tls.crt'), tlsPrivateKeyFile: join(dir, 'tls.key') }));
      try {
        const { cert } = await get(serving.port, '/healthz');
        // Generated for the bind address 10.1.2.3, so this is the file's certificate.
        assert.match(cert.subjectaltname ?? '', /IP Address:10\.1\.2\.3/);
      } finally {
        await serving.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects certificate files that hold no usable PEM pair, naming the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-serving-'));
    try {
      await writeFile(join(dir, 'tls.crt'), 'not a certificate');
      await writeFile(join(dir, 'tls.key'), 'not a key');
      await assert.rejects(
        startServing(options({ securePort: await freePort(), tlsCertFile: join(dir, 'tls.crt'), tlsPrivateKeyFile: join(dir, 'tls.key') })),
        (err: unknown) => err instanceof ServingCertError && /--tls-cert-file\/--tls-private-key-file: .*tls\.crt: unusable certificate or key/.test(err.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const certCases: { name: string; files: { tlsCertFile?: string; tlsPrivateKeyFile?: string }; flag: string; message: RegExp }[] = [
    { name: 'a key without a certificate', files: { tlsPrivateKeyFile: '/x.key' }, flag: '--tls-cert-file', message: /--tls-cert-file is required when --tls-private-key-file is set/ },
    { name: 'a certificate without a key', files: { tlsCertFile: '/x.crt' }, flag: '--tls-private-key-file', message: /--tls-private-key-file is required/ },
    {
      name: 'an unreadable certificate file',
      files: { tlsCertFile: '/nonexistent/tls.crt', tlsPrivateKeyFile: '/nonexistent/tls.key' },
      flag: '--tls-cert-file',
      message: /--tls-cert-file: cannot read "\/nonexistent\/tls.crt"/,
    },
  ];
  for (const c of certCases) {
    it(`rejects ${c.name} naming the flag`, async () => {
      await assert.rejects(
        loadServingCertificate({ bindAddress: '0.0.0.0', clock: new RealClock(), ...c.files }),
        (err: unknown) => err instanceof ServingCertError && err.flag === c.flag && c.message.test(err.message),
      );
    });
  }
});

describe('startServing with delegated auth', () => {
  const clock = new FakeClock();
  const stub = new ReviewStub();
  stub.users.set('prom-token', { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'] });
  stub.users.set('other-token', { username: 'someone', groups: ['system:authenticated'] });
  stub.users.set('admin-token', { username: 'admin', groups: ['system:masters'] });
  stub.allowed.add('system:serviceaccount:monitoring:prometheus get /metrics');
  let serving: ServingHandle;
  let strict: ServingHandle;
  let open: ServingHandle;

  before(async () => {
    const healthz = [{ name: 'ping', check: () => {} }];
    serving = await startServing(options({ securePort: await freePort(), auth: new DelegatedAuth({ kube: stub.client, clock }), healthz }));
    strict = await startServing(options({ securePort: await freePort(), auth: new DelegatedAuth({ kube: stub.client, clock, anonymous: false }), healthz }));
    open = await startServing(options({ securePort: await freePort(), auth: new DelegatedAuth({ kube: stub.client, clock }), alwaysAllowPaths: ['*'], healthz }));
  });
  after(async () => {
    await serving.close();
    await strict.close();
    await open.close();
  });

  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  const cases: { name: string; server: () => ServingHandle; path: string; headers?: Record<string, string>; status: number; body?: RegExp; reviews: number }[] = [
    { name: 'an allowed service account scrapes /metrics', server: () => serving, path: '/metrics', headers: bearer('prom-token'), status: 200, body: /workqueue_depth/, reviews: 1 },
    {
      name: 'an authenticated user without permission gets 403 naming user, verb and path',
      server: () => serving,
      path: '/metrics',
      headers: bearer('other-token'),
      status: 403,
      body: /"message":"forbidden: User \\"someone\\" cannot get path \\"\/metrics\\"","reason":"Forbidden","code":403/,
      reviews: 1,
    },
    { name: 'a bad token gets 401', server: () => serving, path: '/metrics', headers: bearer('stolen'), status: 401, body: /"reason":"Unauthorized"/, reviews: 0 },
    { name: 'a bad token gets 401 even on an always-allowed path', server: () => serving, path: '/healthz', headers: bearer('stolen'), status: 401, reviews: 0 },
    {
      name: 'no token is system:anonymous and gets 403 from the access review (upstream default)',
      server: () => serving,
      path: '/metrics',
      status: 403,
      body: /User \\"system:anonymous\\" cannot get path/,
      reviews: 1,
    },
    { name: 'no token gets 401 when anonymous requests are disabled', server: () => strict, path: '/metrics', status: 401, reviews: 0 },
    { name: 'always-allowed paths need no token and no access review', server: () => serving, path: '/healthz', status: 200, body: /^ok$/, reviews: 0 },
    { name: 'system:masters is allowed without an access review', server: () => serving, path: '/metrics', headers: bearer('admin-token'), status: 200, reviews: 0 },
    { name: 'the verb is the lower-cased HTTP method', server: () => serving, path: '/metrics', headers: bearer('prom-token'), status: 403, reviews: 1 },
    { name: '--authorization-always-allow-paths=* opens every path', server: () => open, path: '/metrics', status: 200, reviews: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await clock.advance(60_000); // expire cached decisions from earlier cases
      const before = stub.accessReviews.length;
      const method = c.name.startsWith('the verb') ? 'POST' : 'GET';
      const answer = await get(c.server().port, c.path, c.headers ?? {}, method);
      assert.equal(answer.status, c.status, answer.body);
      if (c.body !== undefined) assert.match(answer.body, c.body);
      assert.equal(stub.accessReviews.length - before, c.reviews);
      if (method === 'POST') assert.equal(stub.accessReviews.at(-1)?.spec.nonResourceAttributes?.verb, 'post');
    });
  }

  it('answers 500 when the access review cannot be made', async () => {
    await clock.advance(60_000);
    stub.failAccessReviews = true;
    try {
      const answer = await get(serving.port, '/metrics', bearer('prom-token'));
      assert.equal(answer.status, 500);
    } finally {
      stub.failAccessReviews = false;
    }
  });

  it('reuses cached decisions within their TTL', async () => {
    await clock.advance(60_000);
    const tokens = stub.tokenReviews.length;
    const reviews = stub.accessReviews.length;
    for (let i = 0; i < 3; i++) assert.equal((await get(serving.port, '/metrics', bearer('prom-token'))).status, 200);
    assert.equal(stub.tokenReviews.length - tokens, 1);
    assert.equal(stub.accessReviews.length - reviews, 1);
  });
});

describe('request helpers', () => {
  it('extracts bearer tokens as the apiserver does', () => {
    const cases: [string | undefined, string | undefined][] = [
      [undefined, undefined],
      ['Bearer abc', 'abc'],
      ['bearer   abc  ', 'abc'],
      ['Bearer', ''],
      ['Basic dXNlcjpwYXNz', undefined],
    ];
    for (const [header, token] of cases) assert.equal(bearerToken(header), token, String(header));
  });

  it('matches always-allow paths exactly, or by prefix for entries ending in *', () => {
    const cases: [string, readonly string[], boolean][] = [
      ['/healthz', DEFAULT_ALWAYS_ALLOW_PATHS, true],
      ['/healthz/ping', DEFAULT_ALWAYS_ALLOW_PATHS, false],
      ['/healthz/ping', ['/healthz/*'], true],
      ['/metrics', DEFAULT_ALWAYS_ALLOW_PATHS, false],
      ['/metrics', ['*'], true],
    ];
    for (const [path, allow, expected] of cases) assert.equal(isAlwaysAllowed(path, allow), expected, `${path} in ${allow.join(',')}`);
  });
});
