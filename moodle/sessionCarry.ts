// A logged-in admin session handed from one process to the next within one run. `pulumi up` runs
// its plan twice, a preview pass and the update pass, each in new provider processes: without this,
// each pass logs in (two to four requests, a password check that lockout policies count, and on a
// site with a second factor a TOTP code, which Moodle accepts once per period).
//
// Private and short-lived, like the preflight receipt: the file lives in the private cache folder,
// its name is a keyed hash (under a salted scrypt key of the credentials) of the site, the admin, the
// password, the TOTP key and the run (the `pulumi` process, or the drift run that shares one session
// among its stacks), and its content is encrypted with a key derived from the same credentials, so it
// is useless to anyone who could not log in anyway. It stands for CARRY_IDLE_MS after its last use and
// CARRY_MAX_MS in all. A carried session Moodle no longer knows costs nothing extra: the first page
// then redirects to the login, and the session logs in as it would have.
import * as fs from "fs";
import * as path from "path";
import type { MoodleConnection, MoodleVersion } from "./types";
import { normalizedKey } from "./totp";
import { cacheRoot, privateDir, readOwn, seal, secretKeys, unseal, withFileLock, writePrivate } from "./privateFolder";

/** Unused for this long, a carried session is not taken (the gap between the passes of one `pulumi up` is seconds). */
export const CARRY_IDLE_MS = 120_000;
/** However often it is used, a carried session is not taken after this long. */
export const CARRY_MAX_MS = 15 * 60_000;

/** A page the run read, for the check right before a write in a later process (moodle/session.ts PAGE_MEMO_MS). */
export interface CarriedPage<P = unknown> {
  path: string;
  /** When it was read (ms since the epoch, this machine's clock). */
  at: number;
  /** The session's own page record: this module only stores it (typed there, so no import runs back). */
  page: P;
}

export interface CarriedSession {
  /** The cookie jar (tough-cookie's serialized form). */
  cookies: unknown;
  userId: number;
  sesskey?: string;
  landingVersion?: MoodleVersion;
  /** Pages read by the run's processes, no write of the run since, each younger than PAGE_MEMO_MS when kept. */
  pages?: CarriedPage[];
}

/** A login Moodle refused in this run (wrong password, locked account, second factor not passed). */
export interface CarriedRefusal {
  kind: "password" | "locked" | "mfa";
  step: string;
  path: string;
  detail: string;
}

export interface SessionCarry {
  /** The session a process of the same run kept, if it still stands. */
  take(): CarriedSession | undefined;
  /** Keeps (or replaces) the run's session. Never throws: without it the next process logs in. */
  keep(session: CarriedSession): void;
  /**
   * The login Moodle refused earlier in this run: the run's later processes fail with it instead of
   * trying the same credentials again, so a run costs one failed login (lockout policies count them).
   */
  refusal(): CarriedRefusal | undefined;
  /** Records a refused login for the run's later processes. Never throws. */
  refuse(refusal: CarriedRefusal): void;
  /** Runs a login while no other process of the run logs in with these credentials, so they share its session. */
  inTurn<T>(login: () => Promise<T>): Promise<T>;
}

export interface CarryOptions {
  /** Folder (default: <cache>/sessions). */
  dir?: string;
  now?: () => number;
}

/** Which site and admin a session belongs to, with the credentials that unlock it. */
export type CarryIdentity = Pick<MoodleConnection, "url" | "username" | "password" | "totpKey">;

/** Removes carried sessions nobody can take any more (by the file system's clock). Best effort. */
function sweep(dir: string, now: number): void {
  try {
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith(".session") && !name.endsWith(".session.refused")) continue;
      const file = path.join(dir, name);
      try {
        if (now - fs.lstatSync(file).mtimeMs > CARRY_IDLE_MS) fs.unlinkSync(file);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // unreadable folder: nothing to sweep
  }
}

/** The session carry of `scope` (one run) for these credentials; a no-op where no private folder can be had. */
export function fileSessionCarry(identity: CarryIdentity, scope: string, opts: CarryOptions = {}): SessionCarry {
  const now = opts.now ?? Date.now;
  const dir = privateDir(opts.dir ?? path.join(cacheRoot(), "sessions"));
  if (!dir) return { take: () => undefined, keep: () => undefined, refusal: () => undefined, refuse: () => undefined, inTurn: (login) => login() };
  const credentials = [identity.url.replace(/\/+$/, ""), identity.username.toLowerCase(), identity.password, normalizedKey(identity.totpKey ?? "")];
  let names: { file: string; key: Buffer } | undefined;
  // scrypt costs tens of milliseconds: once per process (secretKeys), and only when a session is taken or kept.
  const named = () => {
    if (names) return names;
    // Stryker disable StringLiteral: the labels only keep the name and the key apart from each other; any distinct labels do
    const keys = secretKeys(dir, ["session", ...credentials]);
    return (names = { file: path.join(dir, `${keys(["name", scope]).toString("hex")}.session`), key: keys("key") });
    // Stryker restore StringLiteral
  };
  return {
    take() {
      try {
        const { file, key } = named();
        const st = fs.lstatSync(file);
        if (now() - st.mtimeMs > CARRY_IDLE_MS) return undefined;
        const sealed = readOwn(file);
        if (!sealed) return undefined;
        const { savedAt, session } = unseal(key, sealed) as { savedAt: number; session: CarriedSession };
        if (typeof savedAt !== "number" || now() - savedAt > CARRY_MAX_MS || typeof session?.userId !== "number") return undefined;
        const at = new Date(now());
        fs.utimesSync(file, at, at);
        return session;
      } catch {
        return undefined;
      }
    },
    keep(session) {
      try {
        const { file, key } = named();
        sweep(dir, now());
        writePrivate(file, seal(key, { savedAt: now(), session }));
        // Its time of last use, on the same clock take() reads it with.
        const at = new Date(now());
        fs.utimesSync(file, at, at);
      } catch {
        // not kept: the next process logs in
      }
    },
    refusal() {
      try {
        const { file, key } = named();
        const sealed = readOwn(`${file}.refused`);
        if (!sealed) return undefined;
        const { savedAt, refusal } = unseal(key, sealed) as { savedAt: number; refusal: CarriedRefusal };
        // A savedAt that is no number makes the age NaN, which is no age within the limit.
        return now() - savedAt <= CARRY_MAX_MS ? refusal : undefined;
      } catch {
        return undefined;
      }
    },
    refuse(refusal) {
      try {
        const { file, key } = named();
        writePrivate(`${file}.refused`, seal(key, { savedAt: now(), refusal }));
      } catch {
        // not kept: the next process tries the login itself
      }
    },
    // A login with a second factor can wait a TOTP period (30 s): a turn is stale only well after that.
    inTurn: (login) => withFileLock(named().file, login, { staleMs: 120_000 }),
  };
}
