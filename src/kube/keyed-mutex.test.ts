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

  it('keeps a queue of three in order, through one that throws, with each starting only after the one before ended', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const tasks = [
      mutex.run('k', async () => {
        log.push('1 start');
        await new Promise<void>((r) => {
          releaseFirst = r;
        });
        log.push('1 end');
      }),
      mutex.run('k', async () => {
        log.push('2');
        throw new Error('two');
      }),
      mutex.run('k', async () => {
        log.push('3');
      }),
    ];
    await Promise.resolve();
    await Promise.resolve();
    assert.deepEqual(log, ['1 start']);
    releaseFirst();
    const outcomes = await Promise.allSettled(tasks);
    assert.deepEqual(log, ['1 start', '1 end', '2', '3']);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(mutex.size, 0);
  });

  it('releases the key when a task throws', async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(mutex.run('k', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await mutex.run('k', async () => 42), 42);
    assert.equal(mutex.size, 0);
  });
});
