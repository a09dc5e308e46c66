// State written by an earlier main keeps working with this code: a stack exported by main at 246bd94
// (tests/fixtures/stack-246bd94) is imported, and the `pulumi` CLI, as a user types it, plans no
// change on it, applies one change, and destroys it, against the Moodle double holding the site that
// stack describes.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { pulumiCli } from "../../testkit/engine/cli";
import { projectStack, TestStack } from "../../testkit/engine/engine";

jest.setTimeout(600_000);

const FIXTURE = path.join(__dirname, "..", "fixtures", "stack-246bd94");
const PLACEHOLDER = /http:\/\/MOODLE_URL/g;
const text = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
const ok = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, out: r.code ? text(r) : "" });

describe("a stack exported by main at 246bd94", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  let work: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-compat-"));
    // The site as that stack left it; the double writes its state back to this copy.
    const stateFile = path.join(work, "double.json");
    fs.copyFileSync(path.join(FIXTURE, "double.json"), stateFile);
    moodle = await startMoodleDouble({ control: true, stateFile });
    const at = (file: string) => fs.readFileSync(path.join(FIXTURE, file), "utf8").replace(PLACEHOLDER, moodle.url);
    test = await projectStack({ stackName: "compat", envVars: { PULUMI_CONFIG_PASSPHRASE: "compat-fixture" } });
    // The stack's own config file: its encryption salt is the one its exported secrets were made with.
    fs.writeFileSync(path.join(test.dir, "Pulumi.compat.yaml"), at("Pulumi.compat.yaml"));
    fs.writeFileSync(path.join(work, "stack.json"), at("stack.json"));
    const imported = await pulumiCli(test, ["stack", "import", "--file", path.join(work, "stack.json")]);
    expect(ok(imported)).toEqual({ code: 0, out: "" });
  });

  afterAll(async () => {
    try {
      await test?.dispose();
    } finally {
      await moodle?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  it("pulumi preview --expect-no-changes plans nothing", async () => {
    const preview = await pulumiCli(test, ["preview", "--expect-no-changes"]);
    expect(ok(preview)).toEqual({ code: 0, out: "" });
  });

  it("pulumi up --yes applies one change (a rotated client secret) to the plugin's settings only", async () => {
    const set = await pulumiCli(test, ["config", "set", "--secret", "moodle:percipioClientSecret", "r0tated_SECRET-2"]);
    expect(set.code).toBe(0);
    const up = await pulumiCli(test, ["up", "--yes"]);
    expect(ok(up)).toEqual({ code: 0, out: "" });
    expect(up.stdout).toMatch(/~ 1 updated/);
    expect(up.stdout).toMatch(/6 unchanged/);
    expect((moodle.control.state() as any).pluginConfig.percipio.clientsecret).toBe("r0tated_SECRET-2");
  });

  it("pulumi destroy --yes puts the site back", async () => {
    const destroy = await pulumiCli(test, ["destroy", "--yes"]);
    expect(ok(destroy)).toEqual({ code: 0, out: "" });
    const state = moodle.control.state() as any;
    expect(state.tokens).toEqual([]);
    expect(state.config.enablewebservices).toBe("0");
  });
});
