/**
 * `outrigger/providers`: Outrigger's own providers for a manager you run yourself — `fake` (a
 * configurable test double) and `local` (real load balancers on this host).
 *
 * @module
 */
export { registerBuiltinProviders } from './builtin.js';
