// With `refresh: always`, both passes of one `pulumi up` (and of a `pulumi destroy`) read every
// resource back from Moodle, seconds apart, from the same recorded state. The preview pass's read is
// carried to the update pass, which takes it instead of asking Moodle again.
//
// Correct when another admin edits the site between the passes: the update pass then acts on a
// snapshot taken a few seconds earlier, as if the edit had come right after its own read-back. Nothing
// is written from a carried read: every step that writes reads its page again in its own session
// right before the write (for the sesskey and the current value), so no edit is overwritten with
// stale values; the edit shows as drift in the next run, as any edit after a run does.
//
// As private and short-lived as the preflight receipt: a private folder, a name that is a keyed hash
// (under a salted scrypt key of the admin's credentials) of the `pulumi` run, the resource and what
// state recorded of it, content encrypted under a key derived from the same credentials (a read
// carries secret outputs), valid for READ_CARRY_TTL_MS and taken once.
import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { cacheRoot, privateDir, readOwn, seal, secretKeys, unseal, writePrivate } from "../../moodle/privateFolder";
import type { ConnectionProps } from "../connection";

/** The gap between the passes of one `pulumi up` is seconds; a carried read older than this is not taken. */
export const READ_CARRY_TTL_MS = 120_000;

export interface ReadCarryOptions {
  dir?: string;
  now?: () => number;
}

/** Where a read is carried, and under which key: undefined where no private folder can be had. */
function place(scope: string, kind: string, id: string, props: Record<string, unknown>, opts: ReadCarryOptions) {
  const dir = privateDir(opts.dir ?? path.join(cacheRoot(), "reads"));
  if (!dir) return undefined;
  const conn = props as Partial<ConnectionProps>;
  // Unlike the session carry's, not normalised: the name already pins these very props.
  // One scrypt per process for these credentials, then an HMAC per resource (secretKeys).
  // Stryker disable StringLiteral: the labels only keep the names and the key apart from each other; any distinct labels do
  const keys = secretKeys(dir, ["read", conn.moodleUrl, conn.adminUser, conn.adminPassword, conn.adminTotpSecret]);
  return {
    dir,
    file: path.join(dir, `${keys(["name", scope, kind, id, props]).toString("hex")}.read`),
    key: keys("key"),
  };
  // Stryker restore StringLiteral
}

/** Removes carried reads nobody can take any more. Best effort. */
function sweep(dir: string, now: number): void {
  try {
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".read")) continue;
      try {
        if (now - fs.lstatSync(path.join(dir, name)).mtimeMs > READ_CARRY_TTL_MS) fs.unlinkSync(path.join(dir, name));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // nothing to sweep
  }
}

/**
 * The read another pass of this run made of this very resource (same kind, id and recorded props), if
 * one stands; else `read()`, whose result the next pass may take. Never fails because of the carry.
 */
export async function carriedRead(
  scope: string,
  kind: string,
  id: string,
  props: Record<string, unknown>,
  read: () => Promise<pulumi.dynamic.ReadResult>,
  opts: ReadCarryOptions = {},
): Promise<pulumi.dynamic.ReadResult> {
  const now = opts.now ?? Date.now;
  const at = place(scope, kind, id, props, opts);
  if (at) {
    const taken = `${at.file}.${process.pid}.taken`;
    try {
      // Claimed by an atomic rename: of two readers, one gets it; it is gone once taken.
      fs.renameSync(at.file, taken);
      const sealed = readOwn(taken);
      const carried = sealed && (unseal(at.key, sealed) as { readAt: number; by: number; result: pulumi.dynamic.ReadResult });
      // Only another process's read (the other pass); a second read in one process is a deliberate re-read.
      if (carried && carried.by !== process.pid && now() - carried.readAt <= READ_CARRY_TTL_MS && carried.readAt <= now()) return carried.result;
    } catch {
      // none, or not readable: read from Moodle
    } finally {
      fs.rmSync(taken, { force: true });
    }
  }
  const result = await read();
  if (at && result.id) {
    try {
      sweep(at.dir, now());
      writePrivate(at.file, seal(at.key, { readAt: now(), by: process.pid, result }));
    } catch {
      // not carried: the next pass reads from Moodle
    }
  }
  return result;
}
