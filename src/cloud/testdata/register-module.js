// A provider module using the register(registry) convention, registering two providers.
export function register(registry) {
  registry.register('fixture-register-a', () => ({ name: 'fixture-register-a' }));
  registry.register('fixture-register-b', () => ({ name: 'fixture-register-b' }));
}
