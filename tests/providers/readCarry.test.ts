// The read-back carried from the preview pass to the update pass of one `pulumi up`: taken once, by
// another process of the same run, for the very same resource and recorded state, within its time;
// encrypted, and never a reason for a read to fail.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { carriedRead, READ_CARRY_TTL_MS } from "../../providers/process/readCarry";
import { asOtherProcess } from "../support/otherProcess";

// scrypt costs tens of milliseconds a call, and blocks the pass while it runs: the calls are counted.
let mockScryptCalls = 0;
jest.mock("crypto", () => {
  const real = jest.requireActual("crypto");
  return { ...real, scryptSync: (...args: unknown[]) => (mockScryptCalls++, real.scryptSync(...args)) };
});

const PROPS = { moodleUrl: "https://moodle.example.com", adminUser: "admin", adminPassword: "S3cret-Pass!", enabled: true, token: "0123456789abcdef0123456789abcdef" };
const RESULT = { id: "enablewebservices", props: { ...PROPS, enabled: false } };

let dir: string;
let now: number;
const opts = () => ({ dir, now: () => now });
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-reads-"));
  now = 1_800_000_000_000;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));


function reader(result = RESULT) {
  const calls: number[] = [];
  return { read: async () => (calls.push(1), result), calls };
}

describe("carriedRead", () => {
  it("the other pass takes the read instead of asking Moodle, once", async () => {
    const first = reader();
    await expect(asOtherProcess(() => carriedRead("run-1", "WebServices", "enablewebservices", PROPS, first.read, opts()))).resolves.toEqual(RESULT);
    expect(first.calls).toHaveLength(1);
    const second = reader({ id: "enablewebservices", props: { ...PROPS, enabled: true } });
    await expect(carriedRead("run-1", "WebServices", "enablewebservices", PROPS, second.read, opts())).resolves.toEqual(RESULT);
    expect(second.calls).toHaveLength(0);
    const third = reader();
    await carriedRead("run-1", "WebServices", "enablewebservices", PROPS, third.read, opts());
    expect(third.calls).toHaveLength(1);
  });

  it("a pass's reads of every resource cost one key derivation, in the pass that writes and in the pass that takes", async () => {
    const kinds = ["WebServices", "WebServiceProtocol", "ExternalServiceAccess", "WebServiceToken", "PercipioSettings"];
    // The files' own times, which the sweep goes by, are real.
    now = Date.now();
    let before = mockScryptCalls;
    for (const kind of kinds) await asOtherProcess(() => carriedRead("run-1", kind, "1", PROPS, reader().read, opts()));
    expect(mockScryptCalls - before).toBe(1);
    before = mockScryptCalls;
    const taking = reader();
    for (const kind of kinds) await expect(carriedRead("run-1", kind, "1", PROPS, taking.read, opts())).resolves.toEqual(RESULT);
    expect(taking.calls).toHaveLength(0);
    expect(mockScryptCalls - before).toBe(0);
  });

  it("a second read in the same process asks Moodle again (a deliberate re-read)", async () => {
    await carriedRead("run-1", "WebServices", "enablewebservices", PROPS, reader().read, opts());
    const again = reader();
    await carriedRead("run-1", "WebServices", "enablewebservices", PROPS, again.read, opts());
    expect(again.calls).toHaveLength(1);
  });

  it.each([
    ["another run", { scope: "run-2" }],
    ["another kind", { kind: "WebServiceProtocol" }],
    ["another id", { id: "protocol-rest" }],
    ["other recorded props", { props: { ...PROPS, enabled: false } }],
    ["another password (the carry cannot be opened)", { props: { ...PROPS, adminPassword: "Other-Pass-1" } }],
  ])("is not taken for %s", async (_what, other: Record<string, any>) => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "enablewebservices", PROPS, reader().read, opts()));
    const next = reader();
    await carriedRead(other.scope ?? "run-1", other.kind ?? "WebServices", other.id ?? "enablewebservices", other.props ?? PROPS, next.read, opts());
    expect(next.calls).toHaveLength(1);
  });

  it("is not taken once older than its time, nor from the future", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "x", PROPS, reader().read, opts()));
    now += READ_CARRY_TTL_MS + 1;
    const late = reader();
    await carriedRead("run-1", "WebServices", "x", PROPS, late.read, opts());
    expect(late.calls).toHaveLength(1);
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "y", PROPS, reader().read, opts()));
    now -= 60_000;
    const early = reader();
    await carriedRead("run-1", "WebServices", "y", PROPS, early.read, opts());
    expect(early.calls).toHaveLength(1);
  });

  it("is within its time up to the limit", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "x", PROPS, reader().read, opts()));
    now += READ_CARRY_TTL_MS;
    const taken = reader();
    await carriedRead("run-1", "WebServices", "x", PROPS, taken.read, opts());
    expect(taken.calls).toHaveLength(0);
  });

  it("keeps nothing readable: no password, token, site or user in any file name or content; files only the owner reads", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "enablewebservices", PROPS, reader().read, opts()));
    const names = fs.readdirSync(dir);
    expect(names.filter((n) => n.endsWith(".read"))).toHaveLength(1);
    const all = names.join(" ") + names.map((n) => fs.readFileSync(path.join(dir, n)).toString("latin1")).join(" ");
    for (const secret of [PROPS.adminPassword, PROPS.token, "moodle.example.com", "enablewebservices"]) expect(all).not.toContain(secret);
    for (const n of names) expect(fs.statSync(path.join(dir, n)).mode & 0o077).toBe(0);
  });

  it("carries nothing of a resource Moodle no longer has (an empty id), and drops reads nobody took", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServiceToken", "5", PROPS, reader({ id: "", props: {} } as any).read, opts()));
    expect(fs.readdirSync(dir).filter((n) => n.endsWith(".read"))).toEqual([]);
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "old", PROPS, reader().read, opts()));
    const old = path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith(".read"))!);
    const past = new Date(Date.now() - READ_CARRY_TTL_MS - 5000);
    fs.utimesSync(old, past, past);
    now = Date.now();
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "new", PROPS, reader().read, opts()));
    expect(fs.existsSync(old)).toBe(false);
  });

  it("leaves nothing of a read once taken", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "enablewebservices", PROPS, reader().read, opts()));
    const taken = reader();
    await carriedRead("run-1", "WebServices", "enablewebservices", PROPS, taken.read, opts());
    expect(taken.calls).toHaveLength(0);
    expect(fs.readdirSync(dir)).toEqual(["salt"]);
  });

  it("keeps the pass's other reads while they can still be taken, up to their time", async () => {
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "first", PROPS, reader().read, opts()));
    const first = path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith(".read"))!);
    const writtenAt = new Date(now);
    fs.utimesSync(first, writtenAt, writtenAt);
    now += READ_CARRY_TTL_MS;
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "second", PROPS, reader().read, opts()));
    const again = reader();
    await carriedRead("run-1", "WebServices", "first", PROPS, again.read, opts());
    expect(again.calls).toHaveLength(0);
  });

  it.each([
    ["password", { adminPassword: "Other-Pass-1" }],
    ["user", { adminUser: "manager" }],
    ["TOTP key", { adminTotpSecret: "KRSXG5CTMVRXEZLU" }],
    ["site", { moodleUrl: "https://other.example.com" }],
  ])("does not open a read sealed under another %s, even under the very name it is looked up by", async (_what, other) => {
    const mine = { ...PROPS, adminTotpSecret: "JBSWY3DPEHPK3PXP" };
    const reads = () => fs.readdirSync(dir).filter((n) => n.endsWith(".read"));
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "x", mine, reader().read, opts()));
    const [name] = reads();
    await asOtherProcess(() => carriedRead("run-1", "WebServices", "x", { ...mine, ...other }, reader({ id: "x", props: { planted: true } } as any).read, opts()));
    const planted = reads().find((n) => n !== name)!;
    fs.renameSync(path.join(dir, planted), path.join(dir, name));
    const next = reader();
    await expect(carriedRead("run-1", "WebServices", "x", mine, next.read, opts())).resolves.toEqual(RESULT);
    expect(next.calls).toHaveLength(1);
  });

  it("by default keeps its reads in a folder of their own in the project cache", async () => {
    const cache = path.join(dir, "cache");
    const saved = process.env.MOODLE_PERCIPIO_CACHE;
    process.env.MOODLE_PERCIPIO_CACHE = cache;
    try {
      await asOtherProcess(() => carriedRead("run-1", "WebServices", "x", PROPS, reader().read, { now: () => now }));
    } finally {
      if (saved === undefined) delete process.env.MOODLE_PERCIPIO_CACHE;
      else process.env.MOODLE_PERCIPIO_CACHE = saved;
    }
    expect(fs.readdirSync(cache)).toEqual(["reads"]);
    expect(fs.readdirSync(path.join(cache, "reads")).filter((n) => n.endsWith(".read"))).toHaveLength(1);
  });

  it("without a private folder reads from Moodle every time, and a failed read fails as it is", async () => {
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    const r = reader();
    await carriedRead("run-1", "WebServices", "x", PROPS, r.read, { dir: file });
    await carriedRead("run-1", "WebServices", "x", PROPS, r.read, { dir: file });
    expect(r.calls).toHaveLength(2);
    await expect(carriedRead("run-1", "WebServices", "x", PROPS, async () => Promise.reject(new Error("Moodle said no")), opts())).rejects.toThrow("Moodle said no");
  });
});
