import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, MemoryLogSink } from '../log/logger.js';
import { initCloudProvider } from './init-cloud-provider.js';
import type { ConfigFileReader } from './init-cloud-provider.js';
import { ProviderRegistry } from './registry.js';
import type { ProviderConfig } from './registry.js';
import { CloudConfigFileError, ProviderInitError, UnknownProviderError } from './registry-errors.js';

function setup(): { registry: ProviderRegistry; configs: ProviderConfig[] } {
  const registry = new ProviderRegistry();
  const configs: ProviderConfig[] = [];
  registry.register('acme', (config) => {
    configs.push(config);
    return { name: 'acme' };
  });
  registry.register('broken', () => {
    throw new Error('missing region');
  });
  return { registry, configs };
}

/** A reader that records its calls and serves `files`. */
function reader(files: Record<string, string>): { read: ConfigFileReader; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    read: (path) => {
      calls.push(path);
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return text;
    },
  };
}

describe('initCloudProvider', () => {
  it('returns no provider for an empty name, without reading the config', async () => {
    const { registry } = setup();
    const r = reader({});
    assert.equal(await initCloudProvider(registry, '', '/etc/cloud.conf', r.read), undefined);
    assert.deepEqual(r.calls, []);
  });

  it('returns no provider for "external" and logs it', async () => {
    const { registry } = setup();
    const r = reader({});
    const sink = new MemoryLogSink();
    assert.equal(await initCloudProvider(registry, 'external', '/etc/cloud.conf', r.read, { logger: createLogger(sink.sink) }), undefined);
    assert.deepEqual(r.calls, []);
    assert.deepEqual(sink.records.map((x) => x.msg), ['External cloud provider specified']);
  });

  it('fails for an unknown name before touching the config file', async () => {
    const { registry } = setup();
    const r = reader({});
    await assert.rejects(initCloudProvider(registry, 'aws', '/etc/cloud.conf', r.read), UnknownProviderError);
    assert.deepEqual(r.calls, []);
  });

  for (const configPath of [undefined, '']) {
    it(`passes no config to the factory when the path is ${JSON.stringify(configPath)}`, async () => {
      const { registry, configs } = setup();
      const r = reader({});
      assert.equal((await initCloudProvider(registry, 'acme', configPath, r.read))?.name, 'acme');
      assert.deepEqual(r.calls, []);
      assert.equal(configs[0]?.contents, undefined);
      assert.equal(configs[0]?.path, undefined);
    });
  }

  it('passes the config file text and path to the factory', async () => {
    const { registry, configs } = setup();
    const r = reader({ '/etc/cloud.conf': 'region = eu-1\n' });
    await initCloudProvider(registry, 'acme', '/etc/cloud.conf', r.read);
    assert.equal(configs[0]?.contents, 'region = eu-1\n');
    assert.equal(configs[0]?.path, '/etc/cloud.conf');
  });

  it('fails with an error naming the path when the config file cannot be read (upstream exits)', async () => {
    const { registry, configs } = setup();
    await assert.rejects(initCloudProvider(registry, 'acme', '/etc/missing.conf', reader({}).read), (err: unknown) => {
      assert.ok(err instanceof CloudConfigFileError);
      assert.equal(err.path, '/etc/missing.conf');
      assert.match(err.message, /^--cloud-config: cannot read cloud provider configuration "\/etc\/missing\.conf": ENOENT/);
      assert.ok(err.cause instanceof Error);
      return true;
    });
    assert.equal(configs.length, 0);
  });

  it('reports a failing factory as "could not init cloud provider"', async () => {
    const { registry } = setup();
    await assert.rejects(initCloudProvider(registry, 'broken', undefined, reader({}).read), (err: unknown) => {
      assert.ok(err instanceof ProviderInitError);
      assert.equal(err.message, 'could not init cloud provider "broken": missing region');
      return true;
    });
  });

  it('reads the file from disk by default', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-cloud-config-'));
    try {
      const path = join(dir, 'cloud.conf');
      await writeFile(path, 'zone = a\n');
      const { registry, configs } = setup();
      await initCloudProvider(registry, 'acme', path);
      assert.equal(configs[0]?.contents, 'zone = a\n');
      await assert.rejects(initCloudProvider(registry, 'acme', join(dir, 'absent.conf')), CloudConfigFileError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Before the bounded reader, /dev/zero was read until the heap ran out and a FIFO blocked the
  // open for ever (even SIGTERM could not end the process).
  it('refuses a device, a FIFO, a directory and an oversized file by default, naming --cloud-config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-cloud-config-'));
    try {
      const fifo = join(dir, 'fifo');
      const haveFifo = spawnSync('mkfifo', [fifo]).status === 0;
      const big = join(dir, 'big.conf');
      await writeFile(big, Buffer.alloc(4 * 1024 * 1024 + 1, 0x61));
      const cases: [string, RegExp][] = [
        ['/dev/zero', /^--cloud-config: cannot read cloud provider configuration "\/dev\/zero": the file is a character device, not a regular file/],
        [dir, /the file is a directory, not a regular file/],
        [big, /the file is larger than the 4 MiB limit/],
        ...(haveFifo ? [[fifo, /the file is a named pipe \(FIFO\), not a regular file/] as [string, RegExp]] : []),
      ];
      const { registry, configs } = setup();
      for (const [path, message] of cases) {
        await assert.rejects(initCloudProvider(registry, 'acme', path), (err: unknown) => err instanceof CloudConfigFileError && message.test(err.message) && err.isInputError, path);
      }
      assert.equal(configs.length, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
