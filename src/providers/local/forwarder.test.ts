import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { EARLY_BYTES_LIMIT, Forwarder } from './forwarder.js';

/** A target socket stand-in: records writes; `queued` bytes stay "in the socket" until drained. */
class Target {
  readonly writes: Buffer[] = [];
  queued = 0;
  highWaterMark = 16 * 1024;

  write(chunk: Buffer): boolean {
    this.writes.push(chunk);
    return this.queued < this.highWaterMark;
  }

  get writableLength(): number {
    return this.queued;
  }

  asSocket(): Socket {
    return this as unknown as Socket;
  }
}

/** Plays one read of `bytes` into the forwarder's current buffer, as Node does. */
function read(f: Forwarder, bytes: Buffer): { buffer: Buffer; more: boolean } {
  const buffer = f.buffer();
  assert.ok(bytes.length <= buffer.length);
  bytes.copy(buffer);
  return { buffer, more: f.callback(bytes.length) };
}

describe('Forwarder', () => {
  it('without a target it holds copies of what came, in order, stops reading at its limit, and writes them first on attach', () => {
    const f = new Forwarder();
    const chunks: Buffer[] = [];
    let more = true;
    for (let i = 0; more; i++) {
      const chunk = Buffer.alloc(Math.min(f.buffer().length, 1500), i % 251);
      chunks.push(Buffer.from(chunk));
      more = read(f, chunk).more;
      // The held bytes are copies: the read buffer is free for the next read.
      f.buffer().fill(0xee);
      assert.ok(i < 1000, 'bounded');
    }
    const held = chunks.reduce((n, c) => n + c.length, 0);
    assert.ok(held >= EARLY_BYTES_LIMIT && held < EARLY_BYTES_LIMIT + 1500, `stops at the limit (${held})`);
    assert.equal(f.heldBytes, held);
    assert.equal(f.paused, true);

    const t = new Target();
    assert.equal(f.attach(t.asSocket()), true);
    assert.deepEqual(Buffer.concat(t.writes), Buffer.concat(chunks));
    assert.equal(f.heldBytes, 0);
    // Afterwards reads go straight to the target.
    read(f, Buffer.from('after'));
    assert.equal(t.writes.at(-1)?.toString(), 'after');
  });

  it('reuses its buffer while the target takes each write whole, never one a queued write still refers to', () => {
    const t = new Target();
    const f = new Forwarder(t.asSocket());
    const first = read(f, Buffer.from('a')).buffer;
    assert.equal(read(f, Buffer.from('b')).buffer, first, 'taken whole: same buffer');
    t.queued = 1;
    const queued = read(f, Buffer.from('c')).buffer;
    assert.equal(queued, first);
    assert.notEqual(f.buffer(), queued, 'the queued write keeps its buffer; the next read gets another');
    assert.equal(t.writes.at(-1)?.toString(), 'c');
  });

  it('a read that fills its buffer gets a big one next; a short read a small one again', () => {
    const t = new Target();
    const f = new Forwarder(t.asSocket());
    const small = f.buffer().length;
    read(f, Buffer.alloc(small, 1));
    const big = f.buffer().length;
    assert.ok(big > small, `${big} > ${small}`);
    read(f, Buffer.alloc(big, 2));
    assert.equal(f.buffer().length, big, 'still bulk');
    read(f, Buffer.from('x'));
    assert.equal(f.buffer().length, small, 'back to small when the peer sends little');
  });

  it('a full target stops reading until resume, which restarts the source once', () => {
    const t = new Target();
    t.queued = t.highWaterMark;
    const f = new Forwarder(t.asSocket());
    assert.equal(read(f, Buffer.from('x')).more, false);
    assert.equal(f.paused, true);
    let resumed = 0;
    const source = { resume: () => resumed++ } as unknown as Socket;
    f.resume(source);
    f.resume(source);
    assert.equal(resumed, 1);
    assert.equal(f.paused, false);
  });
});
