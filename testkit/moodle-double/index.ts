// Entry point: start an in-process Moodle test double on a real HTTP port.
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { DEFAULT_ADMIN_PASSWORD, StateStore, defaultState } from "./state";
import { SessionStore } from "./sessions";
import { FaultStore, RequestLog } from "./faults";
import { DoubleControl, makeControl } from "./control";
import { createApp } from "./server";
import { Clock } from "./clock";
import type { MoodleDoubleVersion } from "./versions";

export type { DoubleControl } from "./control";
export type { FaultSpec, FaultKind, RequestLogEntry } from "./faults";
export type { DoubleState, DoubleUser, DoubleService, DoubleToken, DoubleServiceUser, DoubleUserMfa, DoubleUserLockout, DoubleMail } from "./state";
export type { MoodleDoubleVersion } from "./versions";

export interface MoodleDoubleOptions {
  /** 0 (default) = ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Persist the state document here (atomic writes); an existing file is loaded at start. */
  stateFile?: string;
  /** Mount the HTTP control API under /__control/ (default false). */
  control?: boolean;
  moodleVersion?: MoodleDoubleVersion;
  /** Password of "admin" in a fresh state (default Admin-Pass-1!). */
  adminPassword?: string;
  /** Idle session lifetime (default 28800 s, Moodle's sessiontimeout). */
  sessionTimeoutSeconds?: number;
  /** Serve https with this key and certificate (PEM), as a production site behind TLS would. */
  tls?: { key: string; cert: string };
}

export interface MoodleDouble {
  /** wwwroot, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  adminUser: string;
  adminPassword: string;
  control: DoubleControl;
  stop(): Promise<void>;
}

export async function startMoodleDouble(options: MoodleDoubleOptions = {}): Promise<MoodleDouble> {
  const host = options.host ?? "127.0.0.1";
  const version = options.moodleVersion ?? "5.0";
  if (version !== "5.0" && version !== "4.5") throw new Error(`unsupported moodleVersion ${String(version)}`);
  const adminPassword = options.adminPassword ?? DEFAULT_ADMIN_PASSWORD;
  const store = new StateStore(() => defaultState(version, adminPassword), options.stateFile);
  const sessions = new SessionStore((options.sessionTimeoutSeconds ?? 28800) * 1000);
  const faults = new FaultStore();
  const log = new RequestLog();
  const clock = new Clock();
  const control = makeControl(store, sessions, faults, log, clock);
  let base = "";
  const app = createApp({ base: () => base, store, sessions, faults, log, control, controlApi: !!options.control, clock });
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, app) : http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  base = `${options.tls ? "https" : "http"}://${shownHost}:${addr.port}`;
  const admin = store.state.users.find((u) => u.id === 2);
  return {
    url: base,
    adminUser: admin?.username ?? "admin",
    adminPassword: admin?.password ?? adminPassword,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of faults.hanging) res.destroy();
        faults.hanging.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
