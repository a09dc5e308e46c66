// `npm run drift`: prints the fleet table, writes the JSON and JUnit reports, exits 0 / 2 / 1.
import * as fs from "fs";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { driftReport } from "./fleet";
import { mergeReports, readShardReports, REPORT_FILE } from "./merge";
import { DriftOptions, parseOptions, USAGE, UsageError } from "./options";
import { withdrawGlobalPassphrase } from "./passphrase";
import { EXIT_ERROR, json, junit, table } from "./report";
import type { FleetReport } from "./types";

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  let options: DriftOptions;
  try {
    options = parseOptions(argv, { projectDir: path.resolve(__dirname, ".."), cwd: process.cwd() });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`drift: ${err.message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  const report = options.merge ? mergeReports(readShardReports(options.merge)) : await check(options);
  fs.mkdirSync(options.reportsDir, { recursive: true });
  fs.writeFileSync(path.join(options.reportsDir, REPORT_FILE), json(report));
  fs.writeFileSync(path.join(options.reportsDir, "drift-report.xml"), junit(report));
  console.log(table(report));
  const what = options.merge ? `merged from ${options.merge.length} shard report(s)` : `in ${(report.durationMs / 1000).toFixed(1)} s (concurrency ${report.concurrency}, ${report.perHost} per host)`;
  const byRefresh = report.stacks.filter((s) => s.check === "refresh").length;
  const how = byRefresh ? ` ${byRefresh} read back without running the program (inputs unchanged since their last up);` : "";
  const shard = report.shard ? ` shard ${report.shard.index}/${report.shard.count} of ${report.shard.fleet.length};` : "";
  console.log(
    `\n${report.stacks.length} stack(s) ${what};${how}${shard} ` +
      `reports in ${path.relative(process.cwd(), options.reportsDir) || "."}/drift-report.{json,xml}; exit ${report.exitCode}`,
  );
  return report.exitCode;
}

/**
 * The stacks' check. A shard whose run fails as a whole (the backend cannot be listed, say) still
 * writes its report, naming the failure, so the merge job reports a failed shard, not a missing one.
 */
async function check(options: DriftOptions): Promise<FleetReport> {
  // Each stack gets exactly its own passphrase; the engine inherits this process's environment.
  const secretsEnv = { ...process.env, ...withdrawGlobalPassphrase(process.env) };
  try {
    const pulumi = await PulumiCommand.get();
    return await driftReport(options, {
      pulumi,
      secretsEnv,
      onStackDone: (s) => console.error(`[drift] ${s.stack}: ${s.status} (${(s.durationMs / 1000).toFixed(1)} s)`),
    });
  } catch (err) {
    if (!options.shard) throw err;
    const problem = err instanceof Error ? err.message : String(err);
    console.error(`drift: ${problem}`);
    return {
      generatedAt: new Date().toISOString(),
      durationMs: 0,
      concurrency: options.concurrency,
      perHost: options.perHost,
      stacks: [],
      exitCode: EXIT_ERROR,
      shard: { ...options.shard, fleet: [] },
      problems: [problem],
    };
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`drift: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT_ERROR;
  },
);
