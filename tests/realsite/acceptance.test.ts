// The README's acceptance command against the real Moodle, exactly as a user types it:
//   env $(bash scripts/real-moodle.sh env) npm run test:acceptance
// then the site's database must hold what it held before (the suite's own promise, README
// "What it changes and gives back").
import { spawn } from "child_process";
import * as path from "path";
import { databaseFootprint, describeRealSite, realSite, RealSite } from "../support/realSite";

const ROOT = path.resolve(__dirname, "..", "..");
/** The README's command, word for word (README "A real Moodle on your machine"). */
const README_COMMAND = "env $(bash scripts/real-moodle.sh env) npm run test:acceptance";

/** Runs a shell command in the project, passing its output through (CI logs show the inner suite) and keeping it. */
function run(command: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Our own MOODLE_REAL_SITE/CI pass through; the command sets the site variables itself.
    const child = spawn("bash", ["-c", command], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (to: NodeJS.WriteStream) => (b: Buffer) => {
      output += b.toString("utf8");
      to.write(b);
    };
    child.stdout.on("data", keep(process.stdout));
    child.stderr.on("data", keep(process.stderr));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** Jest's "Tests:" summary line of the inner run, e.g. { failed: 0, skipped: 47, passed: 31, total: 78 }. */
function jestSummary(output: string): Record<string, number> {
  const line = /^Tests:\s+(.*)$/m.exec(output.replace(/\x1b\[[0-9;]*m/g, ""))?.[1];
  if (!line) throw new Error("the acceptance run printed no jest 'Tests:' summary");
  return Object.fromEntries([...line.matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
}

describeRealSite("npm run test:acceptance against the real Moodle", () => {
  let site: RealSite;

  beforeAll(() => {
    site = realSite();
    site.reset();
  });

  test(
    "passes every test a real site can run, and leaves the database as it found it",
    async () => {
      const before = databaseFootprint(site);
      const { code, output } = await run(README_COMMAND);
      const after = databaseFootprint(site);
      const summary = jestSummary(output);
      expect({ code, failed: summary.failed ?? 0 }).toEqual({ code: 0, failed: 0 });
      // The README's count of what runs on a real site: fewer passed means tests were skipped there.
      expect(summary.passed).toBeGreaterThanOrEqual(31);
      expect(after).toEqual(before);
    },
    20 * 60_000,
  );
});
