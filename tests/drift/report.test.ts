// The pure parts of the drift report: options, passphrases per stack, token expiry, changes, the
// three report forms and the exit code.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as http from "http";
import type { AddressInfo } from "net";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changesFromEvents, changesFromRefreshEvents, describeChange } from "../../drift/changes";
import { programFingerprint } from "../../config/programFingerprint";
import { engineFailure } from "../../drift/errors";
import { parseOptions, UsageError } from "../../drift/options";
import { secretsEnvForStack, stackEnvSuffix, withdrawGlobalPassphrase } from "../../drift/passphrase";
import { mapBounded } from "../../drift/pool";
import { probe } from "../../drift/reachability";
import { exitCode, junit, table, tokenColumn } from "../../drift/report";
import { tokenExpiryFromState } from "../../drift/tokenExpiry";
import type { FleetReport, StackReport } from "../../drift/types";

const TODAY = new Date("2026-11-28T23:30:00Z");

function stack(partial: Partial<StackReport>): StackReport {
  return {
    stack: "s",
    moodleUrl: "https://moodle.example.com",
    status: "clean",
    changes: [],
    token: { validUntil: "", daysToExpiry: null, expiresSoon: false },
    durationMs: 1500,
    ...partial,
  };
}

describe("options", () => {
  const defaults = { projectDir: "/p", cwd: "/w" };
  it("defaults: every stack, 4 at once, no repair, reports/drift, 14-day warning", () => {
    expect(parseOptions([], defaults)).toEqual({ stacks: [], concurrency: 4, repair: false, reportsDir: "/w/reports/drift", projectDir: "/p", expiryWarningDays: 14, perHost: 2 });
  });
  it("reads every option, in both --x v and --x=v forms", () => {
    expect(
      parseOptions(["--stacks", "a, b", "--concurrency=2", "--repair", "--reports-dir", "out", "--project-dir=/q", "--expiry-warning-days", "0", "--per-host=1", "--shard", "2/3"], defaults),
    ).toEqual({
      stacks: ["a", "b"], concurrency: 2, repair: true, reportsDir: "/w/out", projectDir: "/q", expiryWarningDays: 0, perHost: 1, shard: { index: 2, count: 3 },
    });
  });
  it("--merge takes every folder up to the next option, relative to the working folder", () => {
    expect(parseOptions(["--merge", "s1", "/abs/s2", "s3", "--reports-dir", "out"], defaults)).toMatchObject({ merge: ["/w/s1", "/abs/s2", "/w/s3"], reportsDir: "/w/out" });
    expect(parseOptions(["--merge=s1"], defaults).merge).toEqual(["/w/s1"]);
  });
  it.each([
    [["--concurrency", "0"]], [["--concurrency", "x"]], [["--stacks"]], [["--what"]], [["--expiry-warning-days", "-1"]],
    [["--per-host", "0"]], [["--shard", "0/3"]], [["--shard", "4/3"]], [["--shard", "2"]], [["--shard", "1/0"]],
    [["--merge"]], [["--merge", "--stacks", "a"]], [["--merge", "d", "--shard", "1/2"]], [["--merge", "d", "--repair"]],
  ])("refuses %j", (argv) => {
    expect(() => parseOptions(argv, defaults)).toThrow(UsageError);
  });
});

describe("passphrase per stack", () => {
  it("names the variables after the stack", () => {
    expect(stackEnvSuffix("prod-eu.1")).toBe("PROD_EU_1");
    expect(stackEnvSuffix("organization/moodle/prod")).toBe("PROD");
  });
  it("prefers the stack's own passphrase, then its own file, then the global ones", () => {
    const env = { PULUMI_CONFIG_PASSPHRASE: "all", PULUMI_CONFIG_PASSPHRASE_PROD: "p", PULUMI_CONFIG_PASSPHRASE_FILE_STAGING: "/s" };
    expect(secretsEnvForStack("prod", env)).toEqual({ PULUMI_CONFIG_PASSPHRASE: "p" });
    expect(secretsEnvForStack("staging", env)).toEqual({ PULUMI_CONFIG_PASSPHRASE_FILE: "/s" });
    expect(secretsEnvForStack("qa", env)).toEqual({ PULUMI_CONFIG_PASSPHRASE: "all" });
    expect(secretsEnvForStack("qa", { PULUMI_CONFIG_PASSPHRASE_FILE: "/all" })).toEqual({ PULUMI_CONFIG_PASSPHRASE_FILE: "/all" });
  });
  it("an empty passphrase is a passphrase; the dev stack falls back to its documented one; others get nothing", () => {
    expect(secretsEnvForStack("prod", { PULUMI_CONFIG_PASSPHRASE_PROD: "" })).toEqual({ PULUMI_CONFIG_PASSPHRASE: "" });
    expect(secretsEnvForStack("dev", {})).toEqual({ PULUMI_CONFIG_PASSPHRASE: "moodle-percipio-dev" });
    expect(secretsEnvForStack("prod", {})).toEqual({});
  });
  it("withdraws the global variables from the process environment", () => {
    const env: NodeJS.ProcessEnv = { PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_CONFIG_PASSPHRASE_FILE: "/f", OTHER: "o" };
    expect(withdrawGlobalPassphrase(env)).toEqual({ PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_CONFIG_PASSPHRASE_FILE: "/f" });
    expect(env).toEqual({ OTHER: "o" });
  });
});

