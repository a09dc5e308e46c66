// The preflight receipt: `pulumi up` runs the plan twice, a preview pass and then the update pass,
// and the engine starts fresh provider processes for each, so the preflight (a login and up to
// four reads) ran twice although nothing it depends on had changed in between. A preflight that
// passes leaves a receipt; the next check of the same plan in the same `pulumi` run takes it
// (once: it is deleted as it is taken) instead of reading everything again.
//
// Safety: a receipt is only ever a shortcut to "the preflight passed"; any doubt means the
// preflight runs again.
// - A failing preflight writes nothing (webServices.ts writes only after [] problems).
// - The file's name is a salted scrypt hash of everything the preflight's outcome depends on: the
//   site (URL, TLS options), the admin user and the password the client logs in with (never stored
//   in clear), the preflight's input, the provider code, and the `pulumi` process that runs the
//   plan (its pid and start time). So a receipt never crosses to another run, stack, site, user,
//   password or plan, and a changed provider never trusts an older one's receipt.
// - It is valid for RECEIPT_TTL_MS after the preflight, and lives in a folder only its owner can
//   enter (mode 0700, owned by this user, not a symlink; otherwise receipts are not used at all).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { MoodleConnection } from "../../moodle/types";
import { cacheRoot, privateDir, secretHash } from "../../moodle/privateFolder";

export { privateDir };
import { engineRun } from "./engineRun";

/** How long a receipt stands for a passed preflight: the gap between the two passes of one `up`. */
export const RECEIPT_TTL_MS = 120_000;

const SUFFIX = ".receipt";

export interface ReceiptOptions {
  /** Folder of the receipts (default: receiptDir()). */
  dir?: string;
  /** The clock (tests). */
  now?: () => number;
  /** The `pulumi` run the receipt belongs to (default: engineRun(), ./engineRun.ts). */
  engine?: string;
  /** This process (default: process.pid; tests stand in for the other pass's process). */
  pid?: number;
}

/** What the preflight's outcome depends on: how it reached Moodle and what it checked (any JSON). */
export interface ReceiptBasis {
  connection: MoodleConnection;
  needs: unknown;
}

/** The receipts' folder in the project's cache (moodle/privateFolder.ts). */
export function receiptDir(): string {
  return path.join(cacheRoot(), "preflight-receipts");
}

let codeVersionCache: string | undefined;

/** The code that decides a preflight, relative to providers/. */
const PREFLIGHT_CODE = ["webServices/preflight", "process/preflightReceipt", "webServices/provider", "shared/common"];

/** The text of the code that decides a preflight: a changed provider never takes an older receipt. */
export function codeVersion(): string {
  if (codeVersionCache) return codeVersionCache;
  const hash = crypto.createHash("sha256");
  for (const name of PREFLIGHT_CODE) {
    const file = [".ts", ".js"].map((ext) => path.join(__dirname, "..", name + ext)).find((f) => fs.existsSync(f));
    // Unknown code: a value no other process shares, so no receipt matches.
    hash.update(file ? fs.readFileSync(file) : crypto.randomBytes(16));
  }
  codeVersionCache = hash.digest("hex");
  return codeVersionCache;
}

/** The receipt's file name: a salted scrypt hash of the whole basis; nothing in it is readable. */
function receiptName(dir: string, basis: ReceiptBasis, engine: string): string {
  const c = basis.connection;
  const material = {
    v: 1,
    code: codeVersion(),
    engine,
    url: c.url,
    username: c.username,
    password: c.password,
    allowHttp: c.allowHttp ?? false,
    caCertPem: c.caCertPem ?? "",
    needs: basis.needs,
  };
  return secretHash(dir, material) + SUFFIX;
}

/** Removes receipts (and half-written or taken files) older than the validity, by the file system's clock. Best effort. */
function sweep(dir: string): void {
  const now = Date.now();
  try {
    for (const name of fs.readdirSync(dir)) {
      if (name === "salt") continue;
      const file = path.join(dir, name);
      try {
        if (now - fs.lstatSync(file).mtimeMs > RECEIPT_TTL_MS) fs.unlinkSync(file);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // unreadable folder: nothing to sweep
  }
}

/** Records that the preflight of this basis passed just now. Never throws: without a receipt the preflight simply runs again. */
export function writeReceipt(basis: ReceiptBasis, opts: ReceiptOptions = {}): void {
  const dir = privateDir(opts.dir ?? receiptDir());
  if (!dir) return;
  const now = (opts.now ?? Date.now)();
  try {
    sweep(dir);
    const file = path.join(dir, receiptName(dir, basis, opts.engine ?? engineRun()));
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ passedAt: now, by: opts.pid ?? process.pid }), { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, file);
  } catch {
    // no receipt: the next check runs the preflight
  }
}

/**
 * Whether a receipt of this very basis, written within RECEIPT_TTL_MS by another process (the
 * preview pass), was there. It is deleted as it is taken, so only one check ever takes it; false on
 * any doubt.
 */
export function takeReceipt(basis: ReceiptBasis, opts: ReceiptOptions = {}): boolean {
  const dir = privateDir(opts.dir ?? receiptDir());
  if (!dir) return false;
  const now = (opts.now ?? Date.now)();
  let taken: string | undefined;
  try {
    const file = path.join(dir, receiptName(dir, basis, opts.engine ?? engineRun()));
    // Claimed by an atomic rename: of two concurrent checks, one gets it.
    taken = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.taken`;
    fs.renameSync(file, taken);
    const st = fs.lstatSync(taken);
    if (!st.isFile() || st.uid !== process.getuid!()) return false;
    const { passedAt, by } = JSON.parse(fs.readFileSync(taken, "utf8")) as { passedAt?: unknown; by?: unknown };
    // Only the other pass's process: a second check in the same process is a deliberate re-check.
    if (typeof by !== "number" || by === (opts.pid ?? process.pid)) return false;
    return typeof passedAt === "number" && passedAt <= now && now - passedAt <= RECEIPT_TTL_MS;
  } catch {
    return false;
  } finally {
    if (taken) fs.rmSync(taken, { force: true });
    sweep(dir);
  }
}
