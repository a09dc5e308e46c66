// Issue 18 item 5: the preflight receipt (providers/process/preflightReceipt.ts). A passing
// preflight in the preview pass of a `pulumi up` leaves a receipt that the update pass takes once
// instead of reading everything again. It never stands in for a failed preflight, another run,
// site, user, password or plan, an old one, or one in a folder others can enter.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { connectionOf } from "../../providers/shared/common";
import { connectionFor } from "../../providers/shared/moodleConnection";
import { engineRun } from "../../providers/process/engineRun";
import {
  codeVersion,
  privateDir,
  RECEIPT_TTL_MS,
  ReceiptBasis,
  receiptDir,
  takeReceipt,
  writeReceipt,
} from "../../providers/process/preflightReceipt";
import { webServices } from "../../providers/webServices/provider";
import { useProviderDoubles } from "./doubles";
import { connectionTo } from "./inputs";

// The receipt's temporary names end in 4 random bytes; one test fixes them to plant a file there.
let mockFixedTag: Buffer | undefined;
jest.mock("crypto", () => {
  const real = jest.requireActual("crypto");
  return { ...real, randomBytes: (n: number, ...rest: unknown[]) => (n === 4 && mockFixedTag ? mockFixedTag : real.randomBytes(n, ...rest)) };
});
const PASSWORD = "Admin-Pass-1!";
const basis = (over: { connection?: Partial<ReceiptBasis["connection"]>; needs?: Record<string, unknown> } = {}): ReceiptBasis => ({
  connection: { url: "https://moodle.example.com", username: "admin", password: PASSWORD, allowHttp: false, caCertPem: undefined, timeoutMs: 30_000, ...over.connection },
  needs: { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: true, ...over.needs },
});

/** The preview pass's process (another pid than this one, which plays the update pass). */
const PREVIEW_PID = process.pid + 100_000;
const T0 = 1_800_000_000_000;
const ENGINE = "4242@777";

let root: string;
let dir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-receipts-"));
  dir = path.join(root, "preflight-receipts");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const write = (b: ReceiptBasis, opts: { now?: number; engine?: string; pid?: number } = {}) =>
  writeReceipt(b, { dir, now: () => opts.now ?? T0, engine: opts.engine ?? ENGINE, pid: opts.pid ?? PREVIEW_PID });
const take = (b: ReceiptBasis, opts: { now?: number; engine?: string; pid?: number } = {}) =>
  takeReceipt(b, { dir, now: () => opts.now ?? T0 + 5_000, engine: opts.engine ?? ENGINE, pid: opts.pid });
const receipts = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== "salt") : []);