describe("token expiry from state", () => {
  const token = (validUntil: string, extra = {}) => ({ type: "pulumi-nodejs:dynamic/moodle:WebServiceToken", outputs: { validUntil }, ...extra });
  it("counts whole days from today (UTC) to the valid-until date and flags the warning window", () => {
    expect(tokenExpiryFromState([token("2026-12-03")], TODAY, 14)).toEqual({ validUntil: "2026-12-03", daysToExpiry: 5, expiresSoon: true });
    expect(tokenExpiryFromState([token("2026-12-13")], TODAY, 14)).toEqual({ validUntil: "2026-12-13", daysToExpiry: 15, expiresSoon: false });
    expect(tokenExpiryFromState([token("2026-12-12")], TODAY, 14).expiresSoon).toBe(true);
    expect(tokenExpiryFromState([token("2026-11-27")], TODAY, 14).daysToExpiry).toBe(-1);
  });
  it("a token that renews itself is flagged inside its own renewal window, not the report's", () => {
    const rolling = (validUntil: string, renewBeforeDays: number) => ({ ...token(validUntil), outputs: { validUntil, validDays: 30, renewBeforeDays } });
    expect(tokenExpiryFromState([rolling("2026-12-05", 7)], TODAY, 14)).toEqual({ validUntil: "2026-12-05", daysToExpiry: 7, expiresSoon: true });
    expect(tokenExpiryFromState([rolling("2026-12-06", 7)], TODAY, 14).expiresSoon).toBe(false);
    expect(tokenExpiryFromState([rolling("2026-12-19", 21)], TODAY, 14).expiresSoon).toBe(true);
    // Of two generations, the window of the one valid longest counts.
    expect(tokenExpiryFromState([rolling("2026-12-01", 7), rolling("2026-12-20", 3)], TODAY, 14).expiresSoon).toBe(false);
  });
  it("never expires, no token, deleted tokens ignored, newest of two generations", () => {
    expect(tokenExpiryFromState([token("")], TODAY, 14)).toEqual({ validUntil: "", daysToExpiry: null, expiresSoon: false });
    expect(tokenExpiryFromState([{ type: "pulumi:pulumi:Stack", outputs: {} }], TODAY, 14)).toEqual({ validUntil: null, daysToExpiry: null, expiresSoon: false });
    expect(tokenExpiryFromState([token("2026-12-01", { delete: true }), token("2027-01-30")], TODAY, 14).validUntil).toBe("2027-01-30");
    expect(tokenExpiryFromState([token("2026-12-01"), token("2027-01-30")], TODAY, 14).daysToExpiry).toBe(63);
  });
});

