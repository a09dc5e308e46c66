// One stack's check through the Automation API: is Moodle there, what would a refreshing preview
// change, when does the token expire; and, when asked, an `up` that puts drift back.
import { EngineEvent, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { programFingerprint } from "../config/programFingerprint";
import { changesFromEvents, changesFromRefreshEvents } from "./changes";
import { engineFailure } from "./errors";
import { HostSlots, hostOf } from "./hostSlots";
import { probe } from "./reachability";
import { tokenExpiryFromState } from "./tokenExpiry";
import type { StackReport } from "./types";

export interface CheckOptions {
  projectDir: string;
  pulumi: PulumiCommand;
  /** Extra environment for this stack's engine runs (its passphrase). */
  envVars: Record<string, string>;
  repair: boolean;
  expiryWarningDays: number;
  today: Date;
  /** Limits the stacks that talk to one Moodle host at once (the probe, the preview and a repair). */
  hostSlots?: HostSlots;
}

export async function checkStack(name: string, options: CheckOptions): Promise<StackReport> {
  const started = Date.now();
  const report: StackReport = {
    stack: name,
    moodleUrl: "",
    status: "error",
    changes: [],
    token: { validUntil: null, daysToExpiry: null, expiresSoon: false },
    durationMs: 0,
  };
  const events: EngineEvent[] = [];
  try {
    const workspace = await LocalWorkspace.create({ workDir: options.projectDir, pulumiCommand: options.pulumi, envVars: options.envVars });
    const stack = await Stack.select(name, workspace);
    // Exported state holds secrets as ciphertext: the URL and the token's expiry are read without decrypting anything.
    const state = (await stack.exportStack()).deployment as { resources?: { type?: string; outputs?: Record<string, any> }[] };
    const resources = state.resources ?? [];
    report.token = tokenExpiryFromState(resources, options.today, options.expiryWarningDays);
    // The last up applied exactly these inputs: running the program again would plan nothing new, so
    // reading every resource back (a refresh, without the program) tells all there is to tell.
    const applied = stackOutput(resources, "programFingerprint");
    const unchanged = applied !== "" && applied === programFingerprint(options.projectDir, name);
    // Unchanged inputs mean an unchanged moodle:url, which the last up recorded.
    report.moodleUrl = (unchanged && stackOutput(resources, "moodleUrl")) || (await configuredUrl(stack)) || stackOutput(resources, "moodleUrl");
    const talkToMoodle = async () => {
      if (report.moodleUrl) {
        const reach = await probe(report.moodleUrl);
        if (!reach.reachable) {
          report.status = "unreachable";
          report.message = reach.reason;
          return;
        }
      }
      report.check = unchanged ? "refresh" : "preview";
      const onEvent = (e: EngineEvent) => events.push(e);
      const result = unchanged
        ? await stack.previewRefresh({ color: "never", onEvent })
        : await stack.preview({ refresh: true, color: "never", onEvent });
      report.changes = unchanged ? changesFromRefreshEvents(events) : changesFromEvents(events);
      const summary = result.changeSummary as Record<string, number>;
      const changed = Object.entries(summary).some(([op, count]) => op !== "same" && count > 0);
      report.status = changed || report.changes.length > 0 ? "drift" : "clean";
      if (report.status === "drift" && options.repair) report.repair = await repair(stack, name);
    };
    // Without a URL the preview fails on config before it reaches any Moodle: nothing to limit.
    await (report.moodleUrl && options.hostSlots ? options.hostSlots.run(hostOf(report.moodleUrl), talkToMoodle) : talkToMoodle());
  } catch (err) {
    report.message = engineFailure(err, events, name);
    report.status = locksOut(report.message) ? "locked" : "error";
  } finally {
    report.durationMs = Date.now() - started;
  }
  return report;
}

async function repair(stack: Stack, name: string): Promise<StackReport["repair"]> {
  const events: EngineEvent[] = [];
  try {
    await stack.up({ refresh: true, color: "never", onEvent: (e) => events.push(e) });
    return { status: "repaired", changes: changesFromEvents(events) };
  } catch (err) {
    return { status: "failed", changes: changesFromEvents(events), message: engineFailure(err, events, name) };
  }
}

/**
 * Whether Moodle locked the admin out: the client's errors say "the account is locked" (lockoutthreshold)
 * or "second factor is locked" (tool_mfa's lockout). A person must unlock it; retrying cannot help.
 */
export function locksOut(message: string): boolean {
  return /\b(the account is locked|second factor is locked)\b/.test(message);
}

/** moodle:url as configured (not secret); "" when unset or unreadable (the preview will say why). */
async function configuredUrl(stack: Stack): Promise<string> {
  try {
    return (await stack.getConfig("moodle:url")).value;
  } catch {
    return "";
  }
}

function stackOutput(resources: readonly { type?: string; outputs?: Record<string, any> }[], key: string): string {
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
  const value = root?.outputs?.[key];
  return typeof value === "string" ? value : "";
}