describe("a preflight receipt", () => {
  it("is taken once, by the update pass's process, and deleted as it is taken", () => {
    write(basis());
    expect(receipts()).toHaveLength(1);
    expect(take(basis())).toBe(true);
    expect(receipts()).toEqual([]);
    expect(take(basis())).toBe(false);
  });

  it("is not taken by the process that wrote it (a second check in one pass reads again)", () => {
    write(basis(), { pid: process.pid });
    expect(take(basis())).toBe(false);
    expect(receipts()).toEqual([]);
  });

  it(`stands for ${RECEIPT_TTL_MS / 1000} s after the preflight, not longer, and never for a preflight in the future`, () => {
    write(basis());
    expect(take(basis(), { now: T0 + RECEIPT_TTL_MS })).toBe(true);
    write(basis());
    expect(take(basis(), { now: T0 + RECEIPT_TTL_MS + 1 })).toBe(false);
    write(basis());
    expect(take(basis(), { now: T0 - 1 })).toBe(false);
    // Taken or not, it is gone.
    expect(receipts()).toEqual([]);
  });

  it("is swept when it expires unused", () => {
    write(basis());
    const [name] = receipts();
    const old = (Date.now() - RECEIPT_TTL_MS - 1_000) / 1000;
    fs.utimesSync(path.join(dir, name), old, old);
    write(basis({ needs: { tokenUser: "someone-else" } }), { now: T0 });
    expect(receipts()).toHaveLength(1);
    expect(receipts()).not.toContain(name);
  });

  const others: [string, ReceiptBasis][] = [
    ["another password", basis({ connection: { password: "Other-Pass-2!" } })],
    ["another site", basis({ connection: { url: "https://moodle2.example.com" } })],
    ["another admin user", basis({ connection: { username: "admin2" } })],
    ["plain http allowed", basis({ connection: { allowHttp: true } })],
    ["another CA", basis({ connection: { caCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } })],
    ["plain http allowed where the receipt's plan left it unsaid", basis({ connection: { allowHttp: true } })],
    ["another service", basis({ needs: { serviceShortname: "Other-API" } })],
    ["another token user", basis({ needs: { tokenUser: "manager" } })],
    ["phase 1 instead of phase 2", basis({ needs: { percipioSettings: false } })],
  ];
  it.each(others)("does not stand for %s", (_what, other) => {
    write(basis());
    expect(take(other)).toBe(false);
    // The receipt of the plan that passed is untouched, and still valid for exactly that plan.
    expect(receipts()).toHaveLength(1);
    expect(take(basis())).toBe(true);
  });

  const CA_A = "-----BEGIN CERTIFICATE-----\nMIIBa\n-----END CERTIFICATE-----\n";
  const CA_B = "-----BEGIN CERTIFICATE-----\nMIIBb\n-----END CERTIFICATE-----\n";
  it("does not stand for another CA than the one the preflight trusted", () => {
    write(basis({ connection: { caCertPem: CA_A } }));
    expect(take(basis({ connection: { caCertPem: CA_B } }))).toBe(false);
    expect(take(basis({ connection: { caCertPem: CA_A } }))).toBe(true);
  });

  it("takes an unset CA or http switch as the defaults they stand for (no CA, https only)", () => {
    write(basis({ connection: { caCertPem: undefined, allowHttp: undefined } }));
    expect(take(basis({ connection: { caCertPem: "", allowHttp: false } }))).toBe(true);
    write(basis({ connection: { allowHttp: undefined } }));
    expect(take(basis({ connection: { allowHttp: true } }))).toBe(false);
  });

  it("stands for a preflight that passed in the same millisecond", () => {
    write(basis(), { now: T0 });
    expect(take(basis(), { now: T0 })).toBe(true);
  });

  it("does not cross to another pulumi run (another stack, or a later preview/up)", () => {
    write(basis());
    expect(take(basis(), { engine: "4242@778" })).toBe(false);
    expect(take(basis(), { engine: "4243@777" })).toBe(false);
    expect(take(basis())).toBe(true);
  });

  it("does not survive a new salt (its name is a salted hash)", () => {
    write(basis());
    fs.rmSync(path.join(dir, "salt"));
    expect(take(basis())).toBe(false);
  });

  it("keeps nothing of the password, site or user, in its name or its content", () => {
    write(basis());
    const [name] = receipts();
    expect(name).toMatch(/^[0-9a-f]{64}\.receipt$/);
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    expect(JSON.parse(text)).toEqual({ passedAt: T0, by: PREVIEW_PID });
    // Salted: the same plan gets another name in another folder.
    const otherDir = path.join(root, "other");
    writeReceipt(basis(), { dir: otherDir, now: () => T0, engine: ENGINE, pid: PREVIEW_PID });
    expect(fs.readdirSync(otherDir).filter((f) => f !== "salt")).not.toContain(name);
  });

  it("lives in a folder only its owner can enter, as a file only its owner can read", () => {
    write(basis());
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, receipts()[0])).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, "salt")).mode & 0o777).toBe(0o600);
  });

  it("closes a folder others could enter before using it", () => {
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o777);
    expect(privateDir(dir)).toBe(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("is neither written nor taken through a symlinked folder", () => {
    const real = path.join(root, "real");
    fs.mkdirSync(real, { mode: 0o700 });
    fs.symlinkSync(real, dir);
    expect(privateDir(dir)).toBeUndefined();
    write(basis());
    expect(fs.readdirSync(real)).toEqual([]);
    expect(take(basis())).toBe(false);
  });

  // CI runs as root on Linux: there these run (and fail if that stops being true), never skip.
  (process.getuid?.() === 0 || process.env.CI === "true" ? it : it.skip)("is not used from a folder another user owns", () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    write(basis());
    expect(receipts()).toHaveLength(1);
    fs.chownSync(dir, 4321, 4321);
    expect(privateDir(dir)).toBeUndefined();
    expect(take(basis())).toBe(false);
  });

  it("is not taken when its file is not what the preflight wrote", () => {
    write(basis());
    const file = path.join(dir, receipts()[0]);
    fs.writeFileSync(file, JSON.stringify({ passedAt: T0 }));
    expect(take(basis())).toBe(false);
    write(basis());
    fs.writeFileSync(file, "not json");
    expect(take(basis())).toBe(false);
    write(basis());
    fs.writeFileSync(file, JSON.stringify({ passedAt: String(T0), by: PREVIEW_PID }));
    expect(take(basis())).toBe(false);
    expect(receipts()).toEqual([]);
  });

  it("is not taken through a symlink planted at its name (a file elsewhere is never read as a receipt)", () => {
    write(basis());
    const file = path.join(dir, receipts()[0]);
    const elsewhere = path.join(root, "planted.json");
    fs.writeFileSync(elsewhere, fs.readFileSync(file));
    fs.rmSync(file);
    fs.symlinkSync(elsewhere, file);
    expect(take(basis())).toBe(false);
    expect(fs.existsSync(elsewhere)).toBe(true);
    expect(receipts()).toEqual([]);
  });

  (process.getuid?.() === 0 || process.env.CI === "true" ? it : it.skip)("is not taken when its file belongs to another user", () => {
    write(basis());
    fs.chownSync(path.join(dir, receipts()[0]), 4321, 4321);
    expect(take(basis())).toBe(false);
    expect(receipts()).toEqual([]);
  });

  it("never writes through a file planted at its temporary name", () => {
    mockFixedTag = Buffer.from("0badf00d", "hex");
    try {
      write(basis({ needs: { tokenUser: "probe" } }));
      const [name] = receipts();
      fs.rmSync(path.join(dir, name));
      const victim = path.join(root, "victim.txt");
      fs.writeFileSync(victim, "keep me");
      fs.symlinkSync(victim, path.join(dir, `${name}.${process.pid}.0badf00d.tmp`));
      write(basis({ needs: { tokenUser: "probe" } }));
      expect(fs.readFileSync(victim, "utf8")).toBe("keep me");
      expect(take(basis({ needs: { tokenUser: "probe" } }))).toBe(false);
    } finally {
      mockFixedTag = undefined;
    }
  });

  it("keeps the folder's salt however old it is (older receipts keep their names)", () => {
    write(basis());
    const salt = path.join(dir, "salt");
    const before = fs.readFileSync(salt);
    const old = (Date.now() - 10 * RECEIPT_TTL_MS) / 1000;
    fs.utimesSync(salt, old, old);
    expect(take(basis())).toBe(true);
    expect(fs.readFileSync(salt)).toEqual(before);
  });

  it(`sweeps a file only once it is more than ${RECEIPT_TTL_MS / 1000} s old`, () => {
    write(basis());
    const [name] = receipts();
    const now = 1_900_000_000_000;
    const clock = jest.spyOn(Date, "now").mockReturnValue(now);
    try {
      const atTtl = (now - RECEIPT_TTL_MS) / 1000;
      fs.utimesSync(path.join(dir, name), atTtl, atTtl);
      write(basis({ needs: { tokenUser: "someone-else" } }));
      expect(receipts()).toContain(name);
    } finally {
      clock.mockRestore();
    }
  });

  it("lives under the project's cache folder by default (MOODLE_PERCIPIO_CACHE, else XDG_CACHE_HOME, else ~/.cache)", () => {
    const saved = { cache: process.env.MOODLE_PERCIPIO_CACHE, xdg: process.env.XDG_CACHE_HOME };
    try {
      process.env.MOODLE_PERCIPIO_CACHE = "/x/cache";
      expect(receiptDir()).toBe("/x/cache/preflight-receipts");
      delete process.env.MOODLE_PERCIPIO_CACHE;
      process.env.XDG_CACHE_HOME = "/x/xdg";
      expect(receiptDir()).toBe("/x/xdg/moodle-percipio-iac/preflight-receipts");
      delete process.env.XDG_CACHE_HOME;
      expect(receiptDir()).toBe(path.join(os.homedir(), ".cache", "moodle-percipio-iac", "preflight-receipts"));
    } finally {
      if (saved.cache === undefined) delete process.env.MOODLE_PERCIPIO_CACHE;
      else process.env.MOODLE_PERCIPIO_CACHE = saved.cache;
      if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved.xdg;
    }
  });

  it("names the provider code it was written by: the text of the files that decide a preflight", () => {
    expect(codeVersion()).toMatch(/^[0-9a-f]{64}$/);
    expect(codeVersion()).toBe(codeVersion());
    // Another process with the same code gets the same name, and a changed file would change it.
    const providers = path.join(__dirname, "..", "..", "providers");
    const files = ["webServices/preflight", "process/preflightReceipt", "webServices/provider", "shared/common"].map((f) => path.join(providers, f + ".ts"));
    const hash = crypto.createHash("sha256");
    for (const f of files) hash.update(fs.readFileSync(f));
    expect(codeVersion()).toBe(hash.digest("hex"));
  });
});

