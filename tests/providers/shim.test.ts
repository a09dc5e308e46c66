// Where the serialized shims (providers/shim.ts, and 0.1's, kept in tests/support/shimV0_1.ts) find
// the provider implementations: their text is evaluated the way Pulumi's dynamic-provider process
// does (require-from-string, in a fresh node started in the program folder), against fake loaders
// that say which one answered.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { forwardingProvider } from "../../providers/shim";
import { forwardingProvider as forwardingProviderV0_1 } from "../support/shimV0_1";

const projectRoot = path.resolve(__dirname, "..", "..");
const requireFromString = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] });

let scratch: string;
beforeEach(() => {
  scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mpi-shim-")));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function serialized(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
  // What pulumi.dynamic.Resource stores in `__provider`.
  return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/** A loader.js that answers with its own name instead of doing anything. */
function fakeLoader(folder: string, name: string): void {
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(
    path.join(folder, "loader.js"),
    `exports.invoke = async (kind, method, args) => ({ loader: ${JSON.stringify(name)}, kind, method, args });\n`,
  );
}

/** Calls `method` of the serialized provider in a fresh node process whose working folder is `cwd`. */
function callThrough(text: string, cwd: string, env: Record<string, string> = {}, method = "read", args: unknown[] = ["7", { a: 1 }]): any {
  const script = `
    const provider = require(${JSON.stringify(requireFromString)})(process.env.SHIM_TEXT).handler();
    // A shim may throw before it returns a promise; the dynamic-provider process catches both.
    Promise.resolve().then(() => provider[${JSON.stringify(method)}](...${JSON.stringify(args)})).then(
      (r) => console.log(JSON.stringify(r)),
      (e) => console.log(JSON.stringify({ error: e.message })));`;
  const { MOODLE_PERCIPIO_IAC_ROOT: _ignored, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ["-e", script], { cwd, env: { ...inherited, ...env, SHIM_TEXT: text }, encoding: "utf8" });
  return JSON.parse(out);
}

describe("the shim this version writes into state", () => {
  let text: string;
  beforeAll(async () => {
    text = await serialized(forwardingProvider("WebServices"));
  });

  it("uses the installed package's loader in a program that depends on moodle-percipio-iac, even beside a providers/loader.js of its own", () => {
    fakeLoader(path.join(scratch, "node_modules", "moodle-percipio-iac", "providers"), "package");
    fakeLoader(path.join(scratch, "providers"), "program folder");
    expect(callThrough(text, scratch)).toEqual({ loader: "package", kind: "WebServices", method: "read", args: ["7", { a: 1 }] });
  });

  it("finds the package installed in a parent folder's node_modules, as node does", () => {
    fakeLoader(path.join(scratch, "node_modules", "moodle-percipio-iac", "providers"), "package");
    const program = path.join(scratch, "infra", "moodle");
    fs.mkdirSync(program, { recursive: true });
    expect(callThrough(text, program)).toMatchObject({ loader: "package" });
  });

  it("uses the program folder's providers/loader.js when the package is not installed (this project run directly)", () => {
    fakeLoader(path.join(scratch, "providers"), "program folder");
    expect(callThrough(text, scratch)).toMatchObject({ loader: "program folder", kind: "WebServices", method: "read" });
  });

  it("uses MOODLE_PERCIPIO_IAC_ROOT's loader over both", () => {
    fakeLoader(path.join(scratch, "node_modules", "moodle-percipio-iac", "providers"), "package");
    fakeLoader(path.join(scratch, "providers"), "program folder");
    fakeLoader(path.join(scratch, "checkout", "providers"), "checkout");
    expect(callThrough(text, scratch, { MOODLE_PERCIPIO_IAC_ROOT: path.join(scratch, "checkout") })).toMatchObject({ loader: "checkout" });
  });

  it("says how to fix it when it finds no implementation at all", () => {
    const { error } = callThrough(text, scratch);
    expect(error).toMatch(/moodle-percipio-iac/);
    expect(error).toMatch(/npm install moodle-percipio-iac/);
    expect(error).toMatch(/MOODLE_PERCIPIO_IAC_ROOT/);
  });

  it("propagates an error thrown by the implementation as it is", () => {
    fs.mkdirSync(path.join(scratch, "node_modules", "moodle-percipio-iac", "providers"), { recursive: true });
    fs.writeFileSync(
      path.join(scratch, "node_modules", "moodle-percipio-iac", "providers", "loader.js"),
      "exports.invoke = async () => { throw new Error('Invalid login at moodle:url'); };\n",
    );
    expect(callThrough(text, scratch)).toEqual({ error: "Invalid login at moodle:url" });
  });
});

describe("state written by 0.1 (its shim text)", () => {
  let text: string;
  beforeAll(async () => {
    text = await serialized(forwardingProviderV0_1("WebServiceToken"));
  });

  it("loads <program folder>/providers/loader.js, so that file keeps its path and its invoke(kind, method, args)", () => {
    expect(text).toContain('"providers", "loader.js"');
    fakeLoader(path.join(scratch, "providers"), "program folder");
    expect(callThrough(text, scratch)).toEqual({ loader: "program folder", kind: "WebServiceToken", method: "read", args: ["7", { a: 1 }] });
  });

  it("is served by this project's providers/loader.js", () => {
    for (const name of ["providers", "node_modules", "tsconfig.json"]) fs.symlinkSync(path.join(projectRoot, name), path.join(scratch, name));
    expect(callThrough(text, scratch, {}, "check", [{}, {}]).failures.map((f: { property: string }) => f.property)).toEqual(
      expect.arrayContaining(["moodleUrl", "adminPassword", "name", "tokenUser", "rotation"]),
    );
  });
});
