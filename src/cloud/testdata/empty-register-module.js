// register() that registers nothing: almost certainly a mistake in the module.
export function register() {}
