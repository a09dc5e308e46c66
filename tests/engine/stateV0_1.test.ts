// State written by moodle-percipio-iac 0.1, whose serialized shims load
// `<MOODLE_PERCIPIO_IAC_ROOT or program folder>/providers/loader.js`, keeps refreshing, previewing
// and destroying after the project is upgraded to this version. The 0.1 program is this project's
// with providers/shim.ts replaced by 0.1's text (tests/support/shimV0_1.ts), copied into a
// throw-away folder; upgrading swaps that copy for links to the current sources.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { programStack, projectRoot, TestStack } from "../../testkit/engine/engine";
import { siteFootprint } from "../support/siteFootprint";

jest.setTimeout(240_000);

/** The distinctive part of 0.1's shim text, and of this version's. */
const V0_1_LOADER = 'process.env.MOODLE_PERCIPIO_IAC_ROOT || process.cwd(), "providers", "loader.js"';
const PACKAGE_LOADER = "moodle-percipio-iac/providers/loader.js";

/** Folders and files whose code differs between the versions; the rest is linked from the project. */
const VERSIONED = ["index.ts", "components", "providers"];
const SHARED = ["Pulumi.yaml", "package.json", "tsconfig.json", "node_modules", "config", "moodle", "percipio"];

/** The shim text of each dynamic resource, in its inputs and its outputs. */
async function shimsInState(test: TestStack): Promise<string[]> {
  const { deployment } = await test.stack.exportStack();
  return deployment.resources
    .filter((r: any) => r.type.startsWith("pulumi-nodejs:dynamic"))
    .flatMap((r: any) => [r.inputs.__provider, r.outputs.__provider] as string[]);
}

describe("state written by 0.1's shim, after upgrading to this version", () => {
  let moodle: MoodleDouble;
  let dir: string;
  let test: TestStack;
  let before: ReturnType<typeof siteFootprint>;

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    before = siteFootprint(moodle);
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mpi-v0_1-")));
    // Copies, not links: node resolves a linked module's imports from its real folder, which would
    // bring the current shim back.
    for (const name of VERSIONED) fs.cpSync(path.join(projectRoot, name), path.join(dir, name), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, "tests", "support", "shimV0_1.ts"), path.join(dir, "providers", "shim.ts"));
    for (const name of SHARED) fs.symlinkSync(path.join(projectRoot, name), path.join(dir, name));
    // Unset: the shims look in the program folder, as for a user running the project directly.
    test = await programStack(dir, { envVars: { MOODLE_PERCIPIO_IAC_ROOT: "" } });
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: "Admin-Pass-1!", secret: true },
      "moodle:percipioClientId": { value: "abc_DEF-123" },
      "moodle:percipioClientSecret": { value: "s3cr3t_VALUE-1", secret: true },
      "moodle:percipioOrganizationId": { value: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" },
    });
  });

  afterEach(async () => {
    await test?.settle();
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("0.1's program deploys, and every resource in state carries 0.1's shim", async () => {
    const result = await test.stack.up({});
    expect(result.summary.resourceChanges).toEqual({ create: 7 });
    const shims = await shimsInState(test);
    expect(shims).toHaveLength(10);
    for (const shim of shims) {
      expect(shim).toContain(V0_1_LOADER);
      expect(shim).not.toContain(PACKAGE_LOADER);
    }
  });

  it("after the upgrade, refresh reads every resource from Moodle through 0.1's shims", async () => {
    for (const name of VERSIONED) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      fs.symlinkSync(path.join(projectRoot, name), path.join(dir, name));
    }
    moodle.control.clearRequests();
    const result = await test.stack.refresh({});
    expect(result.summary.result).toBe("succeeded");
    expect(result.summary.resourceChanges).toEqual({ same: 7 });
    expect(moodle.control.requests().length).toBeGreaterThan(0);
    // read() keeps the shim it was given: destroy will run 0.1's text too.
    for (const shim of (await shimsInState(test)).filter((_, i) => i % 2 === 1)) expect(shim).toContain(V0_1_LOADER);
  });

  it("the current program plans no change on it", async () => {
    const preview = await test.stack.preview({});
    expect(preview.changeSummary).toEqual({ same: 7 });
  });

  it("destroy, through 0.1's shims, puts the site back as it was", async () => {
    const result = await test.stack.destroy({});
    expect(result.summary.resourceChanges).toEqual({ delete: 7 });
    expect(siteFootprint(moodle)).toEqual(before);
  });
});
