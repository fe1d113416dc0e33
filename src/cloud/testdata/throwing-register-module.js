// register() fails, as a provider module might when its environment is incomplete.
export function register() {
  throw new Error('ACME_TOKEN is not set');
}
