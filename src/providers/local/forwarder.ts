/**
 * One direction of a proxied TCP connection: Node reads the source socket into buffers of ours
 * (`onread`) and each read is written to the target socket at once.
 *
 * @module
 */
import type { OnReadOpts, Socket } from 'node:net';

// A read buffer while reads fill it (bulk transfer). Reading into a buffer of ours instead of Node's
// fresh 64 KiB per read spares the garbage, whose collection costs more CPU than the copying
// (external-memory GCs, page faults).
const BIG_READ_BYTES = 32 * 1024;
// What a connection holds while its peer sends little at a time (requests and responses, idle).
const SMALL_READ_BYTES = 2 * 1024;
// Buffers installed in no connection, by size, kept for the next connection that needs one.
const SPARE_BUFFERS = 64;
const spareBig: Buffer[] = [];
const spareSmall: Buffer[] = [];

/** What a forwarder without a target (the node connection is still opening) holds before pausing. */
export const EARLY_BYTES_LIMIT = 64 * 1024;

function take(bytes: number): Buffer {
  return (bytes === BIG_READ_BYTES ? spareBig : spareSmall).pop() ?? Buffer.allocUnsafeSlow(bytes);
}

function spare(buffer: Buffer): void {
  const list = buffer.length === BIG_READ_BYTES ? spareBig : spareSmall;
  if (list.length < SPARE_BUFFERS) list.push(buffer);
}

/**
 * The `onread` of one direction. When the target's kernel buffer takes a write whole (the receiver
 * keeps up) the read buffer is reused for the next read; when part of it stays queued in the target
 * socket, that buffer belongs to the queued write (Node writes Buffers by reference) and the next
 * read gets another one. A read that fills the buffer gets a big buffer next; one that does not a
 * small one, so an idle connection holds 2 KiB, not 32. Returning false stops reading (Node's
 * onread contract) until the target drains: at most a high-water mark plus one buffer wait here.
 *
 * Without a target yet — a client connection whose node connection is still opening — reads are
 * copied aside (up to {@link EARLY_BYTES_LIMIT}, then reading stops) and written first when the
 * target is attached; so a request that came with the accept goes out in the node connection's
 * first turn, and a node that refused can be replaced by another with nothing lost.
 */
export class Forwarder implements OnReadOpts {
  /** Whether the last read returned false: the source reads no more until {@link resume}. */
  paused = false;
  #target: Socket | undefined;
  #early: Buffer[] = [];
  #earlyBytes = 0;
  // Never a buffer a queued write still refers to (that one is dropped, not reused).
  #small: Buffer | undefined = take(SMALL_READ_BYTES);
  #current: Buffer = this.#small as Buffer;

  /** @param target where reads go; undefined until {@link attach}. */
  constructor(target?: Socket) {
    this.#target = target;
  }

  /** Bytes read but not yet handed to a target. */
  get heldBytes(): number {
    return this.#earlyBytes;
  }

  /** The buffer the next read goes into (Node asks after every read). */
  readonly buffer = (): Buffer => this.#current;

  /** `nread` bytes arrived in the current buffer. */
  readonly callback = (nread: number): boolean => {
    const buf = this.#current;
    const bulk = nread === buf.length;
    const target = this.#target;
    if (target === undefined) {
      this.#early.push(Buffer.from(buf.subarray(0, nread)));
      this.#earlyBytes += nread;
      this.#next(bulk, false);
      this.paused = this.#earlyBytes >= EARLY_BYTES_LIMIT;
      return !this.paused;
    }
    const more = target.write(bulk ? buf : buf.subarray(0, nread));
    this.#next(bulk, target.writableLength > 0);
    this.paused = !more;
    return more;
  };

  /** Picks the buffer for the next read: `held` means a queued write still refers to the current one. */
  #next(bulk: boolean, held: boolean): void {
    const isBig = this.#current.length === BIG_READ_BYTES;
    if (!held && bulk === isBig) return;
    if (isBig && !held) spare(this.#current);
    if (!isBig && held) this.#small = undefined;
    this.#current = bulk ? take(BIG_READ_BYTES) : (this.#small ??= take(SMALL_READ_BYTES));
  }

  /**
   * From now on reads go to `target`; what was held is written first.
   * @returns false when `target` is over its high-water mark (wait for its `'drain'`).
   */
  attach(target: Socket): boolean {
    this.#target = target;
    let more = true;
    for (const chunk of this.#early) more = target.write(chunk);
    this.#early = [];
    this.#earlyBytes = 0;
    return more;
  }

  /** Restarts reading `source` if the last read stopped it (call when the target drained). */
  resume(source: Socket): void {
    if (!this.paused) return;
    this.paused = false;
    source.resume();
  }

  /** The source is closed: no read can land in its buffers any more. */
  recycle(): void {
    spare(this.#current);
    if (this.#small !== undefined && this.#small !== this.#current) spare(this.#small);
    this.#small = undefined;
  }
}
