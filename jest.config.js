// ESM jest (run under `node --experimental-vm-modules`); ts-jest transpiles only,
// type errors are `npm run typecheck`'s job.
const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The SDK from its source, like the server's own files.
    '^@avalon-realtime/client$': '<rootDir>/packages/client/src/index.ts',
    '^@avalon-realtime/client/(wechat|protocol)$': '<rootDir>/packages/client/src/$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
};

/** @type {import('jest').Config} */
export default {
  // Global only: jest ignores it inside a project.
  testTimeout: 20_000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    { ...base, displayName: 'engine', testMatch: ['<rootDir>/test/engine/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
    {
      ...base,
      displayName: 'fault',
      testMatch: ['<rootDir>/test/fault/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.js',
    },
  ],
};
