// @ts-check
/** swc strips types only; `npm test` runs `tsc --noEmit` first so type errors still fail the suite. */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } },
  ],
};

/** @param {string} name @param {Partial<import('jest').Config>} [extra] @returns {import('jest').Config} */
const project = (name, extra = {}) => ({
  displayName: name,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  testEnvironment: 'node',
  transform,
  ...extra,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project('unit'),
    project('contract'),
    project('integration', {
      globalSetup: '<rootDir>/test/helpers/redis-global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/redis-global-teardown.ts',
    }),
  ],
  testTimeout: 30_000,
};
