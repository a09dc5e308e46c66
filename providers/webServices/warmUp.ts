// The preview of a new stack, sooner: the program logs in and reads the preflight's pages
// (preflight.ts) while the engine is still starting the dynamic-provider process, about a second of
// Moodle's answers that otherwise follow that start. The session and the pages go to the run's
// session carry (moodle/sessionCarry.ts: private, per run, pages for PAGE_MEMO_MS), where the
// provider's check takes them instead of reading them again; the check still decides, on those pages.
//
// Only in a preview pass, only when no process of this run has logged in yet: a stack with resources
// was just refreshed, which logged in, and its check has nothing to read. That is decided before the
// Moodle client loads, so a preview that skips costs the program no module loading. The reads hold
// the run's login turn, so the provider waits for them and never reads the same page twice. Nothing
// here fails the program: anything that goes wrong is met again, and reported, by the provider's own
// check (a refused login too, without trying the password again: moodle/sessionCarry.ts).
import { fileSessionCarry, type SessionCarry } from "../../moodle/sessionCarry";
import type { MoodleConnection } from "../../moodle/types";
import type { ConnectionProps } from "../connection";
import { connectionFor, sessionScope } from "../shared/moodleConnection";
import type { PreflightNeeds } from "./preflight";

/**
 * How long the warm-up waits for one answer at most. It never retries: a site that does not answer
 * at once is left to the provider's check, with its configured timeout and retries.
 */
export const WARM_UP_TIMEOUT_MS = 10_000;

/** The stack's connection, as the warm-up uses it: one attempt per request, each at most WARM_UP_TIMEOUT_MS. */
export function warmUpConnection(props: ConnectionProps): MoodleConnection {
  return { ...connectionFor(props), timeoutMs: Math.min(props.requestTimeoutSeconds * 1000, WARM_UP_TIMEOUT_MS), retries: 0 };
}

/**
 * Calls `start` once the program's own work is done: the program registers its resources (closure
 * serialization, CPU-bound) and then waits for the engine, which meanwhile starts the provider
 * process. Started in that wait, the warm-up's own work (loading the Moodle client, reading pages)
 * runs beside the provider's start instead of delaying it. "Done" is a timer firing on time
 * `calmTicks` times in a row, or `maxMs` at the latest.
 */
export function whenProgramIdle(start: () => void, opts = { tickMs: 10, calmTicks: 2, maxMs: 600 }): void {
  const began = Date.now();
  let last = began;
  let calm = 0;
  const tick = () => {
    const now = Date.now();
    // Stryker disable next-line EqualityOperator: a heuristic's boundary (1 ms of lateness) no test can tell apart from the machine's load
    calm = now - last - opts.tickMs < 5 ? calm + 1 : 0;
    last = now;
    // Stryker disable next-line EqualityOperator: one tick more or less of a heuristic's wait, which no test can tell apart from the machine's load
    if (calm >= opts.calmTicks || now - began >= opts.maxMs) start();
    else setTimeout(tick, opts.tickMs);
  };
  setTimeout(tick, opts.tickMs);
}

/** "read": the preflight's pages are in the run's session carry; "skipped": a process of the run had logged in already. */
export async function warmUpPreflight(props: ConnectionProps, needs: PreflightNeeds): Promise<"read" | "skipped"> {
  const conn = warmUpConnection(props);
  const carry = fileSessionCarry(conn, sessionScope());
  return carry.inTurn(async () => {
    if (carry.take()) return "skipped";
    const { clientFor } = require("../../moodle/client") as typeof import("../../moodle/client");
    const { preflightProblems } = require("./preflight") as typeof import("./preflight");
    const { trace } = require("../process/trace") as typeof import("../process/trace");
    // The turn is held for all the reads: the client's own login must not wait for it again.
    const inThisTurn: SessionCarry = { ...carry, inTurn: (login) => login() };
    await preflightProblems(clientFor(conn, { log: trace, sessionCarry: inThisTurn }), needs);
    return "read";
  });
}
