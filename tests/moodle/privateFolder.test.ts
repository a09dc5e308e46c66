// The private folder the client keeps its run-to-run files in: private or not used at all, names that
// say nothing, sealed content, atomic writes, and locks that processes take in turn.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cacheRoot, folderSalt, privateDir, readOwn, seal, secretHash, secretKeys, unseal, withFileLock, writePrivate } from "../../moodle/privateFolder";

// Temporary names end in 4 random bytes; some tests fix them to plant a file there.
let mockFixedTag: Buffer | undefined;
// scrypt costs tens of milliseconds a call: how many a process spends is counted.
let mockScryptCalls = 0;
jest.mock("crypto", () => {
  const real = jest.requireActual("crypto");
  return {
    ...real,
    randomBytes: (n: number, ...rest: unknown[]) => (n === 4 && mockFixedTag ? mockFixedTag : real.randomBytes(n, ...rest)),
    scryptSync: (...args: unknown[]) => (mockScryptCalls++, real.scryptSync(...args)),
  };
});
// The module's own fs (the namespace imported above only reads through to it), to play file systems
// that ignore modes or refuse them.
const realFs: typeof fs = jest.requireActual("fs");
// CI runs as root on Linux: there these run (and fail if that stops being true), never skip.
const asRoot = process.getuid?.() === 0 || process.env.CI === "true" ? it : it.skip;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-private-"));
});
afterEach(() => {
  jest.restoreAllMocks();
  mockFixedTag = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

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
  asRoot("refuses a folder another user owns, and leaves it as it is", () => {
    const theirs = path.join(dir, "theirs");
    fs.mkdirSync(theirs, { mode: 0o755 });
    fs.chownSync(theirs, 4321, 4321);
    expect(privateDir(theirs)).toBeUndefined();
    expect(fs.statSync(theirs).mode & 0o777).toBe(0o755);
  });
  it("uses a private folder as it is, even where its mode cannot be changed (a read-only mount)", () => {
    const sub = path.join(dir, "ro");
    fs.mkdirSync(sub, { mode: 0o700 });
    jest.spyOn(realFs, "chmodSync").mockImplementation(() => {
      throw Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
    });
    expect(privateDir(sub)).toBe(sub);
  });
  it("refuses a folder whose mode does not stay private (a file system that ignores modes)", () => {
    const sub = path.join(dir, "fat");
    fs.mkdirSync(sub, { mode: 0o777 });
    fs.chmodSync(sub, 0o777);
    jest.spyOn(realFs, "chmodSync").mockImplementation(() => undefined);
    expect(privateDir(sub)).toBeUndefined();
  });
  it("is never had where ownership cannot be checked (no user ids), and creates nothing there", () => {
    const sub = path.join(dir, "nouid");
    const saved = Object.getOwnPropertyDescriptor(process, "getuid")!;
    Object.defineProperty(process, "getuid", { value: undefined, configurable: true, writable: true });
    try {
      expect(privateDir(sub)).toBeUndefined();
    } finally {
      Object.defineProperty(process, "getuid", saved);
    }
    expect(fs.existsSync(sub)).toBe(false);
  });
});

