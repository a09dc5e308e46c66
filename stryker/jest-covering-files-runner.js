// Jest runner for mutation runs only (stryker.config.js `jest.config.runner`; `npm test` does not
// use it). Stryker's jest runner selects a mutant's covering tests by name (`testNamePattern`) but
// hands jest every test file; jest then loads each file's whole module graph (the Moodle double,
// cheerio, axios…) only to skip its tests. On this project that was most of a mutant's cost.
//
// This runner learns which test names each file holds from the first run without a name pattern
// (Stryker's initial run, which runs everything), and afterwards runs only the files holding a test
// the pattern matches, in order, stopping after the first file with a failure: one failure kills
// the mutant, and Stryker's bail cannot reach jest programmatically. A file it has no names for
// (added after the initial run) is always run.
"use strict";
const fs = require("fs");
const path = require("path");
const TestRunner = require("jest-runner").default;

const INDEX_FILE = ".stryker-jest-test-names.json";

class CoveringFilesRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const pattern = this._globalConfig.testNamePattern;
    const indexPath = path.join(this._globalConfig.rootDir, INDEX_FILE);
    if (!pattern) return this.#runAndRecordNames(tests, watcher, options, indexPath);
    const names = readIndex(indexPath);
    const matcher = new RegExp(pattern, "i");
    const covering = tests.filter((test) => {
      const known = names[test.path];
      return known === undefined || known.some((name) => matcher.test(name));
    });
    let failed = false;
    const stopWatching = this.on("test-file-success", ([, result]) => {
      if (result.numFailingTests > 0 || result.testExecError) failed = true;
    });
    const stopWatchingErrors = this.on("test-file-failure", () => {
      failed = true;
    });
    try {
      for (const test of covering) {
        if (failed) break;
        await super.runTests([test], watcher, options);
      }
    } finally {
      stopWatching();
      stopWatchingErrors();
    }
  }

  async #runAndRecordNames(tests, watcher, options, indexPath) {
    const names = {};
    const stop = this.on("test-file-success", ([test, result]) => {
      names[test.path] = result.testResults.map((assertion) => assertion.fullName);
    });
    try {
      await super.runTests(tests, watcher, options);
    } finally {
      stop();
    }
    fs.writeFileSync(indexPath, JSON.stringify(names));
  }
}

let cachedIndex;
function readIndex(indexPath) {
  if (cachedIndex === undefined) {
    cachedIndex = fs.existsSync(indexPath) ? JSON.parse(fs.readFileSync(indexPath, "utf8")) : {};
  }
  return cachedIndex;
}

module.exports = CoveringFilesRunner;
