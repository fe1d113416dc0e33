#!/usr/bin/env node
/**
 * The `outrigger` command. Thin: parses the command line and calls the library.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { exitAfterFlush } from './exit-after-flush.js';
import { runSelfCheck } from './selfcheck.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const USAGE = `Usage: outrigger <command>

Commands:
  run         the cloud-controller-manager, with upstream's flags (outrigger run --help)
  simulate    run a scenario, a generated cluster or the demo on a virtual clock
              (outrigger simulate --help)
  sandbox     a cluster kubectl can use, on loopback: the simulated API server, simulated
              nodes and the real manager with real load balancers (outrigger sandbox --help)
  conformance run the conformance suite against a provider, or against the CCM of a cluster
              (outrigger conformance --help)
  credential-provider
              run kubelet image credential provider plugins as the kubelet does
              (outrigger credential-provider --help)
  selfcheck   exercise the simulated API server, informers and work queue on a virtual clock
              and print what happened
  version     print the version
  help        print this help
`;

async function main(argv: readonly string[]): Promise<number> {
  // No command: the usage, as kubectl does (the self check is `outrigger selfcheck`).
  const command = argv[0] ?? 'help';
  switch (command) {
    case 'run': {
      // Loaded on demand: the manager pulls in the Kubernetes client, prom-client and TLS.
      const { runCloudControllerManager } = await import('../manager/run.js');
      const { defaultRegistry } = await import('../cloud/registry.js');
      const { registerBuiltinProviders } = await import('../providers/builtin.js');
      return runCloudControllerManager({ argv: argv.slice(1), commandName: 'outrigger run', registry: registerBuiltinProviders(defaultRegistry) });
    }
    case 'simulate': {
      const { runSimulateCommand } = await import('./simulate.js');
      // This process exists to simulate: cap V8's heap growth (docs/simulator.md, "Memory").
      const { limitHeapGrowthForSimulation } = await import('../simulation/runner/index.js');
      limitHeapGrowthForSimulation();
      // Ctrl-C ends `--demo-local`'s serving phase cleanly; a second one exits at once.
      const interrupted = new AbortController();
      const onSignal = (): void => {
        if (interrupted.signal.aborted) process.exit(130);
        interrupted.abort(new Error('interrupted'));
      };
      if (argv.includes('--demo-local')) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      return runSimulateCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, signal: interrupted.signal });
    }
    case 'sandbox': {
      const { runSandboxCommand } = await import('./sandbox.js');
      // Ctrl-C stops the sandbox cleanly (every listener closed, the kubeconfig removed); a second one exits at once.
      const interrupted = new AbortController();
      const onSignal = (): void => {
        if (interrupted.signal.aborted) process.exit(130);
        interrupted.abort(new Error('interrupted'));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      return runSandboxCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, signal: interrupted.signal });
    }
    case 'conformance': {
      const { runConformanceCommand } = await import('./conformance.js');
      return runConformanceCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
    }
    case 'credential-provider': {
      const { runCredentialProviderCommand } = await import('./credential-provider.js');
      return runCredentialProviderCommand(argv.slice(1), { stdout: process.stdout, stderr: process.stderr });
    }
    case 'selfcheck':
      return runSelfCheck((line: string) => process.stdout.write(`${line}\n`));
    case 'version':
    case '--version':
      process.stdout.write(`outrigger ${packageVersion()}\n`);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`outrigger: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly: after `run` returns, idle keep-alive sockets and timers must not keep the process
// alive (upstream's binary exits as soon as its Run returns) — but only once stdout has drained.
await exitAfterFlush(code);
