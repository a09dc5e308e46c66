// `npm run bench [-- --runs N | --quick] [--out FILE]`: times this project's operations through the
// real engine against the Moodle double (or a real Moodle, see target.ts), next to their floors
// measured in the same run, and prints/writes medians, spreads, ratios, HTTP requests and peak RSS.
import * as fs from "fs";
import * as path from "path";
import { execFileSync } from "child_process";
import { projectRoot } from "../testkit/engine/engine";
import { sampleRss, PeakRss } from "./processes";
import { replay, handEdit, ReplayTimes } from "./replay";
import { LABELS, OPERATIONS, Operation, Sample, summarize, table } from "./report";
import { cliDestroy, cliPreview, cliUp } from "./cli";
import { BENCH_TOKEN_NAME, DYNAMIC_FLOOR_PROJECT, dynamicProviderBenchStack, emptyBenchStack, PERCIPIO_INPUTS, PHASE_2_CONFIG, projectBenchStack } from "./stacks";
import { BenchTarget, startTarget } from "./target";
import { tokenSites, tokenSitesTable } from "./tokenSites";

const DRIFT = { s_percipio_clientid: "hand_edited" };
// Every operation runs as the `pulumi` binary runs it for a user (bench/cli.ts): `up` and `destroy`
// with their preview pass, each reading Moodle first (--refresh, as `options: refresh: always` does).

interface Options {
  runs: number;
  out: string;
  /** The token-count mode instead of the operations (see tokenSites.ts). */
  tokens: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 3, out: path.join(projectRoot, ".bench", "results.json"), tokens: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--quick") options.runs = 1;
    else if (argv[i] === "--runs") options.runs = Number(argv[++i]);
    else if (argv[i] === "--out") options.out = path.resolve(argv[++i]);
    else if (argv[i] === "--tokens") options.tokens = true;
    else throw new Error(`unknown argument ${argv[i]} (use --runs N, --quick, --out FILE, --tokens)`);
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error("--runs needs a whole number ≥ 1");
  return options;
}

interface Measured<T> {
  result: T;
  ms: number;
  rss: PeakRss;
  requests?: string[];
}

async function measure<T>(target: BenchTarget, work: () => Promise<T>): Promise<Measured<T>> {
  target.takeRequests();
  const rss = sampleRss();
  const start = process.hrtime.bigint();
  try {
    const result = await work();
    return { result, ms: Number(process.hrtime.bigint() - start) / 1e6, rss: rss.stop(), requests: target.takeRequests() };
  } catch (err) {
    rss.stop();
    throw err;
  }
}

