// Runs the Pulumi CLI binary itself on a test stack, as a user types it: `pulumi up --yes` runs its
// preview pass first and then the update, each with its own provider processes (Automation's `up`
// and `destroy` always pass --skip-preview, so they measure one pass only).
import { execFile } from "child_process";
import type { TestStack } from "./engine";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Default bound of one CLI command (an `up` of the project takes about a minute on a busy machine). */
const TIMEOUT_MS = 240_000;

/**
 * `pulumi <args> --stack <name> --non-interactive` in the stack's folder, with the stack's
 * environment (backend, passphrase, PULUMI_HOME, MOODLE_PERCIPIO_IAC_ROOT). Never throws for a
 * failed command: the caller reads `code` (so a test can assert on a refused plan's output).
 */
export function pulumiCli(test: TestStack, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const ws = test.stack.workspace as unknown as { workDir: string; envVars: Record<string, string> };
  return new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      [...args, "--stack", test.stack.name, "--non-interactive", "--color", "never"],
      {
        cwd: ws.workDir,
        env: { ...process.env, ...ws.envVars, ...(opts.env ?? {}) },
        timeout: opts.timeoutMs ?? TIMEOUT_MS,
        killSignal: "SIGINT",
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== "number") return reject(err);
        resolve({ code: err ? ((err as { code: number }).code) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Throws with the CLI's output when the command failed. */
export async function pulumiCliOk(test: TestStack, args: string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult> {
  const result = await pulumiCli(test, args, opts);
  if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}
