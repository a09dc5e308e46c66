// The pure parts of a fleet spread over CI runners: which shard a stack is in, the merge of the
// shard reports (and what makes a merged report an error), and the per-host limit.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostSlots, hostOf } from "../../drift/hostSlots";
import { mergeReports, readShardReports } from "../../drift/merge";
import { exitCode, junit, table } from "../../drift/report";
import { parseShard, shardOf, stacksOfShard } from "../../drift/shard";
import type { FleetReport, StackReport } from "../../drift/types";

function stack(name: string, partial: Partial<StackReport> = {}): StackReport {
  return { stack: name, moodleUrl: `https://${name}.example.com`, status: "clean", changes: [], token: { validUntil: "", daysToExpiry: null, expiresSoon: false }, durationMs: 1000, ...partial };
}

const FLEET = Array.from({ length: 40 }, (_, i) => `site-${String(i).padStart(3, "0")}`);

/** What runner K of N writes for FLEET (with the given statuses). */
function shardReport(index: number, count: number, fleet = FLEET, status: (name: string) => Partial<StackReport> = () => ({})): FleetReport {
  const stacks = stacksOfShard(fleet, { index, count }).map((n) => stack(n, status(n)));
  return { generatedAt: "2026-12-02T05:00:00.000Z", durationMs: 1000 * index, concurrency: 4, perHost: 2, stacks, exitCode: exitCode(stacks), shard: { index, count, fleet: [...fleet].sort() } };
}

const inputs = (reports: FleetReport[]) => reports.map((report, i) => ({ dir: `shard-${i + 1}`, report }));

describe("shards", () => {
  it("reads K/N and refuses anything else", () => {
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    expect(parseShard(" 1/1 ")).toEqual({ index: 1, count: 1 });
    for (const bad of ["0/3", "4/3", "3", "1/0", "a/b", "1/2/3", "-1/2"]) expect(parseShard(bad)).toBeUndefined();
  });

  it("puts every stack in exactly one shard, whatever order the backend lists them in", () => {
    for (const count of [1, 2, 3, 7]) {
      const shards = Array.from({ length: count }, (_, k) => stacksOfShard(FLEET, { index: k + 1, count }));
      expect(shards.flat().sort()).toEqual([...FLEET].sort());
      const reversed = Array.from({ length: count }, (_, k) => stacksOfShard([...FLEET].reverse(), { index: k + 1, count }).sort());
      expect(reversed).toEqual(shards.map((s) => [...s].sort()));
    }
  });

  it("a stack's shard depends on its own name only: adding a stack moves no other", () => {
    const before = Object.fromEntries(FLEET.map((s) => [s, shardOf(s, 5)]));
    const after = [...FLEET, "new-site"];
    for (const s of FLEET) expect(stacksOfShard(after, { index: before[s], count: 5 })).toContain(s);
  });

  it("spreads a large fleet roughly evenly", () => {
    const fleet = Array.from({ length: 600 }, (_, i) => `client-${i}`);
    const sizes = [1, 2, 3].map((index) => stacksOfShard(fleet, { index, count: 3 }).length);
    for (const size of sizes) expect(Math.abs(size - 200)).toBeLessThan(40);
  });
});