describe("changes from engine events", () => {
  const pre = (op: string, type: string, name: string, old?: object, nu?: object): EngineEvent =>
    ({ sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, type, urn: `urn:pulumi:s::moodle::x$${type}::${name}`, provider: "", old: old && { inputs: old }, new: nu && { inputs: nu } } } }) as any;
  it("lists changed resources with the names of differing inputs only, once per replacement", () => {
    const events = [
      pre("same", "pulumi-nodejs:dynamic/moodle:WebServiceProtocol", "rest-protocol", { a: 1 }, { a: 1 }),
      pre("refresh", "pulumi-nodejs:dynamic/moodle:WebServices", "web-services", { enabled: false }, { enabled: true }),
      pre("update", "pulumi-nodejs:dynamic/moodle:WebServices", "web-services", { enabled: false, pw: "[secret]", __provider: "a" }, { enabled: true, pw: "[secret]", __provider: "b" }),
      pre("create-replacement", "pulumi-nodejs:dynamic/moodle:WebServiceToken", "percipio-token", { v: "1" }, { v: "2" }),
      pre("replace", "pulumi-nodejs:dynamic/moodle:WebServiceToken", "percipio-token", { v: "1" }, { v: "2" }),
      pre("delete-replaced", "pulumi-nodejs:dynamic/moodle:WebServiceToken", "percipio-token", { v: "1" }, undefined),
      pre("create", "pulumi-nodejs:dynamic/moodle:PercipioSettings", "percipio-settings", undefined, { clientId: "c" }),
      pre("update", "pulumi:pulumi:Stack", "moodle-s", { a: 1 }, { a: 2 }),
    ];
    const changes = changesFromEvents(events);
    expect(changes).toEqual([
      { type: "WebServices", name: "web-services", op: "update", fields: ["enabled"] },
      { type: "WebServiceToken", name: "percipio-token", op: "replace", fields: ["v"] },
      { type: "PercipioSettings", name: "percipio-settings", op: "create", fields: [] },
    ]);
    expect(changes.map(describeChange)).toEqual(["WebServices.enabled", "WebServiceToken.v", "PercipioSettings (create)"]);
  });
});

describe("changes from a refresh that did not run the program", () => {
  const out = (op: string, type: string, name: string, old?: object, nu?: object): EngineEvent =>
    ({ sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { op, type, urn: `urn:pulumi:s::moodle::x$${type}::${name}`, provider: "", old: old && { outputs: old }, new: nu && { outputs: nu } } } }) as any;
  it("a read-back that differs is an update of the differing outputs; a resource gone from Moodle is created again", () => {
    const events = [
      out("same", "pulumi-nodejs:dynamic/moodle:WebServiceProtocol", "rest-protocol", { a: 1 }, { a: 1 }),
      out("update", "pulumi-nodejs:dynamic/moodle:WebServices", "web-services", { enabled: true, pw: "[secret]", __provider: "a" }, { enabled: false, pw: "[secret]", __provider: "b" }),
      out("delete", "pulumi-nodejs:dynamic/moodle:WebServiceToken", "percipio-token", { v: "1" }, undefined),
      out("update", "pulumi:pulumi:Stack", "moodle-s", { a: 1 }, { a: 2 }),
      out("update", "pulumi:providers:pulumi-nodejs", "default", { a: 1 }, { a: 2 }),
      { sequence: 1, timestamp: 0, resourcePreEvent: { metadata: { op: "refresh", type: "pulumi-nodejs:dynamic/moodle:WebServices", urn: "u::web-services", provider: "" } } } as any,
    ];
    expect(changesFromRefreshEvents(events)).toEqual([
      { type: "WebServices", name: "web-services", op: "update", fields: ["enabled"] },
      { type: "WebServiceToken", name: "percipio-token", op: "create", fields: [] },
    ]);
  });

  it("names an output in which Moodle refuses what the stack needs, even when a failed up already recorded it", () => {
    const ev = { sequence: 0, timestamp: 0, resOutputsEvent: { metadata: { op: "update", type: "pulumi-nodejs:dynamic/moodle:WebServiceToken", urn: "u::percipio-token", provider: "",
      old: { outputs: { acceptedByMoodle: "refused: x" }, inputs: { acceptedByMoodle: "yes" } }, new: { outputs: { acceptedByMoodle: "refused: x" }, inputs: { acceptedByMoodle: "refused: x" } } } } } as any;
    expect(changesFromRefreshEvents([ev])).toEqual([{ type: "WebServiceToken", name: "percipio-token", op: "update", fields: ["acceptedByMoodle"] }]);
  });
});

