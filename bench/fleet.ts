// `npm run bench -- --fleet [--sizes 1,10,50] [--concurrency 1,4]`: the fleet drift report's cost.
// For each fleet size it deploys that many stacks (each on its own Moodle double on loopback), then
// times `npm run drift` over all of them at each concurrency, beside one plain `pulumi preview` of
// one such stack in the same run, and prints total and per-stack time with the machine's load.
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { MoodleDouble } from "../testkit/moodle-double";
import { mapBounded } from "../drift/pool";
import { projectRoot, pulumiCli } from "../testkit/engine/engine";
import { createFleet, runDrift, startDouble } from "../testkit/engine/fleet";

const PASSPHRASE = "bench-fleet-pp";

interface Options {
  sizes: number[];
  concurrency: number[];
  out: string;
}

function list(text: string | undefined, flag: string): number[] {
  const values = (text ?? "").split(",").map(Number);
  if (values.length === 0 || values.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${flag} takes whole numbers ≥ 1, e.g. ${flag} 1,10`);
  return values;
}

export function parseFleetArgs(argv: string[]): Options {
  const options: Options = { sizes: [1, 10, 50], concurrency: [1, 4], out: path.join(projectRoot, ".bench", "fleet.json") };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--fleet") continue;
    else if (argv[i] === "--sizes") options.sizes = list(argv[++i], "--sizes");
    else if (argv[i] === "--concurrency") options.concurrency = list(argv[++i], "--concurrency");
    else if (argv[i] === "--out") options.out = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (use --fleet [--sizes 1,10,50] [--concurrency 1,4] [--out FILE])`);
  }
  return options;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

interface Row {
  stacks: number;
  concurrency: number;
  totalS: number;
  perStackS: number;
  previewS: number;
  ratio: number;
  byRefresh: number;
  load: string;
}

async function main(): Promise<void> {
  const options = parseFleetArgs(process.argv.slice(2));
  const { path: cli } = await pulumiCli();
  const rows: Row[] = [];
  for (const size of options.sizes) {
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-bench-fleet-"));
    const fleet = createFleet(`file://${backendDir}`);
    const doubles: MoodleDouble[] = [];
    try {
      console.error(`[bench] fleet of ${size}: deploying (load ${load()})`);
      const names = Array.from({ length: size }, (_, i) => `site${String(i).padStart(3, "0")}`);
      await mapBounded(names, 4, async (name) => {
        const moodle = await startDouble(`Bench-${name}-Pass-1!`);
        doubles.push(moodle);
        await (await fleet.addStack(name, PASSPHRASE, moodle)).up();
      });
      // One plain `pulumi preview` of one such stack, as a user types it (Pulumi.yaml's refresh: always).
      const previewStart = Date.now();
      // Not spawnSync: the doubles answer from this process's event loop.
      const preview = await run(cli, ["preview", "--stack", names[0], "--non-interactive"], fleet.projectDir, { ...fleet.env, PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
      if (preview.code !== 0) throw new Error(`pulumi preview failed:\n${preview.output}`);
      const previewS = (Date.now() - previewStart) / 1000;
      for (const concurrency of options.concurrency) {
        const run = await runDrift(fleet, ["--concurrency", String(concurrency)], { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE });
        if (run.code !== 0) throw new Error(`npm run drift exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
        const row = {
          stacks: size,
          concurrency,
          totalS: run.seconds,
          perStackS: run.seconds / size,
          previewS,
          ratio: run.seconds / (size * previewS),
          byRefresh: run.report.stacks.filter((s) => s.check === "refresh").length,
          load: load(),
        };
        rows.push(row);
        console.error(`[bench] ${size} stacks at concurrency ${concurrency}: ${row.totalS.toFixed(1)} s (load ${row.load})`);
      }
    } finally {
      for (const d of doubles) await d.stop();
      fleet.dispose();
      fs.rmSync(backendDir, { recursive: true, force: true });
    }
  }
  const header = "| stacks | concurrency | drift total s | per stack s | one `pulumi preview` s | total / (stacks × preview) | read back by refresh | load average (1 5 15 min) |";
  const lines = [header, "|---|---|---|---|---|---|---|---|"];
  for (const r of rows) {
    lines.push(`| ${r.stacks} | ${r.concurrency} | ${r.totalS.toFixed(1)} | ${r.perStackS.toFixed(2)} | ${r.previewS.toFixed(2)} | ${r.ratio.toFixed(2)}× | ${r.byRefresh}/${r.stacks} | ${r.load} |`);
  }
  console.log(`${lines.join("\n")}\n\n${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; commit ${gitCommit()}`);
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, JSON.stringify({ at: new Date().toISOString(), rows }, null, 2) + "\n");
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("close", (code) => resolve({ code, output }));
  });
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
