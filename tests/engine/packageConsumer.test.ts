// The package as a team installs it: `npm pack`, then `npm install` of the tarball into a separate
// Pulumi program that uses another @pulumi/pulumi 3.x (the oldest the package declares it supports,
// its peerDependency's lower bound). The program gets one copy of @pulumi/pulumi, its own, and `up` and
// `destroy` work through the real engine with the provider implementation from the installed package.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { programStack, projectRoot, TestStack } from "../../testkit/engine/engine";
import { docsProgram, PACKAGE_NAME, packProject } from "../support/packagedProgram";

jest.setTimeout(600_000);

const manifest = require("../../package.json");
/** The lowest @pulumi/pulumi the package says it supports. */
const OLDEST_SDK = /^>=(\d+\.\d+\.\d+)/.exec(manifest.peerDependencies["@pulumi/pulumi"])![1];

describe(`the packed component installed with npm into a program on @pulumi/pulumi ${OLDEST_SDK}`, () => {
  let moodle: MoodleDouble;
  let scratch: string;
  let dir: string;
  let test: TestStack;

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-consumer-npm-"));
    const { tarball } = packProject(scratch);
    dir = path.join(scratch, "program");
    fs.mkdirSync(dir);
    const dev = manifest.devDependencies;
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({
        name: "percipio-consumer",
        private: true,
        main: "index.ts",
        dependencies: { "@pulumi/pulumi": OLDEST_SDK, [PACKAGE_NAME]: `file:${tarball}` },
        devDependencies: { typescript: dev.typescript, "ts-node": dev["ts-node"], "@types/node": dev["@types/node"] },
      }),
    );
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: percipio-consumer\nruntime: nodejs\n");
    fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", strict: true, esModuleInterop: true }, "ts-node": { transpileOnly: true } }));
    fs.writeFileSync(path.join(dir, "index.ts"), docsProgram());
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "pipe", timeout: 480_000 });
    test = await programStack(dir, { envVars: { MOODLE_PERCIPIO_IAC_ROOT: "" } });
    await test.stack.setAllConfig({
      "site:url": { value: moodle.url },
      "site:allowHttp": { value: "true" },
      "site:adminPassword": { value: moodle.adminPassword, secret: true },
    });
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("installs with one @pulumi/pulumi, the program's own: none nested under the package or its dependencies", () => {
    const versions = new Set<string>();
    const walk = (modules: string) => {
      if (!fs.existsSync(modules)) return;
      for (const entry of fs.readdirSync(modules)) {
        const pkgDir = path.join(modules, entry);
        if (entry.startsWith("@")) {
          for (const sub of fs.readdirSync(pkgDir)) visit(path.join(pkgDir, sub), `${entry}/${sub}`);
        } else visit(pkgDir, entry);
      }
    };
    const visit = (pkgDir: string, name: string) => {
      if (name === "@pulumi/pulumi") versions.add(`${path.relative(dir, pkgDir)}@${JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version}`);
      walk(path.join(pkgDir, "node_modules"));
    };
    walk(path.join(dir, "node_modules"));
    expect([...versions]).toEqual([`node_modules/@pulumi/pulumi@${OLDEST_SDK}`]);
    // Nothing of the project's development tooling came along.
    for (const absent of ["express", "@pulumi/policy", "jest"]) expect(fs.existsSync(path.join(dir, "node_modules", absent))).toBe(false);
  });

  it("up deploys phase 1 with the implementation from the installed package, and destroy puts the site back", async () => {
    const up = await test.stack.up({});
    expect(up.summary.resourceChanges).toEqual({ create: 6 });
    expect((moodle.control.state() as any).tokens).toHaveLength(1);
    const shims = (await test.stack.exportStack()).deployment.resources.filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic")).map((r: any) => r.inputs.__provider as string);
    for (const shim of shims) expect(shim).toContain(`${PACKAGE_NAME}/providers/loader.js`);
    expect(fs.existsSync(path.join(projectRoot, "node_modules", PACKAGE_NAME))).toBe(false);
    const destroy = await test.stack.destroy({});
    expect(destroy.summary.resourceChanges).toEqual({ delete: 6 });
    expect((moodle.control.state() as any).tokens).toEqual([]);
  });
});
