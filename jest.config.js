/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type checking is a separate step (`npm run typecheck`), so tests transpile only.
    "^.+\\.ts$": ["ts-jest", { isolatedModules: true }],
  },
  // Pulumi serializes dynamic-provider closures; istanbul counters would be captured into them.
  coverageProvider: "v8",
  testTimeout: 60000,
  verbose: true,
};
