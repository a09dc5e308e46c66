// `npm run drift` through the real engine on one backend holding several stacks, each with its own
// passphrase and Moodle double: clean, drifted, token expiring soon, unreachable, and one whose
// passphrase is not given; then --repair, and the time for one stack vs several.
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { createFleet, DriftRun, Fleet, leakedSecrets, runDrift, startDouble } from "../../testkit/engine/fleet";

jest.setTimeout(600_000);

const PASSPHRASES = { clean: "pp-clean-1", drifted: "pp-drifted-2", expiring: "pp-expiring-3", down: "pp-down-4", locked: "pp-locked-5" };
/** The stack's passphrase variables, one of them through a file (the per-stack file convention). */
function passphraseEnv(dir: string): Record<string, string> {
  const file = path.join(dir, "drifted.passphrase");
  fs.writeFileSync(file, `${PASSPHRASES.drifted}\n`, { mode: 0o600 });
  return {
    PULUMI_CONFIG_PASSPHRASE_CLEAN: PASSPHRASES.clean,
    PULUMI_CONFIG_PASSPHRASE_FILE_DRIFTED: file,
    PULUMI_CONFIG_PASSPHRASE_EXPIRING: PASSPHRASES.expiring,
    PULUMI_CONFIG_PASSPHRASE_DOWN: PASSPHRASES.down,
    // "locked" gets none: its check must fail as an error that names the variable to set.
  };
}

function isoDaysFromToday(days: number): string {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days)).toISOString().slice(0, 10);
}

/** Days from today (UTC) to a date, counted independently of the code under test (a run may pass midnight). */
function daysUntil(isoDate: string): number {
  for (let days = -2; days < 30; days++) if (isoDaysFromToday(days) === isoDate) return days;
  throw new Error(`${isoDate} is not within a month`);
}

