import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedMutex } from './keyed-mutex.js';

describe('KeyedMutex', () => {
  it('runs tasks of one key one at a time in order, and other keys independently', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = mutex.run('k', async () => {
      log.push('k1 start');
      await new Promise<void>((r) => {
        releaseFirst = r;
      });
      log.push('k1 end');
    });
    const second = mutex.run('k', async () => {
      log.push('k2');
    });
    const other = mutex.run('j', async () => {
      log.push('j');
    });
    await other;
    assert.deepEqual(log, ['k1 start', 'j']);
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(log, ['k1 start', 'j', 'k1 end', 'k2']);
    assert.equal(mutex.size, 0, 'no key left behind');
  });

  it('releases the key when a task throws', async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(mutex.run('k', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await mutex.run('k', async () => 42), 42);
    assert.equal(mutex.size, 0);
  });
});
