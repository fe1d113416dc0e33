// The second entry has no name; nothing may be registered.
export const providers = [
  { name: 'fixture-first', factory: () => ({ name: 'fixture-first' }) },
  { factory: () => ({ name: 'anonymous' }) },
];
