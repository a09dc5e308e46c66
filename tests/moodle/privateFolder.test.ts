// The private folder the client keeps its run-to-run files in: private or not used at all, names that
// say nothing, sealed content, atomic writes, and locks that processes take in turn.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheRoot, folderSalt, privateDir, readOwn, seal, secretHash, unseal, withFileLock, writePrivate } from "../../moodle/privateFolder";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-private-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("cacheRoot", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  it("is MOODLE_PERCIPIO_CACHE, else XDG_CACHE_HOME's, else ~/.cache's moodle-percipio-iac", () => {
    process.env.MOODLE_PERCIPIO_CACHE = "/x/cache";
    expect(cacheRoot()).toBe("/x/cache");
    delete process.env.MOODLE_PERCIPIO_CACHE;
    process.env.XDG_CACHE_HOME = "/x/xdg";
    expect(cacheRoot()).toBe("/x/xdg/moodle-percipio-iac");
    delete process.env.XDG_CACHE_HOME;
    expect(cacheRoot()).toBe(path.join(os.homedir(), ".cache", "moodle-percipio-iac"));
  });
});

describe("privateDir", () => {
  it("creates the folder for its owner only, and tightens one that others could enter", () => {
    const sub = path.join(dir, "a", "b");
    expect(privateDir(sub)).toBe(sub);
    expect(fs.statSync(sub).mode & 0o777).toBe(0o700);
    fs.chmodSync(sub, 0o755);
    expect(privateDir(sub)).toBe(sub);
    expect(fs.statSync(sub).mode & 0o777).toBe(0o700);
  });
  it("refuses a symlink or a file in its place", () => {
    const target = path.join(dir, "real");
    fs.mkdirSync(target, { mode: 0o700 });
    const link = path.join(dir, "link");
    fs.symlinkSync(target, link);
    expect(privateDir(link)).toBeUndefined();
    const file = path.join(dir, "file");
    fs.writeFileSync(file, "");
    expect(privateDir(file)).toBeUndefined();
  });
});

describe("names and sealed content", () => {
  it("a hash is the same for the same material and salt, differs otherwise, and is hex of the asked length", () => {
    const a = secretHash(dir, ["x", 1]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(secretHash(dir, ["x", 1])).toBe(a);
    expect(secretHash(dir, ["x", 2])).not.toBe(a);
    expect(secretHash(dir, ["x", 1], 16)).toMatch(/^[0-9a-f]{32}$/);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-private2-"));
    try {
      expect(secretHash(other, ["x", 1])).not.toBe(a);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
  it("the salt is made once and kept; a damaged salt is made again", () => {
    const salt = folderSalt(dir);
    expect(salt).toHaveLength(32);
    expect(folderSalt(dir)).toEqual(salt);
    fs.writeFileSync(path.join(dir, "salt"), "short");
    expect(folderSalt(dir)).toHaveLength(32);
    expect(folderSalt(dir)).not.toEqual(salt);
  });
  it("seal and unseal round-trip under one key and refuse any other key or a changed byte", () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(key, { a: "secret" });
    expect(sealed.toString("latin1")).not.toContain("secret");
    expect(unseal(key, sealed)).toEqual({ a: "secret" });
    expect(() => unseal(Buffer.alloc(32, 8), sealed)).toThrow();
    const changed = Buffer.from(sealed);
    changed[changed.length - 1] ^= 1;
    expect(() => unseal(key, changed)).toThrow();
    expect(() => unseal(key, Buffer.alloc(10))).toThrow(/not a sealed value/);
  });
  it("writePrivate leaves a file only its owner reads, replacing the old one whole; readOwn reads it back and refuses a symlink", () => {
    const file = path.join(dir, "f");
    writePrivate(file, "one");
    writePrivate(file, "two");
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(readOwn(file)?.toString()).toBe("two");
    expect(fs.readdirSync(dir)).toEqual(["f"]);
    fs.symlinkSync(file, path.join(dir, "l"));
    expect(readOwn(path.join(dir, "l"))).toBeUndefined();
    expect(readOwn(path.join(dir, "missing"))).toBeUndefined();
  });
});

describe("withFileLock", () => {
  it("runs one holder at a time and releases the lock after a failure too", async () => {
    const file = path.join(dir, "x");
    const order: string[] = [];
    const holder = (name: string, fail = false) => async () => {
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`${name}-`);
      if (fail) throw new Error("boom");
    };
    const results = await Promise.allSettled([withFileLock(file, holder("a", true)), withFileLock(file, holder("b"))]);
    expect(order).toEqual(["a+", "a-", "b+", "b-"]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
  it("breaks a lock older than staleMs (its holder died)", async () => {
    const file = path.join(dir, "x");
    fs.writeFileSync(`${file}.lock`, "12345");
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, past, past);
    await expect(withFileLock(file, async () => "got it", { staleMs: 30_000 })).resolves.toBe("got it");
  });
});