async function timeMs(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The bench measures what it claims only if each operation did what its name says. */
function check(operation: Operation, changes: Record<string, number> | undefined, expected: Record<string, number>): void {
  if (JSON.stringify(changes) !== JSON.stringify(expected)) {
    throw new Error(`${LABELS[operation]}: expected changes ${JSON.stringify(expected)}, the engine reported ${JSON.stringify(changes)}`);
  }
}

type EngineFloor = { up: number; preview: number; destroy: number };

async function engineFloor(): Promise<EngineFloor> {
  const empty = await emptyBenchStack();
  try {
    return {
      up: await timeMs(() => cliUp(empty)),
      preview: await timeMs(() => cliPreview(empty)),
      destroy: await timeMs(() => cliDestroy(empty)),
    };
  } finally {
    await empty.dispose();
  }
}

/**
 * The same five operations on the empty program plus one do-nothing dynamic-provider resource: what
 * the engine costs any program built on dynamic providers (an extra reference, not the ratio's floor).
 */
interface DynamicFloor {
  ms: Record<Operation, number>;
  /** Peak RSS of the do-nothing provider's processes over the five operations (MB). */
  providerRssMb?: number;
}

async function dynamicProviderFloor(): Promise<DynamicFloor> {
  const dyn = await dynamicProviderBenchStack();
  const rss = sampleRss();
  try {
    const { stack } = dyn;
    const timed = async (op: Operation, work: () => Promise<Record<string, number> | undefined>, expected: Record<string, number>) => {
      const start = process.hrtime.bigint();
      const changes = await work();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      check(op, changes, expected);
      return ms;
    };
    const firstUp = await timed("firstUp", () => cliUp(dyn), { create: 2 });
    const noopUp = await timed("noopUp", () => cliUp(dyn), { same: 2 });
    const noopPreview = await timed("noopPreview", () => cliPreview(dyn), { same: 2 });
    await stack.setConfig(`${DYNAMIC_FLOOR_PROJECT}:value`, { value: "b" });
    const driftRepair = await timed("driftRepair", () => cliUp(dyn), { same: 1, update: 1 });
    const destroy = await timed("destroy", () => cliDestroy(dyn), { delete: 2 });
    // Phase 2 adds one resource to a deployed stack: its floor is that of an up changing one resource.
    return { ms: { firstUp, noopUp, noopPreview, driftRepair, phase2Up: driftRepair, destroy }, providerRssMb: rss.stop().mb.provider };
  } finally {
    rss.stop();
    await dyn.dispose();
  }
}

type RunResult = Record<Operation, Measured<unknown>>;

async function projectRun(target: BenchTarget): Promise<RunResult> {
  const test = await projectBenchStack(target);
  try {
    const { stack } = test;
    const firstUp = await measure(target, () => cliUp(test));
    check("firstUp", firstUp.result, { create: 7 });
    const noopUp = await measure(target, () => cliUp(test));
    check("noopUp", noopUp.result, { same: 7 });
    const noopPreview = await measure(target, () => cliPreview(test));
    check("noopPreview", noopPreview.result, { same: 7 });
    await handEdit(target, DRIFT);
    const driftRepair = await measure(target, () => cliUp(test));
    check("driftRepair", driftRepair.result, { same: 6, update: 1 });
    const destroy = await measure(target, () => cliDestroy(test));
    check("destroy", destroy.result, { delete: 7 });
    // Phase 2 on its own: a phase-1 stack (not measured), then the Percipio credentials arrive.
    await stack.removeAllConfig(Object.keys(PHASE_2_CONFIG));
    check("phase2Up", await cliUp(test), { create: 6 });
    await stack.setAllConfig(PHASE_2_CONFIG);
    const phase2Up = await measure(target, () => cliUp(test));
    check("phase2Up", phase2Up.result, { create: 1, same: 6 });
    return { firstUp, noopUp, noopPreview, driftRepair, phase2Up, destroy };
  } finally {
    await test.dispose();
  }
}

function sample(op: Operation, run: RunResult, engine: EngineFloor, http: ReplayTimes, dynamic: DynamicFloor): Sample {
  const floorEngineMs = { firstUp: engine.up, noopUp: engine.up, noopPreview: engine.preview, driftRepair: engine.up, phase2Up: engine.up, destroy: engine.destroy }[op];
  // Phase 2's Moodle steps are the drift repair's: log in, read the plugin's settings, write them.
  const floorHttp = { firstUp: http.firstUp, noopUp: http.noopRead, noopPreview: http.noopRead, driftRepair: http.driftRepair, phase2Up: http.driftRepair, destroy: http.destroy }[op];
  const m = run[op];
  return { ms: m.ms, requests: m.requests?.length, rss: m.rss, floorEngineMs, floorHttpMs: floorHttp.ms, floorRequests: floorHttp.requests, dynamicFloorEngineMs: dynamic.ms[op] };
}

function countByPath(requests: string[] | undefined): Record<string, number> | undefined {
  if (!requests) return undefined;
  const out: Record<string, number> = {};
  for (const r of requests) out[r] = (out[r] ?? 0) + 1;
  return out;
}

async function tokenMode(options: Options, pulumiVersion: string): Promise<void> {
  if (process.env.MOODLE_URL) throw new Error("--tokens needs the Moodle double (it fills the site with tokens); unset MOODLE_URL");
  console.log(`[bench] token-count mode: ${options.runs} run(s) per site, pulumi ${pulumiVersion}, node ${process.version}, Moodle double`);
  const results = await tokenSites(options.runs);
  console.log(`\n${tokenSitesTable(results)}\n`);
  console.log("other tokens = Moodle-app tokens already on the site (a quarter without expiry, some expired); both phases, moodle:tokenValidDays 90; HTTP req counted by the double.");
  const out = options.out.replace(/\.json$/, "-tokens.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), pulumi: pulumiVersion, node: process.version, runs: options.runs, results }, null, 2));
  console.log(`[bench] written ${path.relative(process.cwd(), out)}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const pulumiVersion = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  if (options.tokens) return tokenMode(options, pulumiVersion);
  const target = await startTarget();
  console.log(`[bench] ${options.runs} run(s), pulumi ${pulumiVersion}, node ${process.version}, target: ${target.kind === "double" ? "Moodle double" : target.url}`);
  const plan = { tokenName: `${BENCH_TOKEN_NAME}-floor`, percipio: PERCIPIO_INPUTS };
  const samples = Object.fromEntries(OPERATIONS.map((op) => [op, [] as Sample[]])) as Record<Operation, Sample[]>;
  let last: RunResult | undefined;
  const dynamicProviderRssMb: number[] = [];
  try {
    // Warm-up (not counted): loads the parsers the replay uses, so its first timing is not a cold start.
    await replay(target, plan, DRIFT);
    for (let i = 1; i <= options.runs; i++) {
      target.reset();
      const engine = await engineFloor();
      const dynamic = await dynamicProviderFloor();
      if (dynamic.providerRssMb !== undefined) dynamicProviderRssMb.push(dynamic.providerRssMb);
      const http = await replay(target, plan, DRIFT);
      target.reset();
      last = await projectRun(target);
      for (const op of OPERATIONS) samples[op].push(sample(op, last, engine, http, dynamic));
      console.log(`[bench] run ${i}: ${OPERATIONS.map((op) => `${op} ${(last![op].ms / 1000).toFixed(2)} s`).join(", ")}`);
    }
  } finally {
    await target.stop();
  }
  const rows = OPERATIONS.map((op) => summarize(op, samples[op]));
  console.log(`\n${table(rows)}\n`);
  console.log("floor = empty TypeScript program on the same CLI and runtime options + the same HTTP steps as hand-written requests; ratio = median / floor; RSS = peak of the largest process.");
  console.log("dyn. floor = the same with one do-nothing dynamic-provider resource instead of the empty program (what any dynamic-provider program pays) + the same HTTP floor; ratio to it = median / dyn. floor.");
  const dynamicRss = dynamicProviderRssMb.length ? Math.max(...dynamicProviderRssMb) : undefined;
  console.log(`do-nothing dynamic provider process: peak RSS ${dynamicRss ?? "–"} MB (what @pulumi/pulumi's dynamic-provider process takes before any provider code).`);
  const requestsByPath = Object.fromEntries(OPERATIONS.map((op) => [op, countByPath(last?.[op].requests)]));
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(
    options.out,
    JSON.stringify(
      { date: new Date().toISOString(), pulumi: pulumiVersion, node: process.version, target: target.kind, runs: options.runs, results: rows, dynamicProviderRssMb: dynamicRss, samples, requestsByPath },
      null,
      2,
    ),
  );
  console.log(`[bench] written ${path.relative(process.cwd(), options.out)}`);
}

main().catch((err) => {
  console.error(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
