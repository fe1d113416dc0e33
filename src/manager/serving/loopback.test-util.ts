/**
 * Test support for the manager's listeners: a free loopback port and one HTTPS request that
 * accepts the self-signed certificate. (Test support only: kept out of the build.)
 *
 * @module
 */
import { request } from 'node:https';

/** Port 0 means "disabled" to the manager's listeners, so tests bind one the OS picked a moment ago. */
export { freeLoopbackPort as freePort } from '../../testing/kube-test-cluster/temp-and-ports.js';

/** POSTs `body` over HTTPS to 127.0.0.1 and resolves with the status, body and content type. */
export function httpsPost(port: number, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': contentType }, rejectUnauthorized: false, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
