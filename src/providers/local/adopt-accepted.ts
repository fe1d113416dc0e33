/**
 * Gives a connection that a `net.Server` accepted the `onread` option Node gives only to sockets
 * it creates: reads land in buffers of ours instead of a fresh 64 KiB allocation each.
 *
 * Why: in the load balancer, every read of a client connection allocated a new buffer that lived
 * for one write. V8 counts those buffers against the old generation's limit, so in a process with
 * a real heap (the CCM's informers and caches, not a benchmark's bare listener) they trigger a
 * full collection every few tens of milliseconds during a bulk upload — which halved upload
 * throughput in `npm run bench -- local` (0.45× against 0.9–1.2× HAProxy with own buffers), and
 * would stall the controllers sharing the process too. Node 20 has no public way to ask for this
 * (`net.createServer` takes no `onread`), so the accepted socket's handle is moved into a new
 * `net.Socket` built with `onread`. That uses `socket._handle`, which is not public API: it is
 * checked, and when it is not what is expected the caller keeps the accepted socket as it is (the
 * slower, allocating path); `adopt-accepted.test.ts` fails when a Node release changes this.
 *
 * @module
 */
import { Socket } from 'node:net';
import type { OnReadOpts } from 'node:net';

interface WithHandle {
  _handle: unknown;
}

function movableHandle(socket: Socket): object | undefined {
  const handle = (socket as unknown as Partial<WithHandle>)._handle;
  if (handle === null || typeof handle !== 'object') return undefined;
  // What the new Socket will call on it: a stream handle that can read into a user buffer.
  const h = handle as { useUserBuffer?: unknown; readStart?: unknown; readStop?: unknown };
  return typeof h.useUserBuffer === 'function' && typeof h.readStart === 'function' && typeof h.readStop === 'function' ? handle : undefined;
}

/**
 * A socket on `accepted`'s connection that reads into `onread`'s buffers, reading from now on; or
 * `undefined` (and `accepted` untouched) when this Node's sockets are not built as expected.
 * `accepted` must not have read yet (a server with `pauseOnConnect`). Afterwards `accepted` is
 * closed for the server's bookkeeping only (its connection count); the connection itself belongs
 * to the returned socket, which closes it.
 */
export function adoptAccepted(accepted: Socket, onread: OnReadOpts, options: { readonly allowHalfOpen: boolean }): Socket | undefined {
  const handle = movableHandle(accepted);
  if (handle === undefined || accepted.readableLength > 0) return undefined;
  (accepted as unknown as WithHandle)._handle = null;
  accepted.destroy();
  // `handle` is the (undocumented) option net.Server itself builds accepted sockets with.
  return new Socket({ handle, onread, allowHalfOpen: options.allowHalfOpen, readable: true, writable: true } as ConstructorParameters<typeof Socket>[0]);
}
