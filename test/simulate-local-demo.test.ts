/**
 * The local demo (`outrigger simulate --demo-local`; `npm start` now runs the sandbox, see
 * test/sandbox-cli.test.ts): real TCP through every LoadBalancer address to a simulated
 * kube-proxy, exit 0, and every listener closed after.
 * Each case uses its own loopback pool and node subnet so cases (and a running `npm start`)
 * never share an address.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulateCommand } from '../src/cli/simulate.js';
import { runLocalDemo } from '../src/simulation/local-demo/index.js';
import { probeTcp } from './helpers/probe-tcp.js';

function hostPort(url: string): [string, number] {
  const u = new URL(url);
  return [u.hostname, Number(u.port)];
}

describe('outrigger simulate --demo-local', { timeout: 30_000 }, () => {
  it('answers through every LoadBalancer address over real TCP, then closes every listener (--once)', async () => {
    let out = '';
    const result = await runLocalDemo({ once: true, pool: '127.0.103.0/24', nodeSubnet: '127.0.53', out: (t) => (out += t) });
    assert.equal(result.passed, true, out);
    assert.deepEqual(result.answers.map((a) => a.service), ['web', 'api']);
    for (const a of result.answers) {
      assert.equal(a.error, undefined, `${a.service}: ${a.error ?? ''}`);
      assert.match(a.node ?? '', /^node-[012]$/);
      assert.match(a.url, /^http:\/\/127\.0\.103\.\d+:808[01]\/$/);
      assert.equal(await probeTcp(...hostPort(a.url)), 'ECONNREFUSED', `${a.url} still listening`);
    }
    const ports = /NodePorts web:(\d+), api:(\d+), \/healthz on (\d+)/.exec(out);
    assert.ok(ports !== null, out);
    for (const node of ['127.0.53.1', '127.0.53.2', '127.0.53.3']) {
      for (const port of ports.slice(1).map(Number)) assert.equal(await probeTcp(node, port), 'ECONNREFUSED', `${node}:${port} still listening`);
    }
  });

  it('serves until its signal aborts, then stops with exit status passed', async () => {
    const stop = new AbortController();
    let out = '';
    let curlUrl: string | undefined;
    const result = await runLocalDemo({
      pool: '127.0.104.0/24',
      nodeSubnet: '127.0.54',
      signal: stop.signal,
      tickMs: 10,
      out: (t) => {
        out += t;
        const m = /try: curl (\S+)/.exec(t);
        if (m?.[1] !== undefined) {
          curlUrl = m[1];
          // While serving, a second request still goes through; then "Ctrl-C".
          void probeTcp(...hostPort(m[1])).then((r) => {
            assert.equal(r, 'connected');
            stop.abort();
          });
        }
      },
    });
    assert.equal(result.passed, true, out);
    assert.match(out, /Stopping\./);
    assert.ok(curlUrl !== undefined, out);
    assert.equal(await probeTcp(...hostPort(curlUrl)), 'ECONNREFUSED');
  });

  it('exits 0 from the command line with --once, 2 on a bad command line', async () => {
    let stdout = '';
    let stderr = '';
    const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } };
    assert.equal(await runSimulateCommand(['--demo-local', '--once', '--pool', '127.0.105.0/24', '--node-subnet=127.0.55'], io), 0, stderr);
    assert.match(stdout, /default\/web +http:\/\/127\.0\.105\.\d+:8080\/ +→ answered by node-\d/);
    assert.match(stdout, /default\/api +http:\/\/127\.0\.105\.\d+:8081\/ +→ answered by node-\d/);
    assert.match(stdout, /result +PASS/);
    // --output json: stdout is the JSON alone, the narration on stderr.
    stdout = '';
    stderr = '';
    assert.equal(await runSimulateCommand(['--demo-local', '--once', '--output', 'json', '--pool', '127.0.105.0/24', '--node-subnet=127.0.55'], io), 0, stderr);
    const report = JSON.parse(stdout) as { passed?: boolean; answers?: unknown };
    assert.equal(report.passed, true);
    assert.match(stderr, /Outrigger local demo/);
    stderr = '';
    assert.equal(await runSimulateCommand(['--demo-local', '--node-subnet', '10.0.0'], io), 2);
    assert.match(stderr, /--node-subnet: expected three octets of 127\.0\.0\.0\/8/);
    stderr = '';
    assert.equal(await runSimulateCommand(['--demo', '--once'], io), 2);
    assert.match(stderr, /--once, --pool and --node-subnet go with --demo-local/);
    stderr = '';
    assert.equal(await runSimulateCommand(['--demo-local', '--once', '--pool', '127.0.106.0/33'], io), 2);
    assert.match(stderr, /127\.0\.106\.0\/33/);
  });
});

describe('outrigger simulate --demo-local when an address cannot be bound', { timeout: 30_000 }, () => {
  it('prints the Warning that says why a Service has no address (EADDRINUSE), and exits 1', async () => {
    const { createServer } = await import('node:net');
    // Another process holds the demo's only address on the api Service's port.
    const squatter = createServer();
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(8081, '127.0.108.1', resolve);
    });
    try {
      let stdout = '';
      const io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: () => true } };
      assert.equal(await runSimulateCommand(['--demo-local', '--once', '--pool', '127.0.108.1/32', '--node-subnet', '127.0.58'], io), 1);
      assert.match(stdout, /default\/api +✗ no LoadBalancer address: SyncLoadBalancerFailed: .*cannot listen on 127\.0\.108\.1:8081\/TCP: EADDRINUSE/);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
