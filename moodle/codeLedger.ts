// Which TOTP steps runs on this machine have spent for one admin of one site, and which keys Moodle
// refused as wrong. factor_totp refuses a code of any step within its window of the last verified one
// ("already used"), and every refused code counts towards tool_mfa's lockout, which only an admin can
// undo: so runs on one machine (the passes of one `pulumi up`, a destroy, drift over many stacks of
// one site) take turns, never submit a code of a step another may have spent, and never try a key
// Moodle already refused.
import * as path from "path";
import { cacheRoot, privateDir, readOwn, secretHash, withFileLock, writePrivate } from "./privateFolder";
import { TOTP_PERIOD_SECONDS, normalizedKey, stepStart, totpStep } from "./totp";

/**
 * Seconds after a submission during which its code could still be "already used": factor_totp's
 * default window (15 s) plus the time the request takes to reach Moodle.
 */
export const SPENT_MARGIN_SECONDS = 20;
/**
 * A refused key is not tried again from this machine for this long: long enough for a drift run over
 * many stacks or an hourly schedule not to walk the factor into tool_mfa's lockout, which only an admin
 * undoes. A new key in the stack config is tried at once.
 */
export const LEDGER_FOLDER = "totp-ledger";

export const REFUSED_KEY_MS = 3600_000;
/** Submissions older than this cannot matter any more. */
const KEEP_SECONDS = 10 * TOTP_PERIOD_SECONDS;

export interface CodeLedger {
  /**
   * The step whose code to submit now, not before `minStep`: waits, saying how long through `waiting`,
   * until no run of this machine may have spent it, and records it as spent. Throws RefusedKeyError
   * when Moodle refused this very key before (within REFUSED_KEY_MS).
   */
  claimStep(minStep: number, waiting: (seconds: number) => void): Promise<number>;
  /** Remembers that Moodle refused the key as wrong. */
  refuseKey(reason: string): Promise<void>;
}

interface LedgerFile {
  /** Unix seconds of each code submitted recently. */
  submitted: number[];
  /** Refused keys by salted hash: when, and Moodle's words. */
  refused: Record<string, { at: number; reason: string }>;
}

export interface FileLedgerOptions {
  /** Folder (default: <cache>/totp-ledger). */
  dir?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The earliest step no recorded submission may have spent. */
export function firstUnspentStep(submitted: number[]): number {
  return Math.max(0, ...submitted.map((at) => totpStep(at + SPENT_MARGIN_SECONDS) + 1));
}

/** Where no private folder can be had: one process's own memory (still never reuses a step itself). */
function memoryLedger(now: () => number, sleep: (ms: number) => Promise<void>): CodeLedger {
  const state: LedgerFile = { submitted: [], refused: {} };
  return ledgerOn(async (fn) => fn(state), now, sleep, "key");
}

/** The ledger of `site` and `username` in a private folder of this machine, shared by all its processes. */
export function fileCodeLedger(site: string, username: string, key: string, opts: FileLedgerOptions = {}): CodeLedger {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const dir = privateDir(opts.dir ?? path.join(cacheRoot(), LEDGER_FOLDER));
  if (!dir) return memoryLedger(now, sleep);
  const file = path.join(dir, `${secretHash(dir, ["ledger", site, username.toLowerCase()])}.json`);
  const keyId = secretHash(dir, ["key", site, username.toLowerCase(), normalizedKey(key)], 16);
  const read = (): LedgerFile => {
    try {
      const parsed = JSON.parse(readOwn(file)?.toString("utf8") ?? "") as Partial<LedgerFile>;
      return { submitted: Array.isArray(parsed.submitted) ? parsed.submitted.filter((n) => typeof n === "number") : [], refused: parsed.refused ?? {} };
    } catch {
      return { submitted: [], refused: {} };
    }
  };
  return ledgerOn(
    (fn) =>
      withFileLock(file, () => {
        const state = read();
        const result = fn(state);
        writePrivate(file, JSON.stringify(state));
        return result;
      }),
    now,
    sleep,
    keyId,
  );
}

function ledgerOn(
  locked: <T>(fn: (state: LedgerFile) => T) => Promise<T>,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
  keyId: string,
): CodeLedger {
  const seconds = () => now() / 1000;
  return {
    async claimStep(minStep, waiting) {
      // Read the refusal under the same lock as the steps: one claim call per attempt is all a login makes.
      for (;;) {
        const decided = await locked((state) => {
          const t = seconds();
          const refused = state.refused[keyId];
          if (refused && now() - refused.at < REFUSED_KEY_MS) return { refused: refused.reason, until: refused.at + REFUSED_KEY_MS };
          state.submitted = state.submitted.filter((at) => t - at < KEEP_SECONDS);
          const earliest = Math.max(minStep, firstUnspentStep(state.submitted));
          if (totpStep(t) >= earliest) {
            state.submitted.push(t);
            return { step: totpStep(t) };
          }
          return { waitUntil: stepStart(earliest) };
        });
        if ("refused" in decided) throw new RefusedKeyError(decided.refused!, decided.until!);
        if ("step" in decided) return decided.step!;
        const waitSeconds = decided.waitUntil! - seconds();
        waiting(Math.ceil(waitSeconds));
        await sleep(Math.max(0, waitSeconds * 1000) + 50);
      }
    },
    async refuseKey(reason) {
      await locked((state) => {
        state.refused[keyId] = { at: now(), reason };
      });
    },
  };
}

/** claimStep found that Moodle refused this very key earlier; it may be tried again from `until` (epoch ms). */
export class RefusedKeyError extends Error {
  constructor(
    message: string,
    readonly until: number,
  ) {
    super(message);
  }
}
