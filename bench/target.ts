// Where the bench runs: the Moodle double on a loopback port (default; it counts requests), or a
// real Moodle from MOODLE_URL, MOODLE_ADMIN_USER, MOODLE_ADMIN_PASSWORD (as scripts/acceptance.sh);
// there MOODLE_ACCESS_LOG (its web server's access log) lets the bench count requests, and
// MOODLE_RESET_COMMAND puts the site back before each run (`npm run bench -- --real` sets both).
import { execSync } from "child_process";
import * as fs from "fs";
import { startMoodleDouble } from "../testkit/moodle-double";
import { withAppTokens } from "../testkit/moodle-double/seed";
import type { Target } from "./http";

export interface BenchTarget extends Target {
  kind: "double" | "real";
  allowHttp: boolean;
  caCertFile?: string;
  /** A fresh site again (double only; a real site is put back by each run's destroy). */
  reset(): void;
  /** Requests since the last call, by "METHOD path" without query values; undefined for a real site. */
  takeRequests(): string[] | undefined;
  stop(): Promise<void>;
}

/** Query values (sesskeys, ids) vary per run; the path and parameter names say what was asked. */
function shape(method: string, path: string): string {
  const [p, q] = path.split("?");
  if (!q) return `${method} ${p}`;
  const params = new URLSearchParams(q);
  const keep = new Set(["section", "action"]);
  return `${method} ${p}?${[...params].map(([k, v]) => (keep.has(k) ? `${k}=${v}` : k)).join("&")}`;
}

/** "METHOD path" of each request line of a web server's access log (the common and combined formats). */
export function accessLogRequests(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /"(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/[\d.]+"/.exec(line);
    if (m) out.push(shape(m[1], m[2]));
  }
  return out;
}

/** `otherTokens`: the double's site also holds that many Moodle-app tokens (testkit/moodle-double/seed.ts), again after each reset. */
export async function startTarget(opts: { otherTokens?: number } = {}): Promise<BenchTarget> {
  const { MOODLE_URL: url, MOODLE_ADMIN_USER: username, MOODLE_ADMIN_PASSWORD: password } = process.env;
  if (url && username && password) {
    const caCertFile = process.env.MOODLE_CA_CERT_FILE || undefined;
    const accessLog = process.env.MOODLE_ACCESS_LOG || undefined;
    const resetCommand = process.env.MOODLE_RESET_COMMAND || undefined;
    const size = () => (accessLog && fs.existsSync(accessLog) ? fs.statSync(accessLog).size : 0);
    let from = size();
    return {
      kind: "real",
      url,
      username,
      password,
      allowHttp: process.env.MOODLE_ALLOW_HTTP === "true",
      caCertFile,
      caCertPem: caCertFile ? fs.readFileSync(caCertFile, "utf8") : undefined,
      reset: () => {
        if (resetCommand) execSync(resetCommand, { stdio: ["ignore", "ignore", "inherit"] });
        from = size();
      },
      takeRequests: () => {
        if (!accessLog) return undefined;
        const to = size();
        const appended = to > from ? fs.readFileSync(accessLog).subarray(from, to).toString("utf8") : "";
        from = to;
        return accessLogRequests(appended);
      },
      stop: async () => undefined,
    };
  }
  const double = await startMoodleDouble({ port: 0, control: true });
  const seed = () => {
    if (!opts.otherTokens) return;
    const st = withAppTokens(double.control.state(), opts.otherTokens);
    double.control.patchState({ users: st.users, tokens: st.tokens, nextIds: st.nextIds });
  };
  seed();
  const take = () => {
    const log = double.control.requests();
    double.control.clearRequests();
    return log.map((e) => shape(e.method, e.path));
  };
  return {
    kind: "double",
    url: double.url,
    username: double.adminUser,
    password: double.adminPassword,
    allowHttp: true,
    reset: () => {
      double.control.reset();
      seed();
    },
    takeRequests: take,
    stop: () => double.stop(),
  };
}
