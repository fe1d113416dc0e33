// register() may be async; the loader awaits it before checking what was registered.
export async function register(registry) {
  await Promise.resolve();
  registry.register('fixture-async', () => ({ name: 'fixture-async' }));
}