describe("the program's fingerprint", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fp-"));
    fs.mkdirSync(path.join(dir, "providers", "webServiceToken"), { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: moodle\n");
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  moodle:url: https://a.example.com\n");
    fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
    fs.writeFileSync(path.join(dir, "providers", "webServiceToken", "provider.ts"), "// v1\n");
    fs.writeFileSync(path.join(dir, "README.md"), "docs\n");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is the same for the same files, and changes with the stack's config, the program's code or the project file", () => {
    const first = programFingerprint(dir, "prod");
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(programFingerprint(dir, "prod")).toBe(first);
    fs.writeFileSync(path.join(dir, "README.md"), "other docs\n");
    expect(programFingerprint(dir, "prod")).toBe(first);
    const changed = (file: string, text: string) => {
      const before = fs.readFileSync(path.join(dir, file), "utf8");
      fs.writeFileSync(path.join(dir, file), text);
      const fp = programFingerprint(dir, "prod");
      fs.writeFileSync(path.join(dir, file), before);
      return fp;
    };
    expect(changed("Pulumi.prod.yaml", "config:\n  moodle:url: https://b.example.com\n")).not.toBe(first);
    expect(changed("providers/webServiceToken/provider.ts", "// v2\n")).not.toBe(first);
    expect(changed("Pulumi.yaml", "name: moodle\noptions: {}\n")).not.toBe(first);
    expect(programFingerprint(dir, "prod")).toBe(first);
  });

  it("follows folders given as links, as a program folder made of links to the project has them", () => {
    const linked = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fp-links-"));
    try {
      for (const name of fs.readdirSync(dir)) fs.symlinkSync(path.join(dir, name), path.join(linked, name));
      expect(programFingerprint(linked, "prod")).toBe(programFingerprint(dir, "prod"));
    } finally {
      fs.rmSync(linked, { recursive: true, force: true });
    }
  });

  it("cannot vouch for a stack without its config file, or whose config imports an environment", () => {
    expect(programFingerprint(dir, "staging")).toBe("");
    fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "environment:\n  - moodle/prod\nconfig: {}\n");
    expect(programFingerprint(dir, "prod")).toBe("");
  });
});

describe("engine failures", () => {
  it("keeps the engine's error diagnostics, else the error lines of stderr, and names the stack's passphrase variables", () => {
    const diag = { sequence: 0, timestamp: 0, diagnosticEvent: { severity: "error", message: "moodle:url is required\n", color: "never" } } as EngineEvent;
    expect(engineFailure(new Error("code: 255\n stdout: lots\n stderr: error: x"), [diag], "prod")).toBe("moodle:url is required");
    const message = engineFailure(new Error("code: 255\n stdout: preview output\n stderr: warning: w\nerror: constructing secrets manager: passphrase must be set with PULUMI_CONFIG_PASSPHRASE"), [], "prod-eu");
    expect(message).toMatch(/^error: constructing secrets manager: passphrase must be set/);
    expect(message).not.toContain("preview output");
    expect(message).toContain("PULUMI_CONFIG_PASSPHRASE_PROD_EU or PULUMI_CONFIG_PASSPHRASE_FILE_PROD_EU");
  });
});

