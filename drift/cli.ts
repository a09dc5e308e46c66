// `npm run drift`: prints the fleet table, writes the JSON and JUnit reports, exits 0 / 2 / 1.
import * as fs from "fs";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { driftReport } from "./fleet";
import { DriftOptions, parseOptions, USAGE, UsageError } from "./options";
import { withdrawGlobalPassphrase } from "./passphrase";
import { EXIT_ERROR, json, junit, table } from "./report";

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
  // Each stack gets exactly its own passphrase; the engine inherits this process's environment.
  const secretsEnv = { ...process.env, ...withdrawGlobalPassphrase(process.env) };
  const pulumi = await PulumiCommand.get();
  const report = await driftReport(options, {
    pulumi,
    secretsEnv,
    onStackDone: (s) => console.error(`[drift] ${s.stack}: ${s.status} (${(s.durationMs / 1000).toFixed(1)} s)`),
  });
  fs.mkdirSync(options.reportsDir, { recursive: true });
  fs.writeFileSync(path.join(options.reportsDir, "drift-report.json"), json(report));
  fs.writeFileSync(path.join(options.reportsDir, "drift-report.xml"), junit(report));
  console.log(table(report));
  console.log(
    `\n${report.stacks.length} stack(s) in ${(report.durationMs / 1000).toFixed(1)} s (concurrency ${report.concurrency}); ` +
      `reports in ${path.relative(process.cwd(), options.reportsDir) || "."}/drift-report.{json,xml}; exit ${report.exitCode}`,
  );
  return report.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`drift: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT_ERROR;
  },
);
