import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiErrors } from '../errors.js';
import type { KubeObject } from '../resources.js';
import type { JsonObject } from '../json-value.js';
import type { StoredChange } from './store.js';
import { eventFor, SimulatedWatchStream, WatchHub } from './watch-hub.js';

const labelled = (color: string | undefined, rv: number): JsonObject => ({
  metadata: { name: 'x', resourceVersion: String(rv), ...(color === undefined ? {} : { labels: { color } }) },
});
const isBlue = (obj: JsonObject): boolean => (obj['metadata'] as { labels?: { color?: string } }).labels?.color === 'blue';

describe('eventFor (watch-cache selector transitions)', () => {
  const table: Array<{ name: string; change: StoredChange; expected: string | undefined }> = [
    { name: 'an added matching object is ADDED', change: { rv: 2, type: 'ADDED', key: 'x', object: labelled('blue', 2), prev: undefined }, expected: 'ADDED blue@2' },
    { name: 'an added non-matching object is invisible', change: { rv: 2, type: 'ADDED', key: 'x', object: labelled('red', 2), prev: undefined }, expected: undefined },
    { name: 'an object that starts matching is ADDED', change: { rv: 3, type: 'MODIFIED', key: 'x', object: labelled('blue', 3), prev: labelled('red', 2) }, expected: 'ADDED blue@3' },
    { name: 'an object that keeps matching is MODIFIED', change: { rv: 3, type: 'MODIFIED', key: 'x', object: labelled('blue', 3), prev: labelled('blue', 2) }, expected: 'MODIFIED blue@3' },
    {
      name: 'an object that stops matching is DELETED with its previous content at the new version',
      change: { rv: 3, type: 'MODIFIED', key: 'x', object: labelled('red', 3), prev: labelled('blue', 2) },
      expected: 'DELETED blue@3',
    },
    { name: 'a change invisible before and after is dropped', change: { rv: 3, type: 'MODIFIED', key: 'x', object: labelled(undefined, 3), prev: labelled('red', 2) }, expected: undefined },
    { name: 'a deleted matching object is DELETED', change: { rv: 4, type: 'DELETED', key: 'x', object: labelled('blue', 4), prev: labelled('blue', 3) }, expected: 'DELETED blue@4' },
    { name: 'a deleted non-matching object is invisible', change: { rv: 4, type: 'DELETED', key: 'x', object: labelled('red', 4), prev: labelled('red', 3) }, expected: undefined },
  ];
  for (const c of table) {
    it(c.name, () => {
      const event = eventFor(c.change, isBlue);
      const meta = event?.object['metadata'] as { labels?: { color?: string }; resourceVersion?: string } | undefined;
      assert.equal(event === undefined ? undefined : `${event.type} ${meta?.labels?.color ?? ''}@${meta?.resourceVersion ?? ''}`, c.expected);
    });
  }

  it('does not modify the stored previous object', () => {
    const prev = labelled('blue', 2);
    eventFor({ rv: 3, type: 'MODIFIED', key: 'x', object: labelled('red', 3), prev }, isBlue);
    assert.equal((prev['metadata'] as { resourceVersion: string }).resourceVersion, '2');
  });
});

describe('SimulatedWatchStream', () => {
  const obj = (name: string): KubeObject => ({ metadata: { name } });

  it('delivers buffered events in order, then waits for more', async () => {
    const stream = new SimulatedWatchStream<KubeObject>();
    stream.push('ADDED', obj('a'));
    stream.push('MODIFIED', obj('a'));
    const it = stream[Symbol.asyncIterator]();
    assert.deepEqual((await it.next()).value?.type, 'ADDED');
    assert.deepEqual((await it.next()).value?.type, 'MODIFIED');
    const pending = it.next();
    stream.push('DELETED', obj('a'));
    assert.equal((await pending).value?.type, 'DELETED');
  });

  it('delivers queued events before a server-side end', async () => {
    const stream = new SimulatedWatchStream<KubeObject>();
    stream.push('ADDED', obj('a'));
    stream.end();
    stream.push('ADDED', obj('late'));
    const seen: string[] = [];
    for await (const e of stream) seen.push(e.object.metadata?.name ?? '');
    assert.deepEqual(seen, ['a']);
  });

  it('drops queued events on a client close', async () => {
    const stream = new SimulatedWatchStream<KubeObject>();
    stream.push('ADDED', obj('a'));
    stream.close();
    const seen: string[] = [];
    for await (const e of stream) seen.push(e.object.metadata?.name ?? '');
    assert.deepEqual(seen, []);
  });

  it('throws an ERROR after the events queued before it, then ends', async () => {
    const stream = new SimulatedWatchStream<KubeObject>();
    stream.push('ADDED', obj('a'));
    stream.fail(apiErrors.gone('too old resource version: 1 (2)'));
    const it = stream[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.type, 'ADDED');
    await assert.rejects(it.next(), /too old resource version: 1 \(2\)/);
    assert.equal((await it.next()).done, true);
  });

  it('closes when a for-await loop breaks, and runs end callbacks once', () => {
    const stream = new SimulatedWatchStream<KubeObject>();
    let ended = 0;
    stream.onEnd(() => ended++);
    stream.push('ADDED', obj('a'));
    return (async () => {
      for await (const _ of stream) break;
      stream.close();
      assert.equal(stream.ended, true);
      assert.equal(ended, 1);
    })();
  });
});

describe('WatchHub', () => {
  it('shares the committed (frozen) object with every watch and forgets ended watches', async () => {
    const hub = new WatchHub();
    const a = new SimulatedWatchStream<KubeObject>();
    const b = new SimulatedWatchStream<KubeObject>();
    hub.add({ stream: a, matches: () => true, allowBookmarks: false });
    hub.add({ stream: b, matches: () => true, allowBookmarks: true });
    const object = Object.freeze(labelled('blue', 2));
    hub.dispatch({ rv: 2, type: 'ADDED', key: 'x', object, prev: undefined });
    const [ea] = await take1(a);
    const [eb] = await take1(b);
    assert.equal(ea?.object, object);
    assert.equal(eb?.object, object);
    a.close();
    assert.equal(hub.size, 1);
    hub.bookmark({ metadata: { resourceVersion: '2' } });
    assert.equal((await take1(b))[0]?.type, 'BOOKMARK');
    hub.endAll();
    assert.equal(hub.size, 0);
  });
});

async function take1(stream: SimulatedWatchStream<KubeObject>): Promise<Array<{ type: string; object: KubeObject }>> {
  const r = await stream[Symbol.asyncIterator]().next();
  return r.done === true ? [] : [r.value];
}
