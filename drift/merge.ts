// `--merge DIR...`: one fleet report from the shard reports of several runners. A shard that is
// missing, failed before writing its report, or saw a different list of stacks makes the merged
// report an error (exit 1), never a clean fleet with holes in it.
import * as fs from "fs";
import * as path from "path";
import { EXIT_ERROR, exitCode } from "./report";
import { shardOf } from "./shard";
import type { FleetReport, StackReport } from "./types";

export const REPORT_FILE = "drift-report.json";

export interface ShardInput {
  dir: string;
  report?: FleetReport;
  /** Why the folder holds no usable report. */
  unreadable?: string;
}

export function readShardReports(dirs: readonly string[]): ShardInput[] {
  return dirs.map((dir) => {
    const file = path.join(dir, REPORT_FILE);
    try {
      return { dir, report: JSON.parse(fs.readFileSync(file, "utf8")) as FleetReport };
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no report (did that shard's job run to the end?)" : `unreadable (${(err as Error).message})`;
      return { dir, unreadable: `${file}: ${reason}` };
    }
  });
}

export function mergeReports(inputs: readonly ShardInput[], now = new Date()): FleetReport {
  const problems: string[] = inputs.filter((i) => i.unreadable).map((i) => i.unreadable!);
  const reports = inputs.flatMap((i) => (i.report ? [{ dir: i.dir, report: i.report }] : []));
  const unsharded = reports.filter((r) => !r.report.shard);
  for (const r of unsharded) problems.push(`${r.dir}: not a shard report (made without --shard K/N)`);
  const sharded = reports.filter((r) => r.report.shard);
  for (const r of sharded) for (const p of r.report.problems ?? []) problems.push(`shard ${r.report.shard!.index}/${r.report.shard!.count} failed: ${p}`);

  const counts = [...new Set(sharded.map((r) => r.report.shard!.count))];
  if (counts.length > 1) problems.push(`the reports come from different splits (--shard K/${counts.join(", K/")})`);
  const count = counts.length === 1 ? counts[0] : Math.max(0, ...counts);
  const seen = new Map<number, string>();
  const accepted = sharded.filter((r) => {
    const { index } = r.report.shard!;
    if (seen.has(index)) {
      problems.push(`shard ${index}/${count} appears twice (${seen.get(index)} and ${r.dir}); the second is left out`);
      return false;
    }
    seen.set(index, r.dir);
    return true;
  });
  for (let k = 1; k <= count; k++) if (!seen.has(k)) problems.push(`shard ${k}/${count} is missing`);

  // Every runner must have seen the same fleet, or a stack may have fallen between two shards.
  const fleet = [...new Set(sharded.flatMap((r) => r.report.shard!.fleet))].sort();
  for (const r of sharded) {
    const own = new Set(r.report.shard!.fleet);
    const unseen = fleet.filter((s) => !own.has(s));
    if (unseen.length) problems.push(`shard ${r.report.shard!.index}/${count} did not see stack(s) ${unseen.join(", ")} (the backend changed between the runners' listings: run the report again)`);
  }

  const stacks: StackReport[] = [];
  const checkedBy = new Map<string, number>();
  for (const r of accepted) {
    for (const s of r.report.stacks) {
      const index = r.report.shard!.index;
      if (checkedBy.has(s.stack)) {
        problems.push(`stack ${s.stack} was checked by shards ${checkedBy.get(s.stack)} and ${index}`);
        continue;
      }
      checkedBy.set(s.stack, index);
      stacks.push(s);
    }
    if (r.report.shard!.count === count) {
      const expected = r.report.shard!.fleet.filter((s) => shardOf(s, count) === r.report.shard!.index);
      const missing = expected.filter((s) => !r.report.stacks.some((x) => x.stack === s));
      if (missing.length) problems.push(`shard ${r.report.shard!.index}/${count} did not report stack(s) ${missing.join(", ")}`);
    }
  }
  stacks.sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0));

  return {
    generatedAt: now.toISOString(),
    // The shards ran side by side: the fleet took as long as the slowest.
    durationMs: Math.max(0, ...reports.map((r) => r.report.durationMs)),
    concurrency: Math.max(0, ...reports.map((r) => r.report.concurrency)),
    ...(reports.some((r) => r.report.perHost) ? { perHost: Math.max(...reports.map((r) => r.report.perHost ?? 0)) } : {}),
    stacks,
    exitCode: problems.length || inputs.length === 0 ? EXIT_ERROR : exitCode(stacks),
    problems: inputs.length === 0 ? ["no shard reports given to --merge"] : problems,
  };
}
