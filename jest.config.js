/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; type checking is its own step
    // (`npm run typecheck`, run by `npm test` first).
    "^.+\\.ts$": "ts-jest",
  },
  // Pulumi serializes dynamic-provider closures; istanbul counters would be captured into them.
  coverageProvider: "v8",
  testTimeout: 60000,
  verbose: true,
};
