// Where the client suite runs: a real Moodle when MOODLE_URL, MOODLE_ADMIN_USER and MOODLE_ADMIN_PASSWORD
// are set (acceptance mode), otherwise the Moodle double started in-process on an ephemeral port.
import * as fs from "fs";
import type { MoodleConnection } from "../../moodle/types";
import { DoubleControl, FaultSpec, MoodleDoubleVersion, startMoodleDouble } from "../../moodle-double";

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

export const REAL_TARGET = Boolean(process.env.MOODLE_URL && process.env.MOODLE_ADMIN_USER && process.env.MOODLE_ADMIN_PASSWORD);

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
