"use strict";
// Entry point of the provider implementations for the serialized shims (providers/shim.ts).
// Runs inside Pulumi's dynamic-provider process, which has no TypeScript loader, so it registers
// providers/compileCache.js (transpile once, then reuse the JavaScript) before loading the
// TypeScript implementations; ts-node cost about a second and 80 MB per provider process.
// Contract relied on by every state file ever written: `invoke(kind, method, args)`.
const path = require("path");

let implementations;

function load() {
  if (!implementations) {
    if (!require.extensions[".ts"]) {
      require("./compileCache").register(path.join(__dirname, ".."));
    }
    implementations = require("./registry").implementations;
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
