// Mutation testing (`npm run mutation`): StrykerJS changes the production code one small edit at a
// time and checks that a fast suite fails for each edit. The engine suites (tests/engine, minutes
// each) are left out so a full run fits in 20 minutes on a 2-core machine.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  packageManager: "npm",
  testRunner: "jest",
  plugins: ["@stryker-mutator/*", "./stryker/ignore-message-text.mjs"],
  // Error, hint and log wording (see the plugin for exactly what counts as wording).
  ignorers: ["message-text"],
  mutator: {
    // Regex mutants (weapon-regex) rewrite each pattern a dozen ways, mostly into patterns that
    // match the same recorded Moodle pages; the parsers' behaviour is pinned by those pages instead.
    excludedMutations: ["Regex"],
  },
  checkers: ["typescript"],
  tsconfigFile: "tsconfig.mutation.json",
  mutate: [
    "providers/**/*.ts",
    // The serialized shim is what Pulumi writes into state and must stay stable; it runs only in
    // other processes (tests/providers/shim, the engine suites), as does loader.js (plain JS).
    "!providers/shim.ts",
    "moodle/**/*.ts",
    "config/**/*.ts",
    // Docker mode's config parsing (its component and helpers need the Docker engine: tests/docker).
    "docker/config.ts",
    "components/PercipioIntegration.ts",
    // The handoff document and next steps the component outputs.
    "components/handoff.ts",
    "percipio/**/*.ts",
  ],
  jest: {
    projectType: "custom",
    configFile: "jest.config.js",
    // Only the fast, focused suites. Left out: tests/engine (minutes per suite), tests/double (it
    // tests the double, not this code), tests/client (its ~100 end-to-end and fault-injection tests
    // all run through moodle/http.ts and moodle/session.ts, so each mutant there would rerun all of
    // them: hours per run) and the Docker suites other than the config ones. All of them still run
    // in `npm test`.
    config: {
      testMatch: [
        "<rootDir>/tests/{moodle,providers,config,component}/**/*.test.ts",
        "<rootDir>/tests/docker/config*.test.ts",
      ],
      // Runs only the files that hold a mutant's covering tests, and stops at the first failing file.
      runner: "<rootDir>/stryker/jest-covering-files-runner.js",
    },
    // The runner above already narrows the files, by test name rather than by imports.
    enableFindRelatedTests: false,
  },
  // Each mutant runs only the tests that executed its code in the initial run.
  coverageAnalysis: "perTest",
  // Mutants in code that only runs while modules load or in beforeAll hooks (constants, suite set-up)
  // would each need every suite (~3 min); they are reported as ignored instead.
  ignoreStatic: true,
  // ts-jest only transpiles (isolatedModules); the checker turns mutants that do not compile into
  // CompileError instead of running tests on them, and the mutated files skip type checks in jest.
  disableTypeChecks: "{providers,moodle,config,components,docker,percipio}/**/*.ts",
  // Results are reused for mutants whose code and covering tests did not change since the recorded
  // run (stryker/incremental.json, committed with the code it describes): a full run takes about an
  // hour on this 2-core machine, a run after a small change minutes. `npm run mutation -- --force`
  // retests everything and records a new baseline.
  incremental: true,
  incrementalFile: "stryker/incremental.json",
  // 2 cores, 3 processes: two TypeScript checkers and one jest runner while mutants are being
  // checked (one checker could not keep one runner fed), then three runners.
  concurrency: 3,
  // Jest leaks about 12 MB per run when one process runs it again and again (3 GB after 250 runs,
  // and slower with it); a fresh runner after 100 runs costs about 3 s.
  maxTestRunnerReuse: 100,
  // A mutant counts as killed at its first failing test: listing every killing test (disableBail)
  // made each killed mutant run all of its covering tests.
  disableBail: false,
  // A mutant that loops forever (a redirect or paging loop whose bound was mutated) costs the whole
  // timeout plus a runner restart; the covering tests take well under a second, so a few seconds
  // of slack is enough.
  timeoutFactor: 1.5,
  timeoutMS: 4000,
  reporters: ["html", "json", "clear-text", "progress"],
  // The whole-scope report is committed beside the recorded results it shows (README "Mutation testing").
  htmlReporter: { fileName: "stryker/report.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: ".stryker-tmp",
  ignorePatterns: [".pulumi-local", "reports", "coverage", "bin", "dist", ".stryker-tmp*", "/stryker/incremental.json", "/stryker/report.html"],
  cleanTempDir: "always",
};
