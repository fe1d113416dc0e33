// A stand-in for one node's data plane, run as its own process: what kube-proxy would serve on
// the node's InternalIP — each given nodePort answering HTTP with the node's name, and kube-proxy's
// healthz on 10256. Usage: node node-agent.mjs <node-name> <ip> <nodePort>[,<nodePort>...]
// Prints "ready" once every listener is bound; exits on SIGTERM or when its stdin closes.
import { createServer } from 'node:http';

const [name, ip, portList] = process.argv.slice(2);
const ports = (portList ?? '').split(',').filter(Boolean).map(Number);
const servers = [];
const listen = (port, handler) =>
  new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 1000;
    server.once('error', reject);
    server.listen(port, ip, () => resolve(server));
  });
try {
  for (const port of ports) servers.push(await listen(port, (_req, res) => res.end(`node ${name}\n`)));
  servers.push(await listen(10256, (req, res) => {
    res.statusCode = req.url === '/healthz' ? 200 : 404;
    res.end(req.url === '/healthz' ? '{"lastUpdated":"","currentTime":""}' : 'not found');
  }));
} catch (err) {
  console.error(`node-agent ${name}: cannot listen on ${ip}: ${err.message}`);
  process.exit(1);
}
console.log('ready');
const stop = () => {
  for (const s of servers) s.close();
  for (const s of servers) s.closeAllConnections?.();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
