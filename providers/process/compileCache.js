"use strict";
// Loads the project's TypeScript in the dynamic-provider process without ts-node: each file is
// transpiled once with TypeScript's transpileModule (what ts-node's transpile-only mode does) and the
// JavaScript is kept in a cache keyed by everything that shapes it (this file's version, the
// TypeScript version, tsconfig.json, the file's path and text), so later processes only read it.
// Type-checking is `npm test`'s job, never this one's.
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

// Bump when the way JavaScript is produced changes, so older cache entries are never used.
const FORMAT = "1";

/** Same folder convention as scripts/pulumi-cli.sh's CLI cache. */
function cacheDir() {
  const base = process.env.MOODLE_PERCIPIO_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "moodle-percipio-iac");
  return path.join(base, "transpiled");
}

/**
 * Serves `.ts` files from the cache. `sourceMaps` keeps an inline source map in the JavaScript (the
 * program's stack traces and resource positions name TypeScript lines); `onLoad(filename, js)` sees
 * each file's JavaScript as it loads.
 */
function register(projectRoot, options = {}) {
  const sourceMaps = Boolean(options.sourceMaps);
  const tsconfigPath = path.join(projectRoot, "tsconfig.json");
  const tsconfigText = fs.readFileSync(tsconfigPath, "utf8");
  const typescriptDir = path.dirname(require.resolve("typescript/package.json", { paths: [projectRoot] }));
  const typescriptVersion = JSON.parse(fs.readFileSync(path.join(typescriptDir, "package.json"), "utf8")).version;
  const dir = cacheDir();

  let compilerOptions;
  const transpile = (source, filename) => {
    const ts = require(typescriptDir);
    if (!compilerOptions) {
      const { config, error } = ts.parseConfigFileTextToJson(tsconfigPath, tsconfigText);
      if (error) throw new Error(`${tsconfigPath}: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
      compilerOptions = ts.convertCompilerOptionsFromJson(config.compilerOptions || {}, projectRoot).options;
      // Node loads CommonJS here whatever the editor settings say; no map files next to nothing.
      Object.assign(compilerOptions, { module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: sourceMaps, inlineSources: false, declaration: false, noEmit: false });
    }
    return ts.transpileModule(source, { fileName: filename, compilerOptions, reportDiagnostics: false }).outputText;
  };

  require.extensions[".ts"] = function loadTypeScript(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto.createHash("sha256").update([sourceMaps ? `${FORMAT}+maps` : FORMAT, typescriptVersion, tsconfigText, filename, source].join("\0")).digest("hex");
    const cached = path.join(dir, `${key}.js`);
    let js;
    try {
      js = fs.readFileSync(cached, "utf8");
    } catch {
      js = transpile(source, filename);
      try {
        // Write then rename: a concurrent reader sees the whole file or none.
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, js);
        fs.renameSync(tmp, cached);
      } catch {
        // A read-only home only costs the next process the same transpilation.
      }
    }
    if (options.onLoad) options.onLoad(filename, js);
    module._compile(js, filename);
  };
}

module.exports = { register };
