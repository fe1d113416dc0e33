/**
 * One TCP connection attempt, for tests that check whether something listens.
 * @module
 */
import { connect } from 'node:net';

/** Resolves `connected` (and closes the connection), or the socket error code (e.g. `ECONNREFUSED`). */
export function probeTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