describe("npm run drift over several stacks and Moodle doubles", () => {
  let backendDir: string;
  let fleet: Fleet;
  let passphrases: Record<string, string>;
  const expiringValidUntil = isoDaysFromToday(5);
  const doubles: Record<string, MoodleDouble> = {};
  const shown: string[] = [];
  const secrets = new Set<string>(Object.values(PASSPHRASES));

  const drift = async (args: string[]): Promise<DriftRun> => {
    const run = await runDrift(fleet, args, passphrases);
    shown.push(run.stdout, run.stderr, JSON.stringify(run.report), run.junit);
    return run;
  };
  const byStack = (run: DriftRun) => Object.fromEntries(run.report.stacks.map((s) => [s.stack, s]));

  beforeAll(async () => {
    backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fleet-state-"));
    fleet = createFleet(`file://${backendDir}`);
    passphrases = passphraseEnv(fleet.projectDir);
    for (const [name, i] of [["clean", 1], ["drifted", 2], ["expiring", 3], ["down", 4]] as const) {
      doubles[name] = await startDouble(`Admin-${name}-Pass-${i}!`);
      secrets.add(doubles[name].adminPassword);
    }
    const stacks = {
      clean: await fleet.addStack("clean", PASSPHRASES.clean, doubles.clean),
      drifted: await fleet.addStack("drifted", PASSPHRASES.drifted, doubles.drifted),
      expiring: await fleet.addStack("expiring", PASSPHRASES.expiring, doubles.expiring, { "moodle:tokenValidUntil": expiringValidUntil }),
      down: await fleet.addStack("down", PASSPHRASES.down, doubles.down),
    };
    await Promise.all(Object.values(stacks).map((s) => s.up()));
    // Never deployed, and its passphrase is not given to the report.
    await fleet.addStack("locked", PASSPHRASES.locked, doubles.clean);
    for (const d of Object.values(doubles)) for (const t of (d.control.state() as any).tokens) secrets.add(t.token);

    doubles.drifted.control.patchState({ config: { enablewebservices: "0" } });
    await doubles.down.stop();
  });

  afterAll(async () => {
    for (const [name, d] of Object.entries(doubles)) if (name !== "down") await d.stop();
    fleet?.dispose();
    if (backendDir) fs.rmSync(backendDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(leakedSecrets([...secrets], shown)).toEqual([]);
  });

  it("reports every stack of the project: clean, drift with the field, token expiry, unreachable, error; exit 1", async () => {
    const run = await drift([]);
    expect(run.code).toBe(1);
    const s = byStack(run);
    expect(Object.keys(s).sort()).toEqual(["clean", "down", "drifted", "expiring", "locked"]);

    expect(s.clean).toMatchObject({ moodleUrl: doubles.clean.url, status: "clean", changes: [], token: { validUntil: "", daysToExpiry: null, expiresSoon: false } });
    expect(s.drifted).toMatchObject({ moodleUrl: doubles.drifted.url, status: "drift", changes: [{ type: "WebServices", op: "update", fields: ["enabled"] }] });
    expect(s.expiring).toMatchObject({ status: "clean", token: { validUntil: expiringValidUntil, daysToExpiry: daysUntil(expiringValidUntil), expiresSoon: true } });
    expect(s.down).toMatchObject({ moodleUrl: doubles.down.url, status: "unreachable" });
    expect(s.down.message).toMatch(/^nothing answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/);
    expect(s.locked.status).toBe("error");
    expect(s.locked.message).toMatch(/passphrase/i);
    expect(s.locked.message).toContain("PULUMI_CONFIG_PASSPHRASE_LOCKED");

    const rows = run.stdout.split("\n");
    expect(rows.find((r) => r.startsWith("drifted "))).toMatch(/\sdrift\s+WebServices\.enabled\s+never expires$/);
    expect(rows.find((r) => r.startsWith("expiring "))).toMatch(new RegExp(`\\sclean\\s+-\\s+${daysUntil(expiringValidUntil)} days \\(${expiringValidUntil}\\) RENEW SOON$`));
    expect(rows.find((r) => r.startsWith("down "))).toMatch(/\sunreachable\s+nothing answers at/);

    expect(run.junit).toContain(`tests="5" failures="2" errors="2"`);
    expect(run.junit.match(/<testcase /g)).toHaveLength(5);
    // A report never changes Moodle.
    expect((doubles.drifted.control.state() as any).config.enablewebservices).toBe("0");
  });

  it("--stacks checks only the named stacks; clean stacks exit 0, a token expiring soon exits 2", async () => {
    const clean = await drift(["--stacks", "clean"]);
    expect(clean.code).toBe(0);
    expect(clean.report.stacks.map((s) => s.stack)).toEqual(["clean"]);
    const expiring = await drift(["--stacks", "clean,expiring"]);
    expect(expiring.code).toBe(2);
    const relaxed = await drift(["--stacks", "expiring", "--expiry-warning-days", String(daysUntil(expiringValidUntil) - 1)]);
    expect(relaxed.code).toBe(0);
  });

  it("--repair runs up on the drifted stack only, reports what it changed, and the next report is clean", async () => {
    // Writes: POSTs other than the login and the token's read-back calls (REST, which change nothing).
    const writes = () => doubles.clean.control.requests().filter((r) => r.method === "POST" && !r.path.startsWith("/login/") && !r.path.startsWith("/webservice/rest/")).length;
    const requestsBefore = writes();
    const run = await drift(["--stacks", "clean,drifted", "--repair"]);
    expect(run.code).toBe(0);
    const s = byStack(run);
    expect(s.drifted.status).toBe("drift");
    expect(s.drifted.repair).toEqual({ status: "repaired", changes: [{ type: "WebServices", name: "web-services", op: "update", fields: ["enabled"] }] });
    expect(s.clean.repair).toBeUndefined();
    expect(run.stdout).toMatch(/drifted\s.*drift\s+WebServices\.enabled -> repaired: WebServices\.enabled/);
    expect((doubles.drifted.control.state() as any).config.enablewebservices).toBe("1");
    // The clean stack's Moodle was only read.
    expect(writes()).toBe(requestsBefore);

    const after = await drift(["--stacks", "drifted"]);
    expect(after.code).toBe(0);
    expect(byStack(after).drifted.status).toBe("clean");
  });
});
