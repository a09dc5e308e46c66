// The TOTP code ledger: steps a run of this machine may have spent are never claimed again (factor_totp
// refuses them as "already used", and each refusal counts towards the lockout), runs take turns, and a
// key Moodle refused is not tried again.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileCodeLedger, firstUnspentStep, RefusedKeyError, REFUSED_KEY_MS, SPENT_MARGIN_SECONDS } from "../../moodle/codeLedger";
import { stepStart, TOTP_PERIOD_SECONDS, totpStep } from "../../moodle/totp";

const SITE = "https://moodle.example.com";
const KEY = "JBSWY3DPEHPK3PXP";
const ledgerFile = () => {
  const [name] = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
  return path.join(dir, name);
};

function clock(startSeconds: number) {
  let ms = startSeconds * 1000;
  const slept: number[] = [];
  return {
    now: () => ms,
    sleep: async (d: number) => {
      slept.push(d);
      ms += d;
    },
    advance: (s: number) => (ms += s * 1000),
    slept,
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-ledger-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("firstUnspentStep", () => {
  it("is 0 with nothing submitted", () => {
    expect(firstUnspentStep([])).toBe(0);
  });
  it("skips every step a code submitted at that moment may still be refused in (window plus travel time)", () => {
    // 3000 s is the start of step 100; +20 s stays in step 100, so 101 is free.
    expect(firstUnspentStep([3000])).toBe(101);
    // 3015 s: +20 s reaches step 101, which Moodle's window could still count as used.
    expect(firstUnspentStep([3015])).toBe(102);
    expect(firstUnspentStep([3015, 3000])).toBe(102);
    expect(SPENT_MARGIN_SECONDS).toBeGreaterThanOrEqual(15);
  });
});

describe("the file ledger", () => {
  it("hands out the current step at once when nothing was spent, and records it", async () => {
    const c = clock(3003);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    const waits: number[] = [];
    await expect(ledger.claimStep(0, (s) => waits.push(s))).resolves.toBe(100);
    expect(waits).toEqual([]);
    expect(c.slept).toEqual([]);
  });

  it("makes a second run on the same machine wait for an unspent step, saying how long, and never hands out a step twice", async () => {
    const c = clock(3020);
    const first = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    const second = fileCodeLedger(SITE, "Admin", KEY, { dir, now: c.now, sleep: c.sleep });
    const a = await first.claimStep(0, () => undefined);
    const waits: number[] = [];
    const b = await second.claimStep(0, (s) => waits.push(s));
    expect(a).toBe(100);
    // 3020 + 20 s reaches step 101: the next free step is 102, starting at 3060.
    expect(b).toBe(102);
    expect(waits).toEqual([40]);
    expect(c.now() / 1000).toBeGreaterThanOrEqual(3060);
    expect(totpStep(c.now() / 1000)).toBe(b);
  });

  it("keeps ledgers of other sites and other admins apart", async () => {
    const c = clock(3020);
    await fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined);
    await expect(fileCodeLedger("https://other.example.com", "admin", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined)).resolves.toBe(100);
    await expect(fileCodeLedger(SITE, "robot", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined)).resolves.toBe(100);
    expect(c.slept).toEqual([]);
  });

  it("keeps the ledgers of admins whose names differ beyond case apart (straße and strasse are two Moodle users)", async () => {
    const c = clock(3020);
    await fileCodeLedger(SITE, "straße", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined);
    await expect(fileCodeLedger(SITE, "strasse", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined)).resolves.toBe(100);
    expect(c.slept).toEqual([]);
  });

  it("really waits for the step to begin when given no sleep of its own, saying so once", async () => {
    // This machine's clock, shifted to 150 ms before step 100 begins.
    const offset = stepStart(100) * 1000 - 150 - Date.now();
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: () => Date.now() + offset });
    const waits: number[] = [];
    await expect(ledger.claimStep(100, (s) => waits.push(s))).resolves.toBe(100);
    expect(waits).toEqual([1]);
  });

  it("reads a ledger damaged by hand for what is left of it: entries that are not times are ignored", async () => {
    const c = clock(3020);
    await fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined);
    fs.writeFileSync(ledgerFile(), JSON.stringify({ submitted: [3020, "3020", null], refused: {} }));
    const waits: number[] = [];
    await expect(fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep }).claimStep(0, (s) => waits.push(s))).resolves.toBe(102);
    expect(waits).toEqual([40]);
  });

  it("still refuses a refused key when the ledger's submissions were damaged", async () => {
    const c = clock(3000);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.refuseKey("Incorrect verification code.");
    const { refused } = JSON.parse(fs.readFileSync(ledgerFile(), "utf8"));
    fs.writeFileSync(ledgerFile(), JSON.stringify({ submitted: null, refused }));
    await expect(ledger.claimStep(0, () => undefined)).rejects.toBeInstanceOf(RefusedKeyError);
  });

  it("honours the least step asked for (a retry after Moodle said another machine used the step)", async () => {
    const c = clock(3001);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    const waits: number[] = [];
    await expect(ledger.claimStep(102, (s) => waits.push(s))).resolves.toBe(102);
    expect(waits).toEqual([59]);
  });

  it("forgets submissions old enough not to matter", async () => {
    const c = clock(3020);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.claimStep(0, () => undefined);
    c.advance(3600);
    await expect(ledger.claimStep(0, () => undefined)).resolves.toBe(totpStep(3020 + 3600));
    const [file] = fs.readdirSync(dir).filter((n) => n.endsWith(".json"));
    expect(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")).submitted).toHaveLength(1);
  });

  it(`forgets a submission once it is ${10 * TOTP_PERIOD_SECONDS} s (ten TOTP periods) old`, async () => {
    const c = clock(3020);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.claimStep(0, () => undefined);
    c.advance(10 * TOTP_PERIOD_SECONDS);
    await ledger.claimStep(0, () => undefined);
    expect(JSON.parse(fs.readFileSync(ledgerFile(), "utf8")).submitted).toEqual([3320]);
  });

  it("tries a refused key again from the very moment the refusal says (its until)", async () => {
    const c = clock(3000);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.refuseKey("Incorrect verification code.");
    c.advance(REFUSED_KEY_MS / 1000 - 1);
    const err = await ledger.claimStep(0, () => undefined).catch((e) => e);
    expect(err).toBeInstanceOf(RefusedKeyError);
    c.advance(1);
    expect(c.now()).toBe(err.until);
    await expect(ledger.claimStep(0, () => undefined)).resolves.toBe(totpStep(c.now() / 1000));
  });

  it("refuses a key Moodle refused before, for an hour, on every run of this machine; a new key is tried", async () => {
    const c = clock(3000);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.refuseKey("Incorrect verification code.");
    // The same key typed in groups, as Moodle shows it: the same key.
    const again = fileCodeLedger(SITE, "admin", "jbsw y3dp ehpk 3pxp", { dir, now: c.now, sleep: c.sleep });
    const err = await again.claimStep(0, () => undefined).catch((e) => e);
    expect(err).toBeInstanceOf(RefusedKeyError);
    expect(err.message).toBe("Incorrect verification code.");
    expect(err.until).toBe(c.now() + REFUSED_KEY_MS);
    await expect(fileCodeLedger(SITE, "admin", "KRUGS4ZANFZSAYJA", { dir, now: c.now, sleep: c.sleep }).claimStep(0, () => undefined)).resolves.toBe(100);
    c.advance(REFUSED_KEY_MS / 1000 + 1);
    await expect(again.claimStep(0, () => undefined)).resolves.toBeGreaterThan(100);
  });

  it("names its file by a hash: neither the site, the admin nor the key can be read from the folder", async () => {
    const c = clock(3000);
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep });
    await ledger.claimStep(0, () => undefined);
    await ledger.refuseKey("Incorrect verification code.");
    const names = fs.readdirSync(dir);
    const all = names.join(" ") + names.map((n) => fs.readFileSync(path.join(dir, n)).toString("latin1")).join(" ");
    for (const secret of ["moodle.example.com", "admin", KEY]) expect(all).not.toContain(secret);
    for (const n of names) expect(fs.statSync(path.join(dir, n)).mode & 0o077).toBe(0);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("lets concurrent runs take turns (no two get the same step)", async () => {
    const c = clock(3000);
    const ledgers = [0, 1, 2].map(() => fileCodeLedger(SITE, "admin", KEY, { dir, now: c.now, sleep: c.sleep }));
    const steps = await Promise.all(ledgers.map((l) => l.claimStep(0, () => undefined)));
    expect(new Set(steps).size).toBe(3);
  });

  it("without a private folder still never hands out a step twice within the process", async () => {
    const c = clock(3020);
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    const ledger = fileCodeLedger(SITE, "admin", KEY, { dir: file, now: c.now, sleep: c.sleep });
    const a = await ledger.claimStep(0, () => undefined);
    const b = await ledger.claimStep(0, () => undefined);
    expect(b).toBeGreaterThan(a + 1);
  });
});
