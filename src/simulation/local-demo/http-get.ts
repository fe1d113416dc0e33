/**
 * One HTTP GET for the demos' checks and tests.
 *
 * @module
 */
import { request } from 'node:http';
import { RealClock } from '../../kube/clock.js';

/** One HTTP GET with `agent: false`, bounded by `timeoutMs`; resolves with the body of a 200 answer. */
export function httpGet(url: string, timeoutMs: number): Promise<string> {
  const clock = new RealClock();
  return new Promise((resolve, reject) => {
    const controller = new AbortController();
    const timer = clock.setTimer(timeoutMs, () => controller.abort(new Error(`no answer within ${timeoutMs} ms`)));
    const req = request(url, { agent: false, signal: controller.signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => {
        timer.cancel();
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`HTTP ${res.statusCode ?? '?'}`));
      });
      res.once('error', (err) => {
        timer.cancel();
        reject(err);
      });
    });
    req.once('error', (err) => {
      timer.cancel();
      reject(err);
    });
    req.end();
  });
}
