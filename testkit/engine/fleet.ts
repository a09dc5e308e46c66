// Several stacks of this project's program in one backend (a file folder or an S3 bucket), each with
// its own passphrase and Moodle double, and `npm run drift` run on them as a user runs it.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { MoodleDouble, startMoodleDouble } from "../moodle-double";
import { projectRoot, pulumiCli } from "./engine";
import type { FleetReport } from "../../drift/types";

/** Project files a program folder must not share: per-stack config, git, local state, reports. */
const NOT_LINKED = /^(Pulumi\..+\.yaml|\.git|\.pulumi-local|reports|tests)$/;

export interface Fleet {
  /** Folder holding Pulumi.yaml (links to the project) and the stacks' Pulumi.<stack>.yaml files. */
  projectDir: string;
  /** Environment every engine run of the fleet gets (backend, plugins, offline switches); no passphrase. */
  env: Record<string, string>;
  /** Creates the stack with its own passphrase and the config of a phase-1 integration with `moodle`. */
  addStack(name: string, passphrase: string, moodle: MoodleDouble, extraConfig?: Record<string, string>): Promise<Stack>;
  dispose(): void;
}

export function createFleet(backendUrl: string, extraEnv: Record<string, string> = {}): Fleet {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-fleet-"));
  for (const name of fs.readdirSync(projectRoot)) {
    if (!NOT_LINKED.test(name)) fs.symlinkSync(path.join(projectRoot, name), path.join(projectDir, name));
  }
  const env = {
    PULUMI_BACKEND_URL: backendUrl,
    PULUMI_HOME: path.join(projectDir, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // Dynamic providers load the implementation from the project, not from this folder of links.
    MOODLE_PERCIPIO_IAC_ROOT: projectRoot,
    ...extraEnv,
  };
  return {
    projectDir,
    env,
    async addStack(name, passphrase, moodle, extraConfig = {}) {
      const { command } = await pulumiCli();
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: name, workDir: projectDir },
        { pulumiCommand: command, envVars: { ...env, PULUMI_CONFIG_PASSPHRASE: passphrase } },
      );
      await stack.setAllConfig({
        "moodle:url": { value: moodle.url },
        "moodle:allowHttp": { value: "true" },
        "moodle:adminPassword": { value: moodle.adminPassword, secret: true },
        "moodle:tokenName": { value: `percipio-${name}` },
        ...Object.fromEntries(Object.entries(extraConfig).map(([k, v]) => [k, { value: v }])),
      });
      return stack;
    },
    dispose() {
      fs.rmSync(projectDir, { recursive: true, force: true });
    },
  };
}

/** A double with its own admin password, so the secret search can tell the stacks apart. */
export function startDouble(adminPassword: string): Promise<MoodleDouble> {
  return startMoodleDouble({ control: true, adminPassword });
}

export interface DriftRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  report: FleetReport;
  junit: string;
}

/** `npm run drift -- <args>` from the project root, on the fleet, with the given passphrase variables. */
export async function runDrift(fleet: Fleet, args: string[], passphrases: Record<string, string>): Promise<DriftRun> {
  const reportsDir = fs.mkdtempSync(path.join(fleet.projectDir, "reports-"));
  const env: NodeJS.ProcessEnv = { ...process.env, ...fleet.env, ...passphrases };
  // Only the passphrases the test names: none inherited from whoever runs the suite.
  for (const key of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"]) if (!(key in passphrases)) delete env[key];
  const started = Date.now();
  const child = spawn("npm", ["run", "--silent", "drift", "--", "--project-dir", fleet.projectDir, "--reports-dir", reportsDir, ...args], { cwd: projectRoot, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const seconds = (Date.now() - started) / 1000;
  const read = (name: string) => fs.readFileSync(path.join(reportsDir, name), "utf8");
  let report: FleetReport;
  try {
    report = JSON.parse(read("drift-report.json"));
  } catch {
    throw new Error(`npm run drift wrote no report (exit ${code}):\n${stdout}\n${stderr}`);
  }
  return { code, stdout, stderr, seconds, report, junit: read("drift-report.xml") };
}

/** Every secret value among `texts`: nothing a user could see may contain one. */
export function leakedSecrets(secrets: readonly string[], texts: readonly string[]): string[] {
  const all = texts.join("\n");
  return secrets.filter((s) => s.length > 0 && all.includes(s));
}