describe("engineRun", () => {
  const startOf = (pid: number) => {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  };
  const linux = fs.existsSync("/proc/self/stat") || process.env.CI === "true";

  (linux ? it : it.skip)("is the parent process, by pid and start time", () => {
    expect(engineRun()).toBe(`${process.ppid}@${startOf(process.ppid)}`);
  });

  (linux ? it : it.skip)("looks through Pulumi's shell launcher to the pulumi process that started it", () => {
    // The launcher is a shell script that starts node without exec: the engine is its parent.
    const launcher = path.join(root, "pulumi-resource-pulumi-nodejs");
    const module = path.join(__dirname, "..", "..", "providers", "process", "engineRun.ts");
    fs.writeFileSync(
      launcher,
      `#!/bin/sh\nnode -r ts-node/register/transpile-only -e 'process.stdout.write(require(${JSON.stringify(module)}).engineRun())'\ntrue\n`,
      { mode: 0o755 },
    );
    const seen = execFileSync(launcher, { encoding: "utf8", cwd: path.join(__dirname, "..", "..") });
    expect(seen).toBe(`${process.pid}@${startOf(process.pid)}`);
  });
});

describe("WebServices check with receipts", () => {
  let moodle: MoodleDouble;
  useProviderDoubles((d) => (moodle = d.moodle));
  const saved = process.env.MOODLE_PERCIPIO_CACHE;
  beforeEach(() => {
    process.env.MOODLE_PERCIPIO_CACHE = root;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MOODLE_PERCIPIO_CACHE;
    else process.env.MOODLE_PERCIPIO_CACHE = saved;
  });

  const needs = { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: false };
  const news = (over: Record<string, unknown> = {}) => ({ ...connectionTo(moodle.url), enabled: true, preflight: needs, ...over });
  const basisOf = (inputs: Record<string, unknown>): ReceiptBasis => ({
    connection: connectionFor(connectionOf(inputs)),
    needs: inputs.preflight as ReceiptBasis["needs"],
  });

  it("a passing preflight leaves a receipt in the private folder", async () => {
    expect((await webServices.check!({}, news())).failures).toEqual([]);
    expect(moodle.control.requests().length).toBeGreaterThan(0);
    expect(receipts()).toHaveLength(1);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("a failing preflight leaves none", async () => {
    const result = await webServices.check!({}, news({ preflight: { ...needs, serviceShortname: "Nope-API" } }));
    expect(result.failures).toHaveLength(1);
    expect(receipts()).toEqual([]);
    const wrongPassword = await webServices.check!({}, news({ adminPassword: "Wrong-1!" }));
    expect(wrongPassword.failures).toHaveLength(1);
    expect(receipts()).toEqual([]);
  });

  it("the update pass takes the preview pass's receipt and reads nothing", async () => {
    writeReceipt(basisOf(news()), { pid: PREVIEW_PID });
    moodle.control.clearRequests();
    const result = await webServices.check!({}, news());
    expect(result).toEqual({ inputs: news(), failures: [] });
    expect(moodle.control.requests()).toEqual([]);
    expect(receipts()).toEqual([]);
  });

  it("without a receipt for exactly this plan, the preflight runs and reports what it finds", async () => {
    writeReceipt(basisOf(news()), { pid: PREVIEW_PID });
    moodle.control.clearRequests();
    const result = await webServices.check!({}, news({ preflight: { ...needs, serviceShortname: "Nope-API" } }));
    expect(result.failures).toEqual([expect.objectContaining({ reason: expect.stringContaining("Nope-API") })]);
    expect(moodle.control.requests().length).toBeGreaterThan(0);
  });

  it("a receipt of another password is not taken", async () => {
    writeReceipt(basisOf(news({ adminPassword: "Old-Pass-0!" })), { pid: PREVIEW_PID });
    moodle.control.clearRequests();
    expect((await webServices.check!({}, news())).failures).toEqual([]);
    expect(moodle.control.requests().some((r) => r.path.startsWith("/login/"))).toBe(true);
  });

  it("a check that needs no preflight neither takes nor writes a receipt", async () => {
    writeReceipt(basisOf(news()), { pid: PREVIEW_PID });
    moodle.control.clearRequests();
    expect((await webServices.check!(news(), news())).failures).toEqual([]);
    expect(moodle.control.requests()).toEqual([]);
    expect(receipts()).toHaveLength(1);
  });
});
