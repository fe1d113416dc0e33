/**
 * `outrigger sandbox` from its command line (what `npm start` runs): the demo's real TCP through
 * every LoadBalancer address with --once, serving until the signal, and bad input — one line
 * naming the flag, exit 2, nothing left behind (no listener, no kubeconfig, no temporary folder).
 * Each case has its own loopback addresses (in 127.0.175-193 and 127.0.198-201; the sandbox e2e
 * tests use 127.0.172-173 and 127.0.194-197: grep before reusing).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Node } from 'kubernetes-types/core/v1.js';
import { defaultKubeconfigPath, runSandboxCommand } from '../src/cli/sandbox.js';
import { RealClock } from '../src/kube/clock.js';
import { startSandbox, waitForObjects } from '../src/sandbox/index.js';
import { REPO_ROOT } from './helpers/ccm-process.js';
import { probeTcp } from './helpers/probe-tcp.js';

interface Io {
  stdout: { write(t: string): boolean };
  stderr: { write(t: string): boolean };
  out(): string;
  err(): string;
}

function io(onOut?: (text: string) => void): Io {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => ((out += t), onOut?.(t), true) },
    stderr: { write: (t: string) => ((err += t), true) },
    out: () => out,
    err: () => err,
  };
}

function sandboxTemps(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith('outrigger-sandbox-'));
}

function hostPort(url: string): [string, number] {
  const u = new URL(url);
  return [u.hostname, Number(u.port)];
}

function listenOn(host: string, port = 0): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

let dir = '';
const outerTmpdir = process.env['TMPDIR'];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-test-'));
  // A temporary folder of this file alone: "nothing left behind" compares its listing before and
  // after, and other test files (docs-commands runs docs/sandbox.md's sandbox) run at the same time.
  await mkdir(join(dir, 'tmp'));
  process.env['TMPDIR'] = join(dir, 'tmp');
});
after(async () => {
  if (outerTmpdir === undefined) delete process.env['TMPDIR'];
  else process.env['TMPDIR'] = outerTmpdir;
  await rm(dir, { recursive: true, force: true });
});

describe('outrigger sandbox --demo --once (npm start)', { timeout: 100_000 }, () => {
  it('answers through every LoadBalancer address over real TCP, exits 0, and closes and removes everything', async () => {
    const kc = join(dir, 'demo.kubeconfig');
    // A stale file from an earlier run: --force overwrites it.
    await writeFile(kc, 'stale\n');
    const temps = sandboxTemps();
    const o = io();
    const code = await runSandboxCommand(['--demo', '--once', '--nodes', '2', '--node-subnet', '127.0.175', '--pool', '127.0.176.0/24', '--kube-proxy-healthz-port', '0', '--kubeconfig-out', kc, '--force'], o);
    assert.equal(code, 0, o.out() + o.err());
    const answers = [...o.out().matchAll(/default\/(web|api) +(http:\/\/127\.0\.176\.\d+:808[01]\/) +→ answered by (node-[01]): "hello from node-[01] via default\/(web|api)"/g)];
    assert.deepEqual(answers.map((a) => a[1]), ['web', 'api'], o.out());
    assert.match(o.out(), /Every LoadBalancer answered: PASS/);
    assert.match(o.out(), new RegExp(`export KUBECONFIG=${kc.replaceAll('.', '\\.')}\\n\\s+kubectl get nodes -o wide\\n\\s+kubectl apply -f examples/sandbox/lb-service\\.yaml`));
    const api = /simulated API server \(a test double\) on (https:\/\/127\.0\.0\.1:\d+),/.exec(o.out())?.[1];
    assert.ok(api !== undefined, o.out());
    // Everything is closed and removed once the command returns.
    for (const a of answers) assert.equal(await probeTcp(...hostPort(a[2] ?? '')), 'ECONNREFUSED', `${a[2] ?? ''} still listening`);
    assert.equal(await probeTcp(...hostPort(api)), 'ECONNREFUSED');
    const healthz = Number(/kube-proxy \/healthz on port (\d+)/.exec(o.out())?.[1]);
    for (const node of ['127.0.175.1', '127.0.175.2']) assert.equal(await probeTcp(node, healthz), 'ECONNREFUSED');
    assert.equal(existsSync(kc), false, 'the kubeconfig is removed');
    assert.deepEqual(sandboxTemps(), temps, 'the temporary folder is removed');
  });
});

describe('outrigger sandbox --demo, Ctrl-C while it starts', { timeout: 100_000 }, () => {
  it('stops with exit 0 and the Stopping line, runs no demo and reports no FAIL', async () => {
    const kc = join(dir, 'interrupted.kubeconfig');
    const stop = new AbortController();
    stop.abort();
    const o = io();
    const code = await runSandboxCommand(['--demo', '--once', '--nodes', '1', '--node-subnet', '127.0.200', '--pool', '127.0.201.0/29', '--kube-proxy-healthz-port', '0', '--kubeconfig-out', kc], { ...o, signal: stop.signal });
    assert.equal(code, 0, o.out() + o.err());
    assert.doesNotMatch(o.out(), /FAIL|LoadBalancer addresses|Serving until Ctrl-C/);
    assert.match(o.out(), /Stopping: closing every listener and removing the kubeconfig\.\n$/);
    assert.equal(existsSync(kc), false);
  });
});

describe('outrigger sandbox serving', { timeout: 100_000 }, () => {
  it('writes a kubeconfig (0600, CA and token) that reaches the API over HTTPS, serves until the signal, then stops with exit 0', async () => {
    const kc = join(dir, 'serve.kubeconfig');
    const stop = new AbortController();
    let nodes: unknown;
    let mode = '';
    const o = io((t) => {
      if (!t.includes('Serving until Ctrl-C')) return;
      mode = (statSync(kc).mode & 0o777).toString(8);
      // As kubectl would: the kubeconfig's server, CA and token.
      const config = parse(readFileSync(kc, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]; users: { user: { token: string } }[] };
      const cluster = config.clusters[0]?.cluster;
      const req = request(
        `${cluster?.server ?? ''}/api/v1/nodes`,
        { ca: Buffer.from(cluster?.['certificate-authority-data'] ?? '', 'base64'), headers: { authorization: `Bearer ${config.users[0]?.user.token ?? ''}` }, agent: false },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            nodes = JSON.parse(body);
            stop.abort();
          });
        },
      );
      req.on('error', (err) => {
        nodes = err.message;
        stop.abort();
      });
      req.end();
    });
    const code = await runSandboxCommand(['--nodes', '1', '--node-subnet', '127.0.177', '--pool', '127.0.178.0/28', '--kube-proxy-healthz-port', '0', '--kubeconfig-out', kc], { ...o, signal: stop.signal });
    assert.equal(code, 0, o.err());
    assert.deepEqual((nodes as { items?: { metadata: { name: string } }[] }).items?.map((n) => n.metadata.name), ['node-0'], JSON.stringify(nodes));
    assert.equal(mode, '600', 'the kubeconfig holds the token: mode 0600');
    assert.match(o.out(), /Stopping: closing every listener and removing the kubeconfig\./);
    assert.equal(existsSync(kc), false);
  });

  it('--force over a world-readable file: the kubeconfig holding the token is mode 0600 all the same', async () => {
    const kc = join(dir, 'forced.kubeconfig');
    await writeFile(kc, 'stale\n', { mode: 0o644 });
    await chmod(kc, 0o644);
    const sandbox = await startSandbox({ nodes: 1, nodeSubnet: '127.0.185', pool: '127.0.186.0/29', healthzPort: 0, kubeconfigOut: kc, force: true });
    try {
      assert.match(readFileSync(kc, 'utf8'), /token: "[\w-]{32}"/);
      assert.equal((statSync(kc).mode & 0o777).toString(8), '600');
    } finally {
      await sandbox.close();
    }
    assert.equal(existsSync(kc), false);
  });

  it('leaves a kubeconfig that no longer holds its token (another sandbox took the path over with --force)', async () => {
    const kc = join(dir, 'taken-over.kubeconfig');
    const sandbox = await startSandbox({ nodes: 1, nodeSubnet: '127.0.190', pool: '127.0.191.0/29', healthzPort: 0, kubeconfigOut: kc });
    try {
      assert.match(readFileSync(kc, 'utf8'), /token: "[\w-]{32}"/);
      await writeFile(kc, 'someone else\n');
    } finally {
      await sandbox.close();
    }
    assert.equal(readFileSync(kc, 'utf8'), 'someone else\n');
  });

  it('--manager-secure-port: the manager\'s /metrics for the kubeconfig\'s token, 403 for anonymous, /healthz for all', async () => {
    const kc = join(dir, 'metrics.kubeconfig');
    const probe = await listenOn('127.0.0.1');
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const sandbox = await startSandbox({ nodes: 1, nodeSubnet: '127.0.192', pool: '127.0.193.0/29', healthzPort: 0, kubeconfigOut: kc, managerSecurePort: port });
    try {
      assert.equal(sandbox.managerUrl, `https://127.0.0.1:${port}`);
      const token = /token: "([^"]+)"/.exec(readFileSync(kc, 'utf8'))?.[1] ?? '';
      const get = (path: string, auth?: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          // The manager's own serving certificate is self-signed (no --tls-cert-file), as upstream's.
          const req = request(`${sandbox.managerUrl ?? ''}${path}`, { rejectUnauthorized: false, agent: false, headers: auth === undefined ? {} : { authorization: `Bearer ${auth}` } }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const metrics = await get('/metrics', token);
      assert.equal(metrics.status, 200, metrics.body);
      assert.match(metrics.body, /^# TYPE workqueue_adds_total counter$/m);
      const anonymous = await get('/metrics');
      assert.equal(anonymous.status, 403);
      assert.match(anonymous.body, /User \\"system:anonymous\\" cannot get path \\"\/metrics\\"/);
      assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok' });
    } finally {
      await sandbox.close();
    }
    assert.equal(await probeTcp('127.0.0.1', port), 'ECONNREFUSED');
  });

  it('as a process (`outrigger sandbox`): SIGTERM stops it with exit 0, every listener closed and the kubeconfig removed', async () => {
    const kc = join(dir, 'process.kubeconfig');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox', '--nodes', '1', '--node-subnet', '127.0.198', '--pool', '127.0.199.0/29', '--kube-proxy-healthz-port', '0', '--kubeconfig-out', kc], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Serving until Ctrl-C')) resolve();
        });
        void exited.then(() => reject(new Error(`exited before serving:\n${out}${err}`)));
      });
      assert.equal(existsSync(kc), true);
      const api = /on (https:\/\/127\.0\.0\.1:\d+),/.exec(out)?.[1] ?? '';
      const healthz = Number(/kube-proxy \/healthz on port (\d+)/.exec(out)?.[1]);
      assert.equal(await probeTcp('127.0.198.1', healthz), 'connected');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      assert.match(out, /Stopping: closing every listener and removing the kubeconfig\.\n$/);
      assert.equal(existsSync(kc), false);
      assert.equal(await probeTcp(...hostPort(api)), 'ECONNREFUSED');
      assert.equal(await probeTcp('127.0.198.1', healthz), 'ECONNREFUSED');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('the default kubeconfig lives under the XDG state folder, never ~/.kube/config', () => {
    assert.equal(defaultKubeconfigPath({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/outrigger/sandbox/kubeconfig');
    assert.equal(defaultKubeconfigPath({ HOME: '/h' }), '/h/.local/state/outrigger/sandbox/kubeconfig');
    assert.equal(defaultKubeconfigPath({ XDG_STATE_HOME: 'relative', HOME: '/h' }), '/h/.local/state/outrigger/sandbox/kubeconfig', 'a relative XDG path is ignored, as the spec says');
  });
});

describe('outrigger sandbox --provider-module', { timeout: 100_000 }, () => {
  it('runs the provider a module registers instead of the local one: it initialises the Nodes', async () => {
    const module = join(dir, 'acme-provider.mjs');
    await writeFile(
      module,
      `export const provider = {
  name: 'acme',
  factory: ({ contents }) => ({
    name: 'acme',
    instancesV2: () => ({
      instanceExists: async () => true,
      instanceShutdown: async () => false,
      // The node's own address: the kubelet's provided-node-ip must be among the cloud's (as upstream).
      instanceMetadata: async (node) => ({ providerID: 'acme://' + node.metadata.name, nodeAddresses: node.status.addresses, instanceType: 'small', zone: JSON.parse(contents ?? '{}').zone }),
    }),
  }),
};
`,
    );
    const config = join(dir, 'acme.json');
    await writeFile(config, '{"zone":"z1"}\n');
    const kc = join(dir, 'acme.kubeconfig');
    const sandbox = await startSandbox({ nodes: 2, nodeSubnet: '127.0.187', healthzPort: 0, kubeconfigOut: kc, providerModules: [module], cloudProvider: 'acme', cloudConfig: config });
    try {
      assert.equal(sandbox.provider, 'acme');
      const nodes = await waitForObjects<Node>({
        client: sandbox.kube.nodes,
        clock: new RealClock(),
        random: Math.random,
        timeoutMs: 30_000,
        done: (ns) => ns.length === 2 && ns.every((n) => n.spec?.providerID?.startsWith('acme://') === true && (n.spec.taints ?? []).length === 0),
      });
      assert.ok(nodes !== undefined, 'the acme provider did not initialise the nodes within 30 s');
      assert.deepEqual(nodes.map((n) => [n.spec?.providerID, n.metadata?.labels?.['topology.kubernetes.io/zone'], n.metadata?.labels?.['node.kubernetes.io/instance-type']]).sort(), [
        ['acme://node-0', 'z1', 'small'],
        ['acme://node-1', 'z1', 'small'],
      ]);
    } finally {
      await sandbox.close();
    }
    assert.equal(existsSync(kc), false);
  });
});

describe('outrigger sandbox bad input: one line naming the flag, exit 2, nothing left behind', { timeout: 100_000 }, () => {
  const base = (n: number): string[] => ['--nodes', '1', '--node-subnet', `127.0.179`, '--pool', `127.0.180.${n * 16}/28`, '--kube-proxy-healthz-port', '0'];

  const cases: [string, (kc: string) => Promise<{ argv: string[]; cleanup?: () => Promise<void> }>, RegExp][] = [
    ['an existing kubeconfig', async (kc) => (await writeFile(kc, 'mine\n'), { argv: [...base(0), '--kubeconfig-out', kc] }), /^outrigger sandbox: --kubeconfig-out: \S+ exists \(another sandbox running\? remove it, or pass --force to overwrite it\)\n$/],
    [
      'an API server port in use',
      async (kc) => {
        const squatter = await listenOn('127.0.0.1');
        const port = (squatter.address() as { port: number }).port;
        return { argv: [...base(1), '--apiserver-port', String(port), '--kubeconfig-out', kc], cleanup: () => new Promise((r) => squatter.close(() => r())) };
      },
      /^outrigger sandbox: --apiserver-port: 127\.0\.0\.1:\d+: already in use\n$/,
    ],
    [
      "kube-proxy's health port in use on a node address",
      async (kc) => {
        const squatter = await listenOn('127.0.181.1');
        const port = (squatter.address() as { port: number }).port;
        return { argv: ['--nodes', '1', '--node-subnet', '127.0.181', '--pool', '127.0.182.0/28', '--kube-proxy-healthz-port', String(port), '--kubeconfig-out', kc], cleanup: () => new Promise((r) => squatter.close(() => r())) };
      },
      /^outrigger sandbox: --kube-proxy-healthz-port: 127\.0\.181\.1:\d+: already in use \(another sandbox\? choose another --node-subnet\)\n$/,
    ],
    [
      "the manager's secure port in use",
      async (kc) => {
        const squatter = await listenOn('127.0.0.1');
        const port = (squatter.address() as { port: number }).port;
        return { argv: [...base(3), '--manager-secure-port', String(port), '--kubeconfig-out', kc], cleanup: () => new Promise((r) => squatter.close(() => r())) };
      },
      /^outrigger sandbox: --manager-secure-port: 127\.0\.0\.1:\d+: already in use\n$/,
    ],
    [
      'a kubeconfig path that cannot be written (its folder is a file)',
      async (kc) => (await writeFile(`${kc}.file`, ''), { argv: [...base(4), '--kubeconfig-out', `${kc}.file/kubeconfig`], cleanup: () => rm(`${kc}.file`) }),
      /^outrigger sandbox: --kubeconfig-out: cannot write \S+\.file\/kubeconfig: (EEXIST|ENOTDIR)/,
    ],
    ['a kubeconfig path on /proc (where a recursive mkdir would never return)', async () => ({ argv: [...base(5), '--kubeconfig-out', '/proc/outrigger-sandbox/kubeconfig'] }), /^outrigger sandbox: --kubeconfig-out: cannot write \/proc\/outrigger-sandbox\/kubeconfig: ENOENT/],
    ['a pool outside loopback', async (kc) => ({ argv: ['--pool', '10.0.0.0/24', '--kubeconfig-out', kc] }), /^outrigger sandbox: --pool: 10\.0\.0\.0\/24 is not inside 127\.0\.0\.0\/8 \(the sandbox binds loopback addresses only\)\n$/],
    ['a pool overlapping the nodes', async (kc) => ({ argv: ['--node-subnet', '127.0.183', '--pool', '127.0.183.0/24', '--kubeconfig-out', kc] }), /^outrigger sandbox: --pool: 127\.0\.183\.0\/24 overlaps the node addresses 127\.0\.183\.1-3 \(--node-subnet\)\n$/],
    ['a bad pool', async (kc) => ({ argv: ['--pool', '127.0.184.0/33', '--kubeconfig-out', kc] }), /^outrigger sandbox: --pool: .*127\.0\.184\.0\/33.*prefix length/],
    ['a node subnet outside loopback', async (kc) => ({ argv: ['--node-subnet', '10.0.0', '--kubeconfig-out', kc] }), /^outrigger sandbox: --node-subnet: expected three octets of 127\.0\.0\.0\/8 such as 127\.0\.50, got "10\.0\.0"\n$/],
    ['an API server address that is not loopback', async (kc) => ({ argv: ['--apiserver-address', '0.0.0.0', '--kubeconfig-out', kc] }), /^outrigger sandbox: --apiserver-address: expected a loopback address \(127\.0\.0\.0\/8 or ::1\), got "0\.0\.0\.0"\n$/],
    ['too many nodes', async (kc) => ({ argv: ['--nodes', '101', '--kubeconfig-out', kc] }), /^outrigger sandbox: --nodes: expected a whole number from 1 to 100, got 101\n$/],
    ['a provider module without --cloud-provider', async (kc) => ({ argv: ['--provider-module', './x.js', '--kubeconfig-out', kc] }), /^outrigger sandbox: --cloud-provider: name the provider your --provider-module registers\n$/],
    [
      'a provider that does not exist',
      async (kc) => ({ argv: ['--nodes', '1', '--node-subnet', '127.0.179', '--kube-proxy-healthz-port', '0', '--cloud-provider', 'nonesuch', '--kubeconfig-out', kc] }),
      /^outrigger sandbox: the cloud-controller-manager exited 2 at start-up: Error: .*unknown cloud provider "nonesuch"/,
    ],
  ];
  for (const [name, setup, message] of cases) {
    it(name, async () => {
      const kc = join(dir, `bad-${name.replaceAll(/\W+/g, '-')}.kubeconfig`);
      const existed = existsSync(kc) ? readFileSync(kc, 'utf8') : undefined;
      const temps = sandboxTemps();
      const { argv, cleanup } = await setup(kc);
      const before = existsSync(kc) ? readFileSync(kc, 'utf8') : undefined;
      try {
        const o = io();
        assert.equal(await runSandboxCommand(argv, o), 2, o.err());
        assert.match(o.err(), message);
        assert.equal(o.out(), '');
        assert.equal(existsSync(kc) ? readFileSync(kc, 'utf8') : undefined, before, 'the kubeconfig path is as it was');
        assert.deepEqual(sandboxTemps(), temps, 'no temporary folder is left');
      } finally {
        await cleanup?.();
        if (existed === undefined) await rm(kc, { force: true });
      }
    });
  }

  it('usage errors print the usage', async () => {
    for (const [argv, message] of [
      [['--once'], /--once goes with --demo/],
      [['--bogus'], /unknown flag "--bogus"/],
      [['--apiserver-port', '70000'], /--apiserver-port: expected a port number from 0 to 65535, got "70000"/],
      [['--cloud-config', 'x.yaml'], /--cloud-config goes with --cloud-provider/],
      [['--demo', '--cloud-provider', 'fake'], /--demo checks the local provider's addresses/],
    ] as const) {
      const o = io();
      assert.equal(await runSandboxCommand(argv, o), 2);
      assert.match(o.err(), message);
      assert.match(o.err(), /Usage:\n {2}outrigger sandbox/);
    }
  });
});
