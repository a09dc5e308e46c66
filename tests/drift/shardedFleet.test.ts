// `npm run drift` spread over CI runners, through the real engine: six stacks on two Moodle hosts,
// checked whole and in three shards; the merged shard reports equal the whole report, a missing
// shard fails the merge, and the per-host limit holds on doubles that count concurrent clients.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { stacksOfShard } from "../../drift/shard";
import type { StackReport } from "../../drift/types";
import { pulumiCli } from "../../testkit/engine/engine";
import { createFleet, DriftRun, Fleet, leakedSecrets, runDrift, startDouble } from "../../testkit/engine/fleet";

jest.setTimeout(900_000);

const PASSPHRASE = "pp-shards-6";
const HOST_A = ["alpha", "bravo", "charlie"];
const HOST_B = ["delta", "echo"];
/** Never deployed: its check plans every resource. */
const NEW = "foxtrot";
const ALL = [...HOST_A, ...HOST_B, NEW].sort();

/** What a stack's report says, without the time it took. */
const comparable = (s: StackReport) => {
  const { durationMs: _ignored, ...rest } = s;
  return rest;
};

describe("npm run drift spread over runners (--shard, --merge) and polite to shared hosts (--per-host)", () => {
  let backendDir: string;
  let fleet: Fleet;
  const doubles: Record<"a" | "b", MoodleDouble> = {} as any;
  const shown: string[] = [];
  const secrets = new Set<string>([PASSPHRASE]);

  const drift = async (args: string[]): Promise<DriftRun> => {
    const run = await runDrift(fleet, args, { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
    shown.push(run.stdout, run.stderr, JSON.stringify(run.report), run.junit);
    return run;
  };
  /** A shard's report folder, kept for the merge (runDrift writes each run to a new one). */
  const reportsDirOf = (run: DriftRun) => {
    const dir = fs.mkdtempSync(path.join(backendDir, "shard-"));
    fs.writeFileSync(path.join(dir, "drift-report.json"), JSON.stringify(run.report));
    return dir;
  };

  beforeAll(async () => {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-shards-state-"));
    fleet = createFleet(`file://${backendDir}`);
    doubles.a = await startDouble("Admin-hostA-Pass-1!");
    doubles.b = await startDouble("Admin-hostB-Pass-2!");
    secrets.add(doubles.a.adminPassword).add(doubles.b.adminPassword);
    // Stacks of one host go up one after the other (they share its switches); the two hosts side by side.
    const deploy = async (names: string[], moodle: MoodleDouble) => {
      for (const name of names) await (await fleet.addStack(name, PASSPHRASE, moodle)).up();
    };
    await Promise.all([deploy(HOST_A, doubles.a), deploy(HOST_B, doubles.b)]);
    await fleet.addStack(NEW, PASSPHRASE, doubles.b);
    for (const d of Object.values(doubles)) for (const t of (d.control.state() as any).tokens) secrets.add(t.token);
    // Drift of one stack only: bravo's token deleted in Moodle.
    const state = doubles.a.control.state() as any;
    doubles.a.control.patchState({ tokens: state.tokens.filter((t: any) => !String(t.name).startsWith("percipio-bravo-")) });
  });

  afterAll(async () => {
    for (const d of Object.values(doubles)) await d?.stop();
    fleet?.dispose();
    if (backendDir) fs.rmSync(backendDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(leakedSecrets([...secrets], shown)).toEqual([]);
  });

  let whole: DriftRun;

  it("the whole fleet, at most 2 stacks per host at a time (the default), however many run at once", async () => {
    for (const d of Object.values(doubles)) d.control.clearRequests();
    whole = await drift(["--concurrency", "4"]);
    expect(whole.code).toBe(2);
    expect(whole.report.stacks.map((s) => s.stack)).toEqual(ALL);
    const status = Object.fromEntries(whole.report.stacks.map((s) => [s.stack, s.status]));
    expect(status).toEqual({ alpha: "clean", bravo: "drift", charlie: "clean", delta: "clean", echo: "clean", foxtrot: "drift" });
    // Deployed stacks whose inputs are unchanged are read back without running the program; the token
    // deleted in Moodle still shows, as the preview says it (the next up creates it).
    const check = Object.fromEntries(whole.report.stacks.map((s) => [s.stack, s.check]));
    expect(check).toEqual({ alpha: "refresh", bravo: "refresh", charlie: "refresh", delta: "refresh", echo: "refresh", foxtrot: "preview" });
    expect(whole.report.stacks.find((s) => s.stack === "bravo")!.changes).toEqual([{ type: "WebServiceToken", name: "percipio-token", op: "create", fields: [] }]);
    expect(whole.report.perHost).toBe(2);
    expect(doubles.a.control.concurrency().maxClients).toBeLessThanOrEqual(2);
    expect(doubles.a.control.concurrency().maxClients).toBeGreaterThanOrEqual(1);
  });

  it("three shards check every stack exactly once, and their merge equals the whole report; --per-host 1 holds", async () => {
    const runs: DriftRun[] = [];
    const peakOnA: number[] = [];
    for (const k of [1, 2, 3]) {
      doubles.a.control.clearRequests();
      runs.push(await drift(["--shard", `${k}/3`, "--concurrency", "4", "--per-host", "1"]));
      peakOnA.push(doubles.a.control.concurrency().maxClients);
    }
    // Every stack of host A falls in one shard: four stacks at once there, yet one at a time on A.
    const shardOfA = runs.findIndex((r) => HOST_A.every((s) => r.report.stacks.some((x) => x.stack === s)));
    expect(shardOfA).toBeGreaterThanOrEqual(0);
    expect(peakOnA[shardOfA]).toBe(1);
    runs.forEach((run, i) => {
      expect(run.report.shard).toEqual({ index: i + 1, count: 3, fleet: ALL });
      expect(run.report.stacks.map((s) => s.stack)).toEqual(stacksOfShard(ALL, { index: i + 1, count: 3 }));
    });
    expect(runs.flatMap((r) => r.report.stacks.map((s) => s.stack)).sort()).toEqual(ALL);

    const dirs = runs.map(reportsDirOf);
    const merged = await drift(["--merge", ...dirs]);
    expect(merged.code).toBe(whole.code);
    expect(merged.report.problems).toEqual([]);
    expect(merged.report.stacks.map(comparable)).toEqual(whole.report.stacks.map(comparable));
    expect(merged.junit.match(/<testcase /g)).toHaveLength(ALL.length);
    const rows = (out: string) => out.split("\n").filter((l) => ALL.some((s) => l.startsWith(`${s} `)));
    expect(rows(merged.stdout)).toEqual(rows(whole.stdout));

    const incomplete = await drift(["--merge", dirs[0], dirs[2]]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stdout).toContain("ERROR: shard 2/3 is missing");
    expect(incomplete.junit).toMatch(/<error type="shard" message="shard 2\/3 is missing">/);
  });

  it("a config change not yet applied makes the check run the program, and shows the change", async () => {
    const { command } = await pulumiCli();
    const stack = await LocalWorkspace.selectStack({ stackName: "delta", workDir: fleet.projectDir }, { pulumiCommand: command, envVars: { ...fleet.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } });
    await stack.setConfig("moodle:tokenIpRestriction", { value: "203.0.113.10" });
    try {
      const run = await drift(["--stacks", "delta"]);
      expect(run.code).toBe(2);
      const [delta] = run.report.stacks;
      expect(delta).toMatchObject({ stack: "delta", status: "drift", check: "preview" });
      expect(delta.changes).toEqual([expect.objectContaining({ type: "WebServiceToken", op: "replace", fields: expect.arrayContaining(["ipRestriction"]) })]);
    } finally {
      await stack.removeConfig("moodle:tokenIpRestriction");
    }
    const back = await drift(["--stacks", "delta"]);
    expect(back.report.stacks[0]).toMatchObject({ status: "clean", check: "refresh" });
  });
});