describe("merging shard reports", () => {
  it("gives the whole fleet's report: every stack once, sorted, exit code over all stacks, the slowest shard's time", () => {
    const status = (n: string) => (n === "site-007" ? { status: "drift" as const } : {});
    const merged = mergeReports(inputs([shardReport(3, 3, FLEET, status), shardReport(1, 3, FLEET, status), shardReport(2, 3, FLEET, status)]));
    expect(merged.problems).toEqual([]);
    expect(merged.stacks.map((s) => s.stack)).toEqual([...FLEET].sort());
    expect(merged.exitCode).toBe(2);
    expect(merged.durationMs).toBe(3000);
    expect(merged.shard).toBeUndefined();
  });

  it("a clean fleet merges to exit 0, an empty shard included", () => {
    const tiny = ["only-one"];
    const reports = [1, 2, 3].map((k) => shardReport(k, 3, tiny));
    expect(reports.filter((r) => r.stacks.length === 0)).toHaveLength(2);
    const merged = mergeReports(inputs(reports));
    expect(merged).toMatchObject({ exitCode: 0, problems: [] });
    expect(merged.stacks.map((s) => s.stack)).toEqual(tiny);
  });

  it("a missing shard is an error, not a clean fleet", () => {
    const merged = mergeReports(inputs([shardReport(1, 3), shardReport(3, 3)]));
    expect(merged.exitCode).toBe(1);
    expect(merged.problems).toEqual(["shard 2/3 is missing"]);
    expect(table(merged)).toContain("ERROR: shard 2/3 is missing");
    expect(junit(merged)).toMatch(/<error type="shard" message="shard 2\/3 is missing">/);
    expect(junit(merged)).toContain(`errors="1"`);
  });

  it("a folder without a report, a failed shard, a repeated shard, other splits and other fleets are errors", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-merge-"));
    try {
      const read = readShardReports([dir]);
      expect(read[0].unreadable).toMatch(/drift-report\.json: no report/);
      fs.writeFileSync(path.join(dir, "drift-report.json"), "{ not json");
      expect(readShardReports([dir])[0].unreadable).toMatch(/unreadable/);
      fs.writeFileSync(path.join(dir, "drift-report.json"), JSON.stringify(shardReport(1, 1)));
      expect(mergeReports(readShardReports([dir]))).toMatchObject({ exitCode: 0, problems: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const failed: FleetReport = { ...shardReport(2, 2), stacks: [], exitCode: 1, shard: { index: 2, count: 2, fleet: [] }, problems: ["cannot list the stacks: access denied"] };
    const withFailed = mergeReports(inputs([shardReport(1, 2), failed]));
    expect(withFailed.exitCode).toBe(1);
    expect(withFailed.problems).toEqual(expect.arrayContaining(["shard 2/2 failed: cannot list the stacks: access denied"]));

    expect(mergeReports(inputs([shardReport(1, 2), shardReport(1, 2), shardReport(2, 2)])).problems).toEqual([expect.stringMatching(/^shard 1\/2 appears twice/)]);
    expect(mergeReports(inputs([shardReport(1, 2), shardReport(2, 3)])).problems).toEqual(expect.arrayContaining(["the reports come from different splits (--shard K/2, K/3)"]));

    const grown = [...FLEET, "added-late"];
    const late = mergeReports(inputs([shardReport(1, 2), shardReport(2, 2, grown)]));
    expect(late.exitCode).toBe(1);
    expect(late.problems).toEqual([expect.stringMatching(/^shard 1\/2 did not see stack\(s\) added-late/)]);

    const { shard: _dropped, ...whole } = shardReport(1, 1);
    expect(mergeReports(inputs([whole])).problems).toEqual(["shard-1: not a shard report (made without --shard K/N)"]);
    expect(mergeReports([])).toMatchObject({ exitCode: 1, problems: ["no shard reports given to --merge"] });
  });

  it("a shard that left out one of its own stacks is an error", () => {
    const short = shardReport(1, 2);
    const dropped = short.stacks[0].stack;
    const merged = mergeReports(inputs([{ ...short, stacks: short.stacks.slice(1) }, shardReport(2, 2)]));
    expect(merged.exitCode).toBe(1);
    expect(merged.problems).toEqual([`shard 1/2 did not report stack(s) ${dropped}`]);
  });
});

describe("per-host limit", () => {
  it("names the host: scheme and path do not make another server, the port does", () => {
    expect(hostOf("https://Moodle.Example.com/a/b")).toBe("moodle.example.com");
    expect(hostOf("http://moodle.example.com/c")).toBe("moodle.example.com");
    expect(hostOf("http://127.0.0.1:8081")).not.toBe(hostOf("http://127.0.0.1:8082"));
  });

  it("runs at most N tasks per host at once, other hosts unaffected, waiters in arrival order", async () => {
    const slots = new HostSlots(2);
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    const order: string[] = [];
    const task = (host: string, id: string) =>
      slots.run(host, async () => {
        running.set(host, (running.get(host) ?? 0) + 1);
        peak.set(host, Math.max(peak.get(host) ?? 0, running.get(host)!));
        await new Promise((r) => setTimeout(r, 15));
        order.push(id);
        running.set(host, running.get(host)! - 1);
        return id;
      });
    const results = await Promise.all([
      task("a", "a1"), task("a", "a2"), task("a", "a3"), task("a", "a4"), task("a", "a5"),
      task("b", "b1"), task("b", "b2"),
    ]);
    expect(results).toEqual(["a1", "a2", "a3", "a4", "a5", "b1", "b2"]);
    expect(peak.get("a")).toBe(2);
    expect(peak.get("b")).toBe(2);
    expect(order.filter((id) => id.startsWith("a"))).toEqual(["a1", "a2", "a3", "a4", "a5"]);
  });

  it("a failing task frees its slot", async () => {
    const slots = new HostSlots(1);
    await expect(slots.run("h", async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    await expect(slots.run("h", async () => "next")).resolves.toBe("next");
    expect(() => new HostSlots(0)).toThrow(/whole number/);
  });
});
