// Team state on a real S3 server (versitygw over a temp folder): the lifecycle with state in the
// bucket, the backend's lock refusing a second concurrent `up` without losing anything, and
// `npm run drift` finding the stacks there.
import * as fs from "fs";
import * as path from "path";
import { ConcurrentUpdateError, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { pulumiCli } from "../../testkit/engine/engine";
import { createFleet, Fleet, leakedSecrets, runDrift, startDouble } from "../../testkit/engine/fleet";
import { bucketObjects, S3Server, startS3Server } from "../support/versitygw";

jest.setTimeout(1_200_000);

const PASSPHRASE = "team-passphrase-7";
const ADMIN_PASSWORD = "Team-Admin-Pass-7!";

describe("state in an S3 bucket (versitygw)", () => {
  let s3: S3Server;
  let moodle: MoodleDouble;
  let fleet: Fleet;
  let stack: Stack;
  const shown: string[] = [];
  const secrets = new Set([PASSPHRASE, ADMIN_PASSWORD]);

  const state = () => moodle.control.state() as any;
  const locks = () => [...bucketObjects(s3).keys()].filter((k) => k.startsWith(".pulumi/locks/"));
  const stateResources = async (s: Stack) => ((await s.exportStack()).deployment.resources ?? []) as { urn: string; type: string; outputs?: any }[];
  const drift = async (args: string[]) => {
    const run = await runDrift(fleet, args, { PULUMI_CONFIG_PASSPHRASE_TEAM: PASSPHRASE });
    shown.push(run.stdout, run.stderr, JSON.stringify(run.report), run.junit);
    return run;
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    secrets.add(s3.secretKey);
    moodle = await startDouble(ADMIN_PASSWORD);
    fleet = createFleet(s3.backendUrl, s3.env);
    stack = await fleet.addStack("team", PASSPHRASE, moodle);
  });

  afterAll(async () => {
    await moodle?.stop();
    fleet?.dispose();
    await s3?.stop();
  });

  afterEach(() => {
    for (const t of state().tokens) secrets.add(t.token);
    // At rest in the bucket and in anything shown: no secret in plaintext.
    expect(leakedSecrets([...secrets], [...shown, ...bucketObjects(s3).values()])).toEqual([]);
  });

  it("up keeps the stack's state in the bucket", async () => {
    const up = await stack.up({ onOutput: (l) => shown.push(l) });
    expect(up.summary.result).toBe("succeeded");
    expect(state().config.enablewebservices).toBe("1");
    expect(state().tokens).toHaveLength(1);
    const objects = bucketObjects(s3);
    const checkpoint = JSON.parse(objects.get(".pulumi/stacks/moodle/team.json") ?? "null");
    const types = checkpoint.checkpoint.latest.resources.map((r: any) => r.type.split(":").pop());
    expect(types).toEqual(expect.arrayContaining(["WebServices", "WebServiceProtocol", "ExternalServiceAccess", "WebServiceToken"]));
    expect(locks()).toEqual([]);
  });

  it("npm run drift lists the stacks from the bucket, finds the drift, and --repair puts it back", async () => {
    moodle.control.patchState({ config: { enablewebservices: "0" } });
    const found = await drift([]);
    expect(found.code).toBe(2);
    expect(found.report.stacks).toHaveLength(1);
    expect(found.report.stacks[0]).toMatchObject({ stack: "team", moodleUrl: moodle.url, status: "drift", changes: [{ type: "WebServices", fields: ["enabled"] }] });

    const repaired = await drift(["--repair"]);
    expect(repaired.code).toBe(0);
    expect(repaired.report.stacks[0].repair).toMatchObject({ status: "repaired", changes: [{ type: "WebServices", op: "update", fields: ["enabled"] }] });
    expect(state().config.enablewebservices).toBe("1");
    expect(locks()).toEqual([]);
  });

  it("a second up of the same stack while one runs is refused by the bucket's lock; nothing is lost", async () => {
    const before = await stateResources(stack);
    const tokenBefore = state().tokens[0];
    // A teammate's machine: its own folder with the stack's config file, same bucket.
    const other = createFleet(s3.backendUrl, s3.env);
    fs.copyFileSync(path.join(fleet.projectDir, "Pulumi.team.yaml"), path.join(other.projectDir, "Pulumi.team.yaml"));
    const { command } = await pulumiCli();
    const teammate = await LocalWorkspace.selectStack(
      { stackName: "team", workDir: other.projectDir },
      { pulumiCommand: command, envVars: { ...other.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE } },
    );
    // The first up has work to do, slowly: every Moodle request takes a second.
    moodle.control.patchState({ config: { enablewebservices: "0" } });
    moodle.control.injectFault({ path: "/", kind: "latency", ms: 1000 });
    const first = stack.up({ refresh: true, onOutput: (l) => shown.push(l) });
    let refused: Error | undefined;
    try {
      const deadline = Date.now() + 120_000;
      while (locks().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(locks()).toHaveLength(1);
      refused = await teammate.up({ onOutput: (l) => shown.push(l) }).then(
        () => undefined,
        (err: Error) => err,
      );
    } finally {
      // Whatever happened above, the first run ends before anything else touches the stack.
      await first.finally(() => moodle.control.clearFaults()).catch(() => undefined);
      other.dispose();
    }
    expect(refused).toBeInstanceOf(ConcurrentUpdateError);
    shown.push(refused!.message);
    expect(refused!.message).toContain("the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.");
    expect(refused!.message).toMatch(/s3:\/\/pulumi-state\/\.pulumi\/locks\/organization\/moodle\/team\/[0-9a-f-]+\.json\S*: created by \S+ \(pid \d+\) at /);
    const done = await first;
    expect(done.summary.resourceChanges).toMatchObject({ update: 1 });
    expect(locks()).toEqual([]);
    // State intact: the same resources, the same token, and Moodle agrees with it.
    const after = await stateResources(stack);
    expect(after.map((r) => r.urn).sort()).toEqual(before.map((r) => r.urn).sort());
    expect(state().tokens).toEqual([tokenBefore]);
    expect(after.find((r) => r.type.endsWith(":WebServiceToken"))!.outputs.tokenId).toBe(tokenBefore.id);
    expect(state().config.enablewebservices).toBe("1");
    const preview = await stack.preview({ refresh: true });
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
  });

  it("destroy puts Moodle back; the removed stack is gone from the bucket", async () => {
    const destroyed = await stack.destroy({ onOutput: (l) => shown.push(l) });
    expect(destroyed.summary.result).toBe("succeeded");
    expect(state().config.enablewebservices).toBe("0");
    expect(state().tokens).toEqual([]);
    await stack.workspace.removeStack("team");
    // Pulumi keeps its own backup (team.json.bak) of a removed stack; the checkpoint itself is gone.
    expect(bucketObjects(s3).has(".pulumi/stacks/moodle/team.json")).toBe(false);
    expect(await stack.workspace.listStacks()).toEqual([]);
    expect(locks()).toEqual([]);
  });
});
