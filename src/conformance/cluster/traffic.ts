/**
 * The suite's one data-plane probe: a TCP connection to a load balancer's ingress point, a minimal
 * HTTP/1.0 request, and whether any byte comes back before the probe's own deadline. Used only
 * when the fixture says a backend answers behind every Node (`cluster.traffic`): without one, a
 * silent load balancer and a blocked one look the same.
 *
 * @module
 */
import { connect } from 'node:net';
import type { Clock } from '../../kube/clock.js';

/** The outcome of one probe. */
export type ProbeResult = { readonly answered: true } | { readonly answered: false; readonly why: string };

/**
 * Connects to `host:port`, sends `GET / HTTP/1.0`, and resolves once a first byte arrives
 * (`answered`), or the connection fails, closes empty or stays silent for `timeoutMs`.
 */
export function probeHttp(host: string, port: number, timeoutMs: number, clock: Clock, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let settled = false;
    const finish = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish({ answered: false, why: 'aborted' });
    const timer = clock.setTimer(timeoutMs, () => finish({ answered: false, why: `no answer within ${timeoutMs} ms` }));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\nUser-Agent: outrigger-conformance\r\n\r\n`));
    socket.once('data', () => finish({ answered: true }));
    socket.once('end', () => finish({ answered: false, why: 'closed without an answer' }));
    socket.once('close', () => finish({ answered: false, why: 'closed without an answer' }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ answered: false, why: err.code ?? err.message }));
  });
}

/**
 * Tells, probe by probe, whether an ingress point has stopped answering: once `need` probes in a
 * row went unanswered (an answer starts the count again). One lost or slow probe proves nothing.
 */
export function stoppedAnsweringAfter(need: number): (result: ProbeResult) => boolean {
  let unanswered = 0;
  return (result) => {
    unanswered = result.answered ? 0 : unanswered + 1;
    return unanswered >= need;
  };
}
