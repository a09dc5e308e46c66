// Where the client suite runs: a real Moodle when MOODLE_URL, MOODLE_ADMIN_USER and MOODLE_ADMIN_PASSWORD
// are set (acceptance mode), otherwise the Moodle double started in-process on an ephemeral port.
import * as fs from "fs";
import * as path from "path";
import type { MoodleConnection } from "../../moodle/types";

export type DoubleVersion = "4.5" | "5.0";

export interface FaultSpec {
  method?: string;
  /** Prefix match on the request pathname. */
  path: string;
  kind: "latency" | "status" | "reset" | "timeout" | "expire-session";
  status?: number;
  ms?: number;
  times?: number;
}

/** The double's control API (moodle-double/index.ts), as far as the suite uses it. */
export interface DoubleControl {
  reset(): unknown;
  state(): unknown;
  patchState(partial: unknown): unknown;
  injectFault(f: FaultSpec): unknown;
  clearFaults(): unknown;
  requests(): { method: string; path: string; status: number }[];
  expireSessions(): unknown;
}

interface DoubleModule {
  startMoodleDouble(opts: { port?: number; stateFile?: string; control?: boolean; moodleVersion?: DoubleVersion }): Promise<{
    url: string;
    adminUser: string;
    adminPassword: string;
    control: DoubleControl;
    stop(): Promise<void>;
  }>;
}

export interface MoodleTarget {
  kind: "real" | "double";
  /** For the double: the version it imitates; for a real site: unknown until asked. */
  moodleVersion?: DoubleVersion;
  conn: MoodleConnection;
  /** Only for the double. */
  control?: DoubleControl;
  /** Everything the suite creates on a real site carries this prefix, so it can be found and removed. */
  prefix: string;
  stop(): Promise<void>;
}

export const REAL_TARGET = Boolean(process.env.MOODLE_URL && process.env.MOODLE_ADMIN_USER && process.env.MOODLE_ADMIN_PASSWORD);

export const DOUBLE_MODULE = path.resolve(__dirname, "..", "..", "moodle-double");

export function doubleAvailable(): boolean {
  return fs.existsSync(`${DOUBLE_MODULE}/index.ts`) || fs.existsSync(`${DOUBLE_MODULE}/index.js`);
}

export async function startMoodleTarget(opts: { moodleVersion?: DoubleVersion; timeoutMs?: number; retries?: number } = {}): Promise<MoodleTarget> {
  const prefix = `iac-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}-`;
  if (REAL_TARGET) {
    const url = process.env.MOODLE_URL!;
    const caFile = process.env.MOODLE_CA_CERT_FILE;
    return {
      kind: "real",
      prefix,
      conn: {
        url,
        username: process.env.MOODLE_ADMIN_USER!,
        password: process.env.MOODLE_ADMIN_PASSWORD!,
        allowHttp: process.env.MOODLE_ALLOW_HTTP === "true" || /^http:\/\/(127\.0\.0\.1|localhost)([:/]|$)/.test(url),
        caCertPem: caFile ? fs.readFileSync(caFile, "utf8") : undefined,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
      },
      stop: async () => undefined,
    };
  }
  // Loaded at run time so this file compiles while the double is absent.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(DOUBLE_MODULE) as DoubleModule;
  const d = await mod.startMoodleDouble({ port: 0, control: true, moodleVersion: opts.moodleVersion ?? "5.0" });
  return {
    kind: "double",
    moodleVersion: opts.moodleVersion ?? "5.0",
    prefix,
    control: d.control,
    conn: { url: d.url, username: d.adminUser, password: d.adminPassword, allowHttp: true, timeoutMs: opts.timeoutMs, retries: opts.retries },
    stop: () => d.stop(),
  };
}
