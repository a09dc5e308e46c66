// In-process control of a running double (works whether or not the HTTP control API is mounted).
import type { DoubleState, StateStore } from "./state";
import type { SessionStore } from "./sessions";
import type { Concurrency, FaultSpec, FaultStore, RequestLog, RequestLogEntry } from "./faults";
import type { Clock } from "./clock";

export interface DoubleControl {
  /** Fresh site state; also drops sessions, faults and the request log, and lets the clock run again. */
  reset(): void;
  /** Deep copy of the current state document. */
  state(): DoubleState;
  /** JSON merge patch on the state (objects merge, arrays replace, null deletes), behind the client's back. */
  patchState(partial: unknown): void;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  faults(): FaultSpec[];
  requests(): RequestLogEntry[];
  /** Cleared with the request log. */
  clearRequests(): void;
  /** The most requests and distinct clients (sessions) served at once since the log was last cleared. */
  concurrency(): Concurrency;
  /** Every session ends: the next admin request is redirected to the login page. */
  expireSessions(): void;
  /**
   * Stop the double's clock at `unixSeconds` (null = the machine's clock again). It times TOTP codes,
   * emailed MFA codes and the login lockout (testkit/moodle-double/clock.ts); sessions and tokens keep real time.
   */
  setClock(unixSeconds: number | null): void;
  /** The double's time now, in Unix seconds. */
  clock(): number;
}

export function makeControl(store: StateStore, sessions: SessionStore, faults: FaultStore, log: RequestLog, clock: Clock): DoubleControl {
  return {
    reset() {
      store.reset();
      sessions.expireAll();
      faults.clear();
      log.clear();
      clock.set(undefined);
    },
    state: () => store.snapshot(),
    patchState: (partial) => store.patch(partial),
    injectFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    requests: () => log.entries.map((e) => ({ ...e })),
    clearRequests: () => log.clear(),
    concurrency: () => log.concurrency(),
    expireSessions: () => sessions.expireAll(),
    setClock: (t) => clock.set(t ?? undefined),
    clock: () => clock.now(),
  };
}
