// Files this client keeps between runs on one machine (the TOTP code ledger, sessions carried between
// the passes of one `pulumi up`, the preflight receipt): in a folder only the running user can enter,
// named by salted scrypt hashes (or HMACs under a salted scrypt key) of what they belong to, so nothing
// readable (site, user, password) appears in a name. Anything odd about the folder means these files
// are simply not used.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The project's cache folder, as scripts/pulumi-cli.sh and providers/compileCache.js find it. */
export function cacheRoot(): string {
  return process.env.MOODLE_PERCIPIO_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "moodle-percipio-iac");
}

/**
 * The folder, created if needed, when it is private: a directory (not a symlink) owned by this
 * user that nobody else can enter. Undefined otherwise (or where ownership cannot be checked).
 */
export function privateDir(dir: string): string | undefined {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid === undefined) return undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    let st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid) return undefined;
    if ((st.mode & 0o777) !== 0o700) {
      fs.chmodSync(dir, 0o700);
      st = fs.lstatSync(dir);
      if ((st.mode & 0o777) !== 0o700) return undefined;
    }
    return dir;
  } catch {
    return undefined;
  }
}

const SALT_BYTES = 32;
/** scrypt cost: 8 MB and tens of milliseconds a call; the folder is private anyway. */
const SCRYPT = { N: 2 ** 13, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };

/** The folder's random salt, made once (atomically) and kept. */
export function folderSalt(dir: string): Buffer {
  const file = path.join(dir, "salt");
  try {
    const st = fs.lstatSync(file);
    if (st.isFile()) {
      const value = fs.readFileSync(file);
      if (value.length === SALT_BYTES) return value;
    }
  } catch {
    // none yet
  }
  const value = crypto.randomBytes(SALT_BYTES);
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, value, { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, file);
  return value;
}

const derivedKeys = new Map<string, Buffer>();

/** A lookup key for derived values: a hash, so the maps hold no credentials in clear. */
const memoKey = (salt: Buffer, text: string, bytes: number) => crypto.createHash("sha256").update(salt).update(`${bytes}:${text}`).digest("hex");

/**
 * A salted scrypt hash of `material` (hex): a file name, or a key, that says nothing about what it
 * hashes. Derived once per process for the same material and salt (the preflight's check looks for its
 * receipt, then writes it, under the same name: one scrypt, about 17 ms that block the process).
 */
export function secretHash(dir: string, material: unknown, bytes = 32): string {
  const salt = folderSalt(dir);
  const text = JSON.stringify(material);
  const memo = memoKey(salt, text, bytes);
  if (!derivedKeys.has(memo)) derivedKeys.set(memo, crypto.scryptSync(text, salt, bytes, SCRYPT));
  return derivedKeys.get(memo)!.toString("hex");
}

/**
 * Keys under secret material (credentials): one salted scrypt per process for the same material and
 * salt, then an HMAC-SHA256 of it for each purpose (a file name, an encryption key), which costs
 * microseconds. Nobody without the material and the salt can tell what a name stands for, as with
 * secretHash; a run's many names no longer cost a scrypt each.
 */
export function secretKeys(dir: string, material: unknown): (purpose: unknown) => Buffer {
  const salt = folderSalt(dir);
  const text = JSON.stringify(material);
  const memo = memoKey(salt, text, 32);
  if (!derivedKeys.has(memo)) derivedKeys.set(memo, crypto.scryptSync(text, salt, 32, SCRYPT));
  const master = derivedKeys.get(memo)!;
  return (purpose) => crypto.createHmac("sha256", master).update(JSON.stringify(purpose)).digest();
}

/** Writes a file atomically, readable by its owner only. */
export function writePrivate(file: string, content: string | Buffer): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600, flag: "wx" });
  fs.renameSync(tmp, file);
}

/** A regular file owned by this user (not a symlink someone planted), or undefined. */
export function readOwn(file: string): Buffer | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.uid !== process.getuid!()) return undefined;
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` while holding `${file}.lock` (created exclusively), so processes of this machine take
 * turns. A lock older than `staleMs` belongs to a process that died holding it and is broken.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T> | T, opts: { staleMs?: number; pollMs?: number } = {}): Promise<T> {
  const lock = `${file}.lock`;
  const staleMs = opts.staleMs ?? 30_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { mode: 0o600, flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      try {
        if (Date.now() - fs.lstatSync(lock).mtimeMs > staleMs) fs.rmSync(lock, { force: true });
      } catch {
        // released meanwhile
      }
      await sleep(opts.pollMs ?? 50);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Encrypts JSON with AES-256-GCM under `key` (32 bytes): iv, tag and ciphertext in one buffer. */
export function seal(key: Buffer, value: unknown): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value)), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** What seal() encrypted under the same key; throws for anything else (another key, a changed byte). */
export function unseal(key: Buffer, sealed: Buffer): unknown {
  if (sealed.length < 28) throw new Error("not a sealed value");
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8"));
}
