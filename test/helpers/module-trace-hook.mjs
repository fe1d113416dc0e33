// A module loader hook that prints every module URL Node loads (`LOAD <url>` on stderr), so a test
// can see what an import pulls in. Registered by module-trace-register.mjs.
export async function load(url, context, next) {
  process.stderr.write(`LOAD ${url}\n`);
  return next(url, context);
}
