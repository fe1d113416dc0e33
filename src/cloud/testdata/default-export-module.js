// The convention exports may sit on the default export (how CommonJS modules appear to import()).
export default {
  provider: { name: 'fixture-default', factory: () => ({ name: 'fixture-default' }) },
};