describe("exit code and report forms", () => {
  const drifted = stack({ stack: "b<&>", status: "drift", changes: [{ type: "WebServices", name: "web-services", op: "update", fields: ["enabled"] }] });
  const expiring = stack({ stack: "c", token: { validUntil: "2026-12-03", daysToExpiry: 5, expiresSoon: true } });
  const down = stack({ stack: "d", status: "unreachable", message: "nothing answers at http://127.0.0.1:9 (ECONNREFUSED)" });
  const report = (stacks: StackReport[]): FleetReport => ({ generatedAt: TODAY.toISOString(), durationMs: 4200, concurrency: 4, stacks, exitCode: exitCode(stacks) });

  it("0 clean, 2 drift or a token expiring soon, 1 when a stack could not be checked; a repaired stack counts clean", () => {
    expect(exitCode([stack({})])).toBe(0);
    expect(exitCode([stack({}), drifted])).toBe(2);
    expect(exitCode([stack({}), expiring])).toBe(2);
    expect(exitCode([drifted, down])).toBe(1);
    expect(exitCode([stack({ status: "error", message: "x" })])).toBe(1);
    expect(exitCode([{ ...drifted, repair: { status: "repaired", changes: drifted.changes } }])).toBe(0);
    expect(exitCode([{ ...drifted, repair: { status: "failed", changes: [], message: "no" } }])).toBe(1);
  });

  it("the table has one row per stack with URL, status, changes and token expiry", () => {
    const lines = table(report([stack({ stack: "a" }), drifted, expiring, down])).split("\n");
    expect(lines[0]).toMatch(/^STACK\s+MOODLE URL\s+STATUS\s+CHANGES\s+TOKEN EXPIRES IN$/);
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^a\s+https:\/\/moodle\.example\.com\s+clean\s+-\s+never expires$/);
    expect(lines[3]).toMatch(/^b<&>\s+\S+\s+drift\s+WebServices\.enabled\s+never expires$/);
    expect(lines[4]).toMatch(/clean\s+-\s+5 days \(2026-12-03\) RENEW SOON$/);
    expect(lines[5]).toMatch(/unreachable\s+nothing answers at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\s+never expires$/);
    expect(tokenColumn(stack({ token: { validUntil: null, daysToExpiry: null, expiresSoon: false } }))).toBe("unknown");
  });

  it("JUnit: one test case per stack; drift and expiry are failures, unreachable an error; text is escaped", () => {
    const xml = junit(report([stack({ stack: "a" }), drifted, expiring, down]));
    expect(xml).toContain(`<testsuites name="moodle drift" tests="4" failures="2" errors="1" time="4.200">`);
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml).toContain(`<testcase classname="drift" name="b&lt;&amp;&gt;" time="1.500">`);
    expect(xml).toContain(`<failure type="drift" message="drift: WebServices.enabled">`);
    expect(xml).toContain(`<failure type="token-expiry" message="token expires in 5 days (2026-12-03) RENEW SOON">`);
    expect(xml).toContain(`<error type="unreachable" message="unreachable: nothing answers at http://127.0.0.1:9 (ECONNREFUSED)">`);
    const clean = xml.slice(xml.indexOf(`name="a"`), xml.indexOf(`name="b&lt;`));
    expect(clean).not.toMatch(/<failure|<error/);
  });
});

describe("bounded concurrency", () => {
  it("never runs more than the limit at once and keeps the input order", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 1], 2, async (ms) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, ms * 5));
      running--;
      return ms * 10;
    });
    expect(peak).toBe(2);
    expect(results).toEqual([50, 10, 40, 20, 30, 10]);
    await expect(mapBounded([1], 0, async (x) => x)).rejects.toThrow(/concurrency/);
  });
});

describe("reachability", () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(503).end("maintenance"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("any HTTP answer, even an error status, is reachable", async () => {
    await expect(probe(url)).resolves.toEqual({ reachable: true });
  });
  it("a port where nothing listens is unreachable, with the reason", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(probe(`http://127.0.0.1:${port}/moodle`)).resolves.toEqual({ reachable: false, reason: `nothing answers at http://127.0.0.1:${port} (ECONNREFUSED)` });
  });
  it("a server that accepts but never answers is unreachable after the timeout", async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    try {
      await expect(probe(`http://127.0.0.1:${port}`, 200)).resolves.toEqual({ reachable: false, reason: `nothing answers at http://127.0.0.1:${port} (no answer within 0.2 s)` });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe("a stack whose admin Moodle locked out", () => {
  it("is told from any other failure by the client's words for both lockouts", async () => {
    const { locksOut } = await import("../../drift/checkStack");
    expect(locksOut('log in failed at /login/index.php: Moodle refused the login for user "admin" with "Your account is locked…": the account is locked after too many failed logins')).toBe(true);
    expect(locksOut("pass multi-factor authentication failed at /admin/tool/mfa/auth.php: Moodle shows \"Unable to authenticate\": the admin's second factor is locked after too many refused codes")).toBe(true);
    expect(locksOut('log in failed at /login/index.php: Moodle said "Invalid login, please try again" for user "admin"')).toBe(false);
    expect(locksOut("nothing answers at moodle:url")).toBe(false);
  });

  it("has its own status: a row saying what unlocks it, a JUnit error of type locked, and exit code 1", () => {
    const locked = stack({ stack: "prod", status: "locked", message: "the account is locked after too many failed logins. Unlock it with the link Moodle emailed…" });
    expect(exitCode([stack({ status: "drift" }), locked])).toBe(1);
    expect(table({ generatedAt: "", durationMs: 0, concurrency: 1, stacks: [locked], exitCode: 1 } as FleetReport)).toMatch(/^prod +https:\/\/moodle\.example\.com +locked +the account is locked/m);
    expect(junit({ generatedAt: "", durationMs: 0, concurrency: 1, stacks: [locked], exitCode: 1 } as FleetReport)).toMatch(/<error type="locked" message="locked: the account is locked/);
  });
});
