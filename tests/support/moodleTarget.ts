// Where the client suite runs: a real Moodle in acceptance mode (scripts/acceptance.sh sets MOODLE_ACCEPTANCE=1
// next to MOODLE_URL, MOODLE_ADMIN_USER and MOODLE_ADMIN_PASSWORD), otherwise the Moodle double started
// in-process on an ephemeral port.
import * as fs from "fs";
import type { MoodleConnection } from "../../moodle/types";
import { redact } from "../../moodle/redact";
import { DoubleControl, FaultSpec, MoodleDoubleVersion, startMoodleDouble } from "../../testkit/moodle-double";

export type DoubleVersion = MoodleDoubleVersion;
export type { DoubleControl, FaultSpec };

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

const REAL_SITE_VARS = ["MOODLE_URL", "MOODLE_ADMIN_USER", "MOODLE_ADMIN_PASSWORD"] as const;

/**
 * Acceptance mode is chosen by scripts/acceptance.sh alone (MOODLE_ACCEPTANCE=1): a MOODLE_URL left in the
 * shell (e.g. from `scripts/real-moodle.sh env`) must not turn `npm test` into a run against that site
 * which writes to it and leaves out the double's tests.
 */
export function realTargetFromEnv(env: Record<string, string | undefined>): boolean {
  if (env.MOODLE_ACCEPTANCE !== "1") return false;
  const missing = REAL_SITE_VARS.filter((v) => !env[v]);
  if (missing.length) throw new Error(`MOODLE_ACCEPTANCE=1 needs ${missing.join(", ")} (run the suite with npm run test:acceptance)`);
  return true;
}

export const REAL_TARGET = realTargetFromEnv(process.env);

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
  const d = await startMoodleDouble({ port: 0, control: true, moodleVersion: opts.moodleVersion ?? "5.0" });
  return {
    kind: "double",
    moodleVersion: opts.moodleVersion ?? "5.0",
    prefix,
    control: d.control,
    conn: { url: d.url, username: d.adminUser, password: d.adminPassword, allowHttp: true, timeoutMs: opts.timeoutMs, retries: opts.retries },
    stop: () => d.stop(),
  };
}

/**
 * The HTTP requests one client sends, counted at its own transport: MoodleHttp logs one line per request
 * it sent ("GET /path?query -> 200 (12 ms)", secrets redacted), so this works on a real Moodle as on the
 * double. Pass `log` in the client's options; `requests` lists "METHOD /path?query" in order.
 */
export interface RequestRecorder {
  log: (msg: string) => void;
  requests: string[];
  clear(): void;
}

const REQUEST_LINE = /^(GET|POST) (\S+) -> /;

export function recordRequests(): RequestRecorder {
  const requests: string[] = [];
  return {
    requests,
    log: (msg) => {
      const m = REQUEST_LINE.exec(msg);
      if (m) requests.push(`${m[1]} ${m[2]}`);
    },
    clear: () => void requests.splice(0),
  };
}

/** The double's request log in the recorder's form (secrets redacted the same way). */
export function doubleRequests(control: DoubleControl): string[] {
  return control.requests().map((r) => redact(`${r.method} ${r.path}`));
}
