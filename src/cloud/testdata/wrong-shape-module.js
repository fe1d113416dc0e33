// `provider` is present but its factory is not a function.
export const provider = { name: 'fixture-wrong', factory: 'not a function' };
