// Exports both conventions at once, which the loader refuses as ambiguous.
export function register(registry) {
  registry.register('fixture-ambiguous', () => ({ name: 'fixture-ambiguous' }));
}
export const provider = { name: 'fixture-ambiguous', factory: () => ({ name: 'fixture-ambiguous' }) };
