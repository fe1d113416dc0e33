// A provider module exporting a single { name, factory } entry; the factory echoes its config.
export const provider = {
  name: 'fixture-provider',
  factory: (config) => ({ name: 'fixture-provider', config: config.contents }),
};
