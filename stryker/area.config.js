// One area from scratch (`npm run mutation:area -- --mutate 'moodle/session.ts'`), for working on its
// survivors: Stryker writes its recorded results and report for exactly the mutated files, so a
// narrowed run with the main config would replace the whole-scope baseline (stryker/incremental.json)
// and report with one file's. This keeps both out of its way.
const base = require("../stryker.config.js");

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  ...base,
  incrementalFile: "reports/mutation/area-incremental.json",
  htmlReporter: { fileName: "reports/mutation/area.html" },
  jsonReporter: { fileName: "reports/mutation/area.json" },
  // One file's score says nothing about the threshold, which is for the whole scope.
  thresholds: { ...base.thresholds, break: null },
  tempDirName: ".stryker-tmp-area",
};