describe("names and sealed content", () => {
  it("a hash is the same for the same material and salt, differs otherwise, and is hex of the asked length", () => {
    const before = mockScryptCalls;
    const a = secretHash(dir, ["x", 1]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(secretHash(dir, ["x", 1])).toBe(a);
    // The same material and salt again in the process derives nothing again.
    expect(mockScryptCalls - before).toBe(1);
    expect(secretHash(dir, ["x", 2])).not.toBe(a);
    expect(secretHash(dir, ["x", 1], 16)).toMatch(/^[0-9a-f]{32}$/);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-private2-"));
    try {
      expect(secretHash(other, ["x", 1])).not.toBe(a);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
  it("secret keys: one scrypt per process for the same material and salt, then a distinct key per purpose", () => {
    const before = mockScryptCalls;
    const keys = secretKeys(dir, ["site", "admin", "S3cret"]);
    const name = keys(["file", "run-1"]);
    expect(name).toHaveLength(32);
    expect(keys(["file", "run-1"])).toEqual(name);
    expect(keys(["file", "run-2"])).not.toEqual(name);
    expect(keys("key")).not.toEqual(name);
    // The same material later in the process derives nothing again.
    expect(secretKeys(dir, ["site", "admin", "S3cret"])(["file", "run-1"])).toEqual(name);
    expect(mockScryptCalls - before).toBe(1);
    // Other material, or another folder's salt, gives other keys for the same purpose.
    expect(secretKeys(dir, ["site", "admin", "other"])(["file", "run-1"])).not.toEqual(name);
    expect(mockScryptCalls - before).toBe(2);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-private2-"));
    try {
      expect(secretKeys(other, ["site", "admin", "S3cret"])(["file", "run-1"])).not.toEqual(name);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    // A salt made again (the old one was damaged) is another salt: the keys change with it.
    fs.writeFileSync(path.join(dir, "salt"), "short");
    expect(secretKeys(dir, ["site", "admin", "S3cret"])(["file", "run-1"])).not.toEqual(name);
  });
  it("the salt is made once and kept; a damaged salt is made again", () => {
    const salt = folderSalt(dir);
    expect(salt).toHaveLength(32);
    expect(folderSalt(dir)).toEqual(salt);
    fs.writeFileSync(path.join(dir, "salt"), "short");
    expect(folderSalt(dir)).toHaveLength(32);
    expect(folderSalt(dir)).not.toEqual(salt);
  });
  it("does not take a salt through a symlink planted at its name, and leaves the file it points to alone", () => {
    const elsewhere = path.join(dir, "elsewhere");
    fs.mkdirSync(elsewhere);
    const planted = path.join(elsewhere, "known-salt");
    const known = Buffer.alloc(32, 1);
    fs.writeFileSync(planted, known);
    fs.symlinkSync(planted, path.join(dir, "salt"));
    const salt = folderSalt(dir);
    expect(salt).toHaveLength(32);
    expect(salt).not.toEqual(known);
    expect(fs.lstatSync(path.join(dir, "salt")).isFile()).toBe(true);
    expect(fs.readFileSync(planted)).toEqual(known);
    expect(folderSalt(dir)).toEqual(salt);
  });
  it("never writes a salt through a file planted at its temporary name", () => {
    mockFixedTag = Buffer.from("0badf00d", "hex");
    const victim = path.join(dir, "victim.txt");
    fs.writeFileSync(victim, "keep me");
    fs.symlinkSync(victim, path.join(dir, `salt.${process.pid}.0badf00d.tmp`));
    expect(() => folderSalt(dir)).toThrow();
    expect(fs.readFileSync(victim, "utf8")).toBe("keep me");
    expect(fs.existsSync(path.join(dir, "salt"))).toBe(false);
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
  it("writePrivate never writes through a file planted at its temporary name", () => {
    mockFixedTag = Buffer.from("0badf00d", "hex");
    const file = path.join(dir, "f");
    const victim = path.join(dir, "victim.txt");
    fs.writeFileSync(victim, "keep me");
    fs.symlinkSync(victim, `${file}.${process.pid}.0badf00d.tmp`);
    expect(() => writePrivate(file, "secret")).toThrow();
    expect(fs.readFileSync(victim, "utf8")).toBe("keep me");
    expect(fs.existsSync(file)).toBe(false);
  });
  asRoot("readOwn refuses a file another user owns", () => {
    const file = path.join(dir, "theirs");
    writePrivate(file, "planted");
    fs.chownSync(file, 4321, 4321);
    expect(readOwn(file)).toBeUndefined();
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
  it("waits for a lock another process holds, however long, until it is released", async () => {
    const file = path.join(dir, "x");
    fs.writeFileSync(`${file}.lock`, "12345");
    let ran = false;
    const held = withFileLock(
      file,
      () => {
        ran = true;
        return "turn";
      },
      { pollMs: 5 },
    );
    await new Promise((r) => setTimeout(r, 60));
    expect(ran).toBe(false);
    expect(fs.readFileSync(`${file}.lock`, "utf8")).toBe("12345");
    fs.rmSync(`${file}.lock`);
    await expect(held).resolves.toBe("turn");
  });
  it("does not break a lock exactly staleMs old", async () => {
    const file = path.join(dir, "x");
    const taken = 1_900_000_000_000;
    fs.writeFileSync(`${file}.lock`, "12345");
    fs.utimesSync(`${file}.lock`, new Date(taken), new Date(taken));
    jest.spyOn(Date, "now").mockReturnValue(taken + 30_000);
    let ran = false;
    const held = withFileLock(file, () => (ran = true), { staleMs: 30_000, pollMs: 5 });
    await new Promise((r) => setTimeout(r, 60));
    expect(ran).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    fs.rmSync(`${file}.lock`);
    await expect(held).resolves.toBe(true);
  });
  it("a holder whose lock was broken meanwhile (it outlived staleMs) still gets its result", async () => {
    const file = path.join(dir, "x");
    await expect(
      withFileLock(file, () => {
        fs.rmSync(`${file}.lock`);
        return "done";
      }),
    ).resolves.toBe("done");
  });
  it("fails at once where no lock can be made (a missing folder), rather than waiting for ever", async () => {
    await expect(withFileLock(path.join(dir, "missing", "x"), () => "never", { pollMs: 5 })).rejects.toMatchObject({ code: "ENOENT" });
  }, 5_000);
});
