"use strict";
// index.ts's first import. Pulumi runs the program with ts-node (`typescript: true`, transpile-only),
// which transpiles every module the program loads on every run: about 0.2 s per program process
// here, and `pulumi up` runs the program twice (preview and update). From here on the program's
// TypeScript modules come from the transpile cache the provider processes use (compileCache.js),
// with source maps kept, so stack traces and Pulumi's resource positions still name TypeScript lines.
// Where nothing compiles TypeScript (no `.ts` loader registered), it does nothing.
const path = require("path");

if (require.extensions[".ts"]) {
  const outputs = new Map();
  require("./compileCache").register(path.join(__dirname, "..", ".."), { sourceMaps: true, onLoad: (filename, js) => outputs.set(filename, js) });
  try {
    // ts-node's source-map support, told where the cached JavaScript (with its map) of each file is.
    const tsNode = path.dirname(require.resolve("ts-node/package.json", { paths: [process.cwd(), __dirname] }));
    require(require.resolve("@cspotcode/source-map-support", { paths: [tsNode] })).install({ environment: "node", retrieveFile: (file) => outputs.get(file) });
  } catch {
    // No ts-node source-map support: stack traces name the JavaScript's lines.
  }
}
