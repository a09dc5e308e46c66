// The program's warm-up of a new stack's preview (providers/webServices/warmUp.ts): it logs in and
// reads the preflight's pages into the run's session carry, and the provider's check that follows in
// another process of the run (a new client here, as in a new process) asks Moodle nothing more. Against
// the Moodle double, requests counted by it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { fileSessionCarry } from "../../moodle/sessionCarry";
import { moodleFor } from "../../providers/shared/common";
import { connectionFor } from "../../providers/shared/moodleConnection";
import { preflightProblems } from "../../providers/webServices/preflight";
import { WARM_UP_TIMEOUT_MS, warmUpConnection, warmUpPreflight, whenProgramIdle } from "../../providers/webServices/warmUp";
import type { ConnectionProps } from "../../providers/connection";
import { connectionTo } from "./inputs";

let moodle: MoodleDouble;
let cache: string;
let run = 0;
const saved = { cache: process.env.MOODLE_PERCIPIO_CACHE, scope: process.env.MOODLE_PERCIPIO_SESSION_SCOPE };
const needs = { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: true };
// A configured timeout above the warm-up's own bound, so the bound shows.
const props = (overrides: Partial<ConnectionProps> = {}): ConnectionProps => ({ ...connectionTo(moodle.url), requestTimeoutSeconds: 30, ...overrides });
const sent = () => moodle.control.requests().map((r) => `${r.method} ${r.path.split("?")[0]}`);
/** The provider process's check: a client of its own, in the same run. */
const providerCheck = (p: ConnectionProps = props()) => {
  clearClientCache();
  return preflightProblems(moodleFor(p), needs);
};

beforeAll(async () => {
  moodle = await startMoodleDouble({ control: true });
  cache = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-warmup-"));
  process.env.MOODLE_PERCIPIO_CACHE = cache;
});
beforeEach(() => {
  // Each test is a run of its own.
  process.env.MOODLE_PERCIPIO_SESSION_SCOPE = `warm-up-test-${++run}`;
  clearClientCache();
  moodle.control.clearRequests();
});
afterAll(async () => {
  for (const [key, value] of [["MOODLE_PERCIPIO_CACHE", saved.cache], ["MOODLE_PERCIPIO_SESSION_SCOPE", saved.scope]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  fs.rmSync(cache, { recursive: true, force: true });
  await moodle.stop();
});

describe("warmUpPreflight", () => {
  it("logs in and reads the preflight's pages; the provider's check then finds nothing wrong without a request", async () => {
    expect(await warmUpPreflight(props(), needs)).toBe("read");
    const warmUp = sent();
    expect(warmUp.filter((r) => r === "POST /login/index.php")).toHaveLength(1);
    expect(warmUp).toEqual(expect.arrayContaining(["GET /admin/settings.php", "GET /admin/webservice/service.php"]));
    moodle.control.clearRequests();
    expect(await providerCheck()).toEqual([]);
    expect(sent()).toEqual([]);
  });

  it("reads nothing when a process of the run has logged in already (a stack with resources was just refreshed)", async () => {
    await providerCheck();
    moodle.control.clearRequests();
    expect(await warmUpPreflight(props(), needs)).toBe("skipped");
    expect(sent()).toEqual([]);
  });

  it("a wrong password costs the run one failed login: the provider's check reports it without trying again", async () => {
    const wrong = props({ adminPassword: "Not-The-Password-1" });
    expect(await warmUpPreflight(wrong, needs)).toBe("read");
    const problems = await providerCheck(wrong);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/moodle:adminPassword/);
    expect(sent().filter((r) => r === "POST /login/index.php")).toHaveLength(1);
  });

  it("holds the run's login turn while it reads: a provider arriving meanwhile waits and then reads nothing", async () => {
    const warming = warmUpPreflight(props(), needs);
    const check = providerCheck();
    expect(await warming).toBe("read");
    expect(await check).toEqual([]);
    expect(sent().filter((r) => r === "POST /login/index.php")).toHaveLength(1);
    expect(sent().filter((r) => r === "GET /admin/webservice/service.php")).toHaveLength(1);
  });

  it("keeps what it read in the run's carry only: another run reads for itself", async () => {
    await warmUpPreflight(props(), needs);
    expect(fileSessionCarry(connectionFor(props()), process.env.MOODLE_PERCIPIO_SESSION_SCOPE!).take()).toMatchObject({ userId: 2 });
    process.env.MOODLE_PERCIPIO_SESSION_SCOPE = `warm-up-test-${++run}`;
    moodle.control.clearRequests();
    await providerCheck();
    expect(sent().filter((r) => r === "POST /login/index.php")).toHaveLength(1);
  });
});

describe("warmUpConnection", () => {
  it("is the stack's connection with one attempt per request, each bounded, so a site that does not answer is left to the provider's check", () => {
    const configured = connectionFor(props());
    expect(warmUpConnection(props())).toEqual({ ...configured, timeoutMs: WARM_UP_TIMEOUT_MS, retries: 0 });
    expect(WARM_UP_TIMEOUT_MS).toBe(10_000);
    expect(warmUpConnection(props({ requestTimeoutSeconds: 4 }))).toMatchObject({ timeoutMs: 4000, retries: 0 });
  });
});

describe("whenProgramIdle", () => {
  const busy = (ms: number) => {
    for (const until = Date.now() + ms; Date.now() < until; );
  };
  const started = () => {
    let at: number | undefined;
    return { start: () => (at = Date.now()), at: () => at };
  };
  /** When it started (a loaded machine makes timers late, and so the start later: waited for, within reason). */
  const startedAt = async (s: ReturnType<typeof started>) => {
    for (const until = Date.now() + 8000; s.at() === undefined && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    return s.at()!;
  };

  it("starts once timers fire on time the given number of times in a row, not before", async () => {
    const s = started();
    const t0 = Date.now();
    whenProgramIdle(s.start, { tickMs: 10, calmTicks: 3, maxMs: 5000 });
    await new Promise((r) => setTimeout(r, 15));
    expect(s.at()).toBeUndefined();
    expect((await startedAt(s)) - t0).toBeGreaterThanOrEqual(30);
  });

  it("waits while the program is busy (its timers come late), and starts after it", async () => {
    const s = started();
    const t0 = Date.now();
    whenProgramIdle(s.start, { tickMs: 10, calmTicks: 2, maxMs: 5000 });
    // The program registering its resources: the event loop is held for a while, then again.
    busy(60);
    await new Promise((r) => setImmediate(r));
    busy(60);
    await new Promise((r) => setTimeout(r, 5));
    expect(s.at()).toBeUndefined();
    expect((await startedAt(s)) - t0).toBeGreaterThanOrEqual(140);
  });

  it("starts at maxMs at the latest when the program never settles", async () => {
    const s = started();
    const t0 = Date.now();
    whenProgramIdle(s.start, { tickMs: 10, calmTicks: 2, maxMs: 120 });
    const keepBusy = setInterval(() => busy(25), 1);
    let stopped = 0;
    try {
      await new Promise((r) => setTimeout(r, 400));
    } finally {
      clearInterval(keepBusy);
      stopped = Date.now();
    }
    expect((await startedAt(s)) - t0).toBeGreaterThanOrEqual(120);
    // While the program was still busy.
    expect(s.at()!).toBeLessThanOrEqual(stopped);
  });
});
