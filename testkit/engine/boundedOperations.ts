// Engine operations with a deadline, so one stuck `pulumi up` fails its own test quickly instead of
// holding the stack (and every later test) until jest gives up: on expiry, or when a test ends with
// the operation still running, Pulumi is interrupted, its whole process tree is stopped, and the
// stack is unlocked and stripped of pending operations so the next operation starts clean.
import * as path from "path";
import type { Deployment, Stack } from "@pulumi/pulumi/automation";
import { childProcesses, commandLine, descendants, isAlive, signal } from "../../tests/support/processTree";

export const OPERATIONS = ["up", "preview", "refresh", "destroy"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface OperationLimits {
  /** Longest one engine operation may run. */
  timeoutMs: number;
  /** How long Pulumi gets to stop by itself after SIGINT before its processes are killed. */
  graceMs: number;
}

/** What stopping an operation did. */
export interface Interruption {
  operation: Operation;
  reason: string;
  /** Processes that were still running after the grace period and were killed (their command lines). */
  killed: { pid: number; command: string }[];
  /** Pending operations ("creating urn:...") removed from the stack's state. */
  droppedPendingOperations: string[];
}

interface Running {
  operation: Operation;
  controller: AbortController;
  /** Resolves when the CLI has exited, however it ended. */
  exited: Promise<void>;
  stopping?: Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Every `pulumi` process this test process started: the Automation API runs the CLI as a direct
 * child (without a shell), and a suite runs one engine operation at a time.
 */
function pulumiProcesses(): number[] {
  return childProcesses(process.pid, (argv) => argv.some((arg) => path.basename(arg) === "pulumi"));
}

export class OperationGuard {
  readonly interruptions: Interruption[] = [];
  private running?: Running;

  constructor(
    private readonly stack: Stack,
    /** Read at the start of each operation, so a test may tighten them for itself. */
    readonly limits: OperationLimits,
  ) {}

  /** The same stack, with up/preview/refresh/destroy run under this guard. */
  bounded(): Stack {
    const bounded = Object.create(this.stack) as Stack;
    for (const operation of OPERATIONS) {
      const original = (this.stack[operation] as (opts?: { signal?: AbortSignal }) => Promise<unknown>).bind(this.stack);
      Object.defineProperty(bounded, operation, {
        value: (opts: { signal?: AbortSignal } = {}) =>
          this.run(operation, (ours) => original({ ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, ours]) : ours })),
      });
    }
    return bounded;
  }

  async run<T>(operation: Operation, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.running) throw new Error(`pulumi ${operation} started while pulumi ${this.running.operation} is still running`);
    const controller = new AbortController();
    const result = start(controller.signal);
    const running: Running = { operation, controller, exited: result.then(noop, noop) };
    this.running = running;
    const { timeoutMs } = this.limits;
    const limit = `did not finish within ${timeoutMs / 1000} s`;
    const timer = setTimeout(() => void this.stop(running, limit), timeoutMs);
    try {
      return await result;
    } catch (err) {
      if (!running.stopping) throw err;
      await running.stopping;
      const last = this.interruptions[this.interruptions.length - 1];
      throw new Error(
        `pulumi ${operation} ${last?.reason ?? limit}: it was interrupted, its processes stopped and the stack unlocked ` +
          `(pending operations dropped: ${last?.droppedPendingOperations.length ?? 0}). Engine said: ${String((err as Error).message).slice(-1500)}`,
      );
    } finally {
      clearTimeout(timer);
      await running.stopping?.catch(noop);
      this.running = undefined;
    }
  }

  /**
   * Stops whatever operation is still running (a test that timed out in jest leaves one behind)
   * and leaves the stack usable. Call it after each test.
   */
  async settle(reason = "was still running when its test ended"): Promise<Interruption | undefined> {
    const running = this.running;
    if (!running) return undefined;
    await this.stop(running, reason);
    return this.interruptions[this.interruptions.length - 1];
  }

  private stop(running: Running, reason: string): Promise<void> {
    running.stopping ??= (async () => {
      // The SDK sends SIGINT: Pulumi's own cancellation, which waits for in-flight provider calls.
      running.controller.abort();
      const exitedInTime = await Promise.race([running.exited.then(() => true), delay(this.limits.graceMs).then(() => false)]);
      const killed: Interruption["killed"] = [];
      while (!exitedInTime) {
        // A stuck provider call never returns: kill the CLI and everything below it. Plugins run in
        // their own process groups, and once the CLI is gone they would be orphans nobody can find.
        const clis = pulumiProcesses();
        const tree = [...clis.flatMap((pid) => descendants(pid)), ...clis].filter(isAlive);
        killed.push(...tree.map((pid) => ({ pid, command: commandLine(pid) })));
        signal(tree, "SIGKILL");
        if (await Promise.race([running.exited.then(() => true), delay(1000).then(() => false)])) break;
      }
      await running.exited;
      const droppedPendingOperations = await this.recover();
      this.interruptions.push({ operation: running.operation, reason, killed, droppedPendingOperations });
    })();
    return running.stopping;
  }

  /** Removes the lock a killed operation leaves, and the pending operations it recorded. */
  private async recover(): Promise<string[]> {
    // On a file backend `pulumi cancel` deletes the stack's lock files.
    await this.stack.cancel();
    const exported: Deployment = await this.stack.exportStack();
    const pending: { type: string; resource: { urn: string } }[] = exported.deployment?.pending_operations ?? [];
    if (pending.length > 0) {
      // A pending create may have happened or not; the next refresh or up finds out from Moodle.
      await this.stack.importStack({ ...exported, deployment: { ...exported.deployment, pending_operations: [] } });
    }
    return pending.map((op) => `${op.type} ${op.resource.urn}`);
  }
}

function noop(): void {}
