// `register` must be a function.
export const register = { name: 'fixture-not-a-function' };
