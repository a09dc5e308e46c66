// The whole report: which stacks, each checked with its own secrets, at most N at a time.
import { randomBytes } from "crypto";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { checkStack } from "./checkStack";
import { HostSlots } from "./hostSlots";
import type { DriftOptions } from "./options";
import { Env, secretsEnvForStack } from "./passphrase";
import { mapBounded } from "./pool";
import { exitCode } from "./report";
import { stacksOfShard } from "./shard";
import type { FleetReport, StackReport } from "./types";

export async function driftReport(
  options: DriftOptions,
  context: { pulumi: PulumiCommand; secretsEnv: Env; now?: Date; onStackDone?: (report: StackReport) => void },
): Promise<FleetReport> {
  const started = Date.now();
  const today = context.now ?? new Date();
  const fleet = options.stacks.length > 0 ? options.stacks : await projectStacks(options.projectDir, context.pulumi);
  const names = options.shard ? stacksOfShard(fleet, options.shard) : fleet;
  const hostSlots = new HostSlots(options.perHost);
  // Stacks of one site share the logged-in session of this report (moodle/sessionCarry.ts), so a site
  // whose admin needs a TOTP code spends one, not one per stack and a wait for the next period each.
  const sessionScope = process.env.MOODLE_PERCIPIO_SESSION_SCOPE || `drift:${randomBytes(12).toString("hex")}`;
  const stacks = await mapBounded(names, options.concurrency, async (name) => {
    const report = await checkStack(name, {
      projectDir: options.projectDir,
      pulumi: context.pulumi,
      envVars: {
        // A drift check needs no type-check of the program (Pulumi's documented switch; it halves the run).
        PULUMI_NODEJS_TRANSPILE_ONLY: process.env.PULUMI_NODEJS_TRANSPILE_ONLY ?? "true",
        MOODLE_PERCIPIO_SESSION_SCOPE: sessionScope,
        ...secretsEnvForStack(name, context.secretsEnv),
      },
      repair: options.repair,
      expiryWarningDays: options.expiryWarningDays,
      today,
      hostSlots,
    });
    context.onStackDone?.(report);
    return report;
  });
  return {
    generatedAt: today.toISOString(),
    durationMs: Date.now() - started,
    concurrency: options.concurrency,
    perHost: options.perHost,
    stacks,
    exitCode: exitCode(stacks),
    ...(options.shard ? { shard: { ...options.shard, fleet: [...fleet].sort() } } : {}),
  };
}

/** Every stack of this project in the current backend (PULUMI_BACKEND_URL or `pulumi login`). */
async function projectStacks(projectDir: string, pulumi: PulumiCommand): Promise<string[]> {
  const workspace = await LocalWorkspace.create({ workDir: projectDir, pulumiCommand: pulumi });
  return (await workspace.listStacks()).map((s) => s.name).sort();
}
