// How the dynamic-provider process loads the TypeScript implementations (providers/loader.js ->
// providers/compileCache.js): in a plain node process, as Pulumi starts it, without ts-node, and
// transpiling each file only once across processes.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const projectRoot = path.resolve(__dirname, "..", "..");
let scratch: string;

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-compile-cache-"));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs `script` in a fresh node process (no jest module system) and returns what it printed as JSON. */
function inFreshNode(script: string, cache: string): any {
  const out = execFileSync(process.execPath, ["-e", script], {
    env: { ...process.env, MOODLE_PERCIPIO_CACHE: cache },
    encoding: "utf8",
  });
  return JSON.parse(out);
}

const loadedModules = `Object.keys(require.cache).map((f) => f.split(require("path").sep).join("/"))`;

describe("provider implementations in the dynamic-provider process", () => {
  const script = `
    const loader = require(${JSON.stringify(path.join(projectRoot, "providers", "loader.js"))});
    loader.invoke("NoSuchKind", "read", []).catch((e) => {
      const loaded = ${loadedModules};
      console.log(JSON.stringify({
        error: e.message,
        tsNode: loaded.some((f) => f.includes("/node_modules/ts-node/")),
        typescript: loaded.some((f) => f.includes("/node_modules/typescript/")),
        registry: loaded.some((f) => f.endsWith("/providers/registry.ts")),
      }));
    });`;

  it("load without ts-node, and a second process reuses the JavaScript without loading TypeScript", () => {
    const cache = path.join(scratch, "cache");
    const first = inFreshNode(script, cache);
    expect(first).toMatchObject({ registry: true, tsNode: false, typescript: true });
    expect(first.error).toMatch(/no provider named 'NoSuchKind'/);
    expect(fs.readdirSync(path.join(cache, "transpiled")).filter((f) => f.endsWith(".js")).length).toBeGreaterThan(5);

    const second = inFreshNode(script, cache);
    expect(second).toMatchObject({ registry: true, tsNode: false, typescript: false });
  });

  it("still load when the cache folder cannot be written", () => {
    const notAFolder = path.join(scratch, "file");
    fs.writeFileSync(notAFolder, "");
    expect(inFreshNode(script, notAFolder)).toMatchObject({ registry: true, typescript: true });
  });
});

describe("provider implementations in an installed package", () => {
  it("come from the compiled dist/ when there is no TypeScript next to the loader, without TypeScript or the cache", () => {
    const installed = path.join(scratch, "node_modules", "moodle-percipio-iac");
    fs.mkdirSync(path.join(installed, "providers"), { recursive: true });
    fs.mkdirSync(path.join(installed, "dist", "providers"), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, "providers", "loader.js"), path.join(installed, "providers", "loader.js"));
    fs.writeFileSync(
      path.join(installed, "dist", "providers", "registry.js"),
      'exports.implementations = { WebServices: { read: async (id) => ({ id, props: { from: "dist" } }) } };\n',
    );
    const cache = path.join(scratch, "cache");
    const out = inFreshNode(
      `require(${JSON.stringify(path.join(installed, "providers", "loader.js"))}).invoke("WebServices", "read", ["1"]).then((r) => {
        const loaded = ${loadedModules};
        console.log(JSON.stringify({ r, typescript: loaded.some((f) => f.includes("/node_modules/typescript/")) }));
      });`,
      cache,
    );
    expect(out).toEqual({ r: { id: "1", props: { from: "dist" } }, typescript: false });
    expect(fs.existsSync(cache)).toBe(false);
  });
});

describe("the transpile cache", () => {
  it("transpiles a changed file again instead of serving the old JavaScript", () => {
    const root = path.join(scratch, "project");
    fs.mkdirSync(root);
    fs.copyFileSync(path.join(projectRoot, "tsconfig.json"), path.join(root, "tsconfig.json"));
    fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
    const file = path.join(root, "answer.ts");
    const read = `
      require(${JSON.stringify(path.join(projectRoot, "providers", "process", "compileCache.js"))}).register(${JSON.stringify(root)});
      console.log(JSON.stringify(require(${JSON.stringify(file)}).answer));`;
    const cache = path.join(scratch, "cache");

    fs.writeFileSync(file, "export const answer: number = 41;\n");
    expect(inFreshNode(read, cache)).toBe(41);
    fs.writeFileSync(file, "export const answer: number = 42;\n");
    expect(inFreshNode(read, cache)).toBe(42);
  });
});

describe("the program's modules (index.ts imports providers/process/programLoader.js first)", () => {
  // As Pulumi runs the program: ts-node registered (transpile-only), then index.ts, whose first import
  // hands every later TypeScript module to the transpile cache.
  const program = (extra = "") => `
    require(${JSON.stringify(require.resolve("ts-node", { paths: [projectRoot] }))}).register({ transpileOnly: true, project: ${JSON.stringify(path.join(projectRoot, "tsconfig.json"))} });
    require(${JSON.stringify(path.join(projectRoot, "providers", "process", "programLoader.js"))});
    ${extra}
    const { PercipioIntegration } = require(${JSON.stringify(path.join(projectRoot, "components", "PercipioIntegration.ts"))});
    console.log(JSON.stringify({ component: typeof PercipioIntegration }));`;

  it("come from the transpile cache, not ts-node, and a second run only reads the JavaScript", () => {
    const cache = path.join(scratch, "cache");
    expect(inFreshNode(program(), cache)).toEqual({ component: "function" });
    const transpiled = () => fs.readdirSync(path.join(cache, "transpiled")).filter((f) => f.endsWith(".js"));
    const written = transpiled();
    // The component, its resources, the shim and the connection, at least.
    expect(written.length).toBeGreaterThan(5);
    const stamp = Object.fromEntries(written.map((f) => [f, fs.statSync(path.join(cache, "transpiled", f)).mtimeMs]));
    expect(inFreshNode(program(), cache)).toEqual({ component: "function" });
    expect(transpiled().sort()).toEqual(written.sort());
    for (const f of written) expect(fs.statSync(path.join(cache, "transpiled", f)).mtimeMs).toBe(stamp[f]);
  });

  it("keep their TypeScript lines in stack traces (the cached JavaScript carries its source map)", () => {
    const root = path.join(scratch, "project");
    fs.mkdirSync(root);
    const file = path.join(root, "thrower.ts");
    // Types and an interface the JavaScript drops, so its lines differ from the TypeScript's.
    fs.writeFileSync(file, ["interface Shape {", "  a: number;", "}", "", "export function fail(s: Shape): never {", '  throw new Error("from line 6 " + s.a);', "}", ""].join("\n"));
    const out = inFreshNode(
      program(`
        try { require(${JSON.stringify(file)}).fail({ a: 1 }); } catch (e) { console.log(JSON.stringify({ stack: e.stack })); process.exit(0); }`),
      path.join(scratch, "cache"),
    );
    expect(out.stack).toContain(`${file}:6:`);
  });

  it("is left to ts-node where nothing compiles TypeScript (a compiled program): nothing registered", () => {
    const out = inFreshNode(
      `require(${JSON.stringify(path.join(projectRoot, "providers", "process", "programLoader.js"))});
       console.log(JSON.stringify({ ts: typeof require.extensions[".ts"] }));`,
      path.join(scratch, "cache"),
    );
    expect(out).toEqual({ ts: "undefined" });
    expect(fs.existsSync(path.join(scratch, "cache"))).toBe(false);
  });
});
