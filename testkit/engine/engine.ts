// Runs the real Pulumi engine (the `pulumi` on PATH, put there by scripts/test.sh) through the
// Automation API, with a throw-away file backend and passphrase, and cleans up after itself.
//
// Automation's up() and destroy() always pass --skip-preview: the suites that use them test what one
// pass does (its state, its requests, its errors), which is what they assert. Every command as a user
// types it, with its preview pass, runs through the `pulumi` binary (./cli.ts) in tests/engine/
// cliRequests, guardedSites and stateCompat, tests/realsite/guarded and tests/docker/realEngine.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Interruption, OperationGuard, OperationLimits } from "./boundedOperations";
import {
  LocalWorkspace,
  LocalWorkspaceOptions,
  PulumiCommand,
  PulumiFn,
  Stack,
} from "@pulumi/pulumi/automation";

export const projectRoot = path.resolve(__dirname, "..", "..");

export interface TestStack {
  /** Its up/preview/refresh/destroy are bounded (see boundedOperations.ts). */
  stack: Stack;
  /** Everything the engine printed, for assertions (e.g. that no secret appears). */
  output: string[];
  /** Folder holding the backend (state files) of this stack. */
  backendDir: string;
  onOutput: (line: string) => void;
  /** Stops an operation a timed-out test left running and leaves the stack usable; call after each test. */
  settle(): Promise<Interruption | undefined>;
  /** Every operation the guard had to stop. */
  interruptions: Interruption[];
  /** The bounds of each operation (mutable, read when an operation starts). */
  limits: OperationLimits;
  dispose(): Promise<void>;
}

/**
 * Default bounds of one engine operation: an `up` of the project takes about a minute on a busy
 * 2-core machine (most of it starting the program); far beyond that it is stuck, not slow.
 */
export const DEFAULT_LIMITS: OperationLimits = { timeoutMs: 150_000, graceMs: 5_000 };

export interface StackOptions {
  stackName?: string;
  envVars?: Record<string, string>;
  limits?: Partial<OperationLimits>;
}

/** Every file the backend holds for the stack (state, history, backups), as text: what is at rest. */
export function backendText(backendDir: string): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!full.includes(`${path.sep}plugins${path.sep}`)) parts.push(fs.readFileSync(full).toString("utf8"));
    }
  };
  walk(path.join(backendDir, "state"));
  return parts.join("\n");
}

/** Pulumi CLI on PATH, and the version it reports. */
export async function pulumiCli(): Promise<{ command: PulumiCommand; path: string; version: string }> {
  const command = await PulumiCommand.get();
  const cliPath = execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  const version = execFileSync(cliPath, ["version"], { encoding: "utf8" }).trim();
  return { command, path: cliPath, version };
}

function freshBackend(): { dir: string; env: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-backend-"));
  fs.mkdirSync(path.join(dir, "state"));
  return {
    dir,
    env: {
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "test-passphrase",
      PULUMI_HOME: path.join(dir, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // Dynamic providers load the project's implementation from here (providers/shim.ts).
      MOODLE_PERCIPIO_IAC_ROOT: projectRoot,
    },
  };
}

async function wrap(stack: Stack, backendDir: string, limits: Partial<OperationLimits> = {}, workDirToRemove?: string): Promise<TestStack> {
  const output: string[] = [];
  const guard = new OperationGuard(stack, { ...DEFAULT_LIMITS, ...limits });
  const bounded = guard.bounded();
  return {
    stack: bounded,
    output,
    backendDir,
    onOutput: (line: string) => output.push(line),
    settle: () => guard.settle(),
    interruptions: guard.interruptions,
    limits: guard.limits,
    async dispose() {
      try {
        await guard.settle();
        await bounded.destroy({ onOutput: (l) => output.push(l) });
        await stack.workspace.removeStack(stack.name);
      } finally {
        fs.rmSync(backendDir, { recursive: true, force: true });
        if (workDirToRemove) fs.rmSync(workDirToRemove, { recursive: true, force: true });
      }
    },
  };
}

/** A stack whose program is a function in the test process (no language host involved). */
export async function inlineStack(
  projectName: string,
  program: PulumiFn,
  options: StackOptions & { workDir?: string } = {},
): Promise<TestStack> {
  const backend = freshBackend();
  const { command } = await pulumiCli();
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "mpi-work-"));
  // The engine starts the dynamic-provider plugin in workDir; it resolves @pulumi/pulumi from there.
  const modules = path.join(workDir, "node_modules");
  if (!fs.existsSync(modules)) fs.symlinkSync(path.join(projectRoot, "node_modules"), modules);
  const wsOptions: LocalWorkspaceOptions = {
    pulumiCommand: command,
    workDir,
    envVars: { ...backend.env, ...(options.envVars ?? {}) },
    projectSettings: { name: projectName, runtime: "nodejs", backend: { url: backend.env.PULUMI_BACKEND_URL } },
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: options.stackName ?? "test", projectName, program },
    wsOptions,
  );
  return wrap(stack, backend.dir, options.limits, options.workDir ? undefined : workDir);
}

/** A stack of a program folder with a Pulumi.yaml, run by the CLI through the nodejs language host. */
export async function programStack(
  workDir: string,
  options: StackOptions = {},
): Promise<TestStack> {
  const backend = freshBackend();
  const { command } = await pulumiCli();
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: options.stackName ?? "test", workDir },
    { pulumiCommand: command, envVars: { ...backend.env, ...(options.envVars ?? {}) } },
  );
  return wrap(stack, backend.dir, options.limits);
}

/** Files of the project a program folder needs; everything else stays out of test folders. */
const PROGRAM_FILES = ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json", "node_modules", "components", "config", "docker", "providers", "moodle", "percipio"];

/**
 * A stack of this project's own program (index.ts), run exactly as `pulumi up` runs it, from a
 * throw-away folder that links to the project's files, so per-test stack config files
 * (Pulumi.<stack>.yaml) never land in the project.
 */
export async function projectStack(options: StackOptions = {}): Promise<TestStack & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-project-"));
  for (const name of PROGRAM_FILES) fs.symlinkSync(path.join(projectRoot, name), path.join(dir, name));
  const test = await programStack(dir, options);
  const dispose = test.dispose;
  return {
    ...test,
    dir,
    async dispose() {
      try {
        await dispose();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
