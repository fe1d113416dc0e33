// A provider module exporting several { name, factory } entries.
export const providers = [
  { name: 'fixture-one', factory: () => ({ name: 'fixture-one' }) },
  { name: 'fixture-two', factory: () => ({ name: 'fixture-two' }) },
];
