"use strict";
// Entry point of the provider implementations for the serialized shims (providers/shim.ts).
// Runs inside Pulumi's dynamic-provider process, which has no TypeScript loader. In a checkout it
// registers providers/compileCache.js (transpile once, then reuse the JavaScript) before loading the
// TypeScript implementations (ts-node cost about a second and 80 MB per provider process); in the
// installed package, which has no TypeScript sources, it loads the compiled JavaScript of dist/.
// Contract relied on by every state file ever written: `invoke(kind, method, args)`.
const fs = require("fs");
const path = require("path");

let implementations;

function load() {
  if (!implementations) {
    if (fs.existsSync(path.join(__dirname, "registry.ts"))) {
      // A checkout: the TypeScript sources are the truth.
      if (!require.extensions[".ts"]) {
        require("./process/compileCache").register(path.join(__dirname, ".."));
      }
      implementations = require("./registry").implementations;
    } else {
      // The installed package ships compiled JavaScript only (tsconfig.build.json -> dist/).
      implementations = require("../dist/providers/registry.js").implementations;
    }
  }
  return implementations;
}

exports.invoke = async function invoke(kind, method, args) {
  const implementation = load()[kind];
  if (!implementation) {
    throw new Error(
      `moodle-percipio-iac has no provider named '${kind}'. The stack's state was probably written ` +
        "by a newer version of this project: check out that version to refresh or destroy it.",
    );
  }
  if (typeof implementation[method] !== "function") {
    if (method === "configure") return undefined;
    throw new Error(`provider '${kind}' does not implement '${method}'`);
  }
  return implementation[method](...args);
};
