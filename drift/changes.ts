// The resources a preview or an up changes, from the engine's events: names of fields only, never values.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { ResourceChange } from "./types";

const UNCHANGED_OPS = new Set(["same", "refresh", "read", "read-discard", "discard"]);
/** A replacement is reported once, by its "replace" step, not by the steps it is made of. */
const REPLACEMENT_PARTS = new Set(["create-replacement", "delete-replaced", "discard-replaced", "import-replacement", "remove-pending-replace"]);

/**
 * Dynamic providers return no detailed diff, so the fields are the inputs whose old (live, after the
 * refresh) and new (program) values differ, plus any key the engine named. Secret inputs reach the
 * event stream as "[secret]" on both sides, so a changed secret shows as its name only, if at all.
 */
export function changesFromEvents(events: readonly EngineEvent[]): ResourceChange[] {
  const changes: ResourceChange[] = [];
  for (const event of events) {
    const step = event.resourcePreEvent?.metadata;
    if (!step || UNCHANGED_OPS.has(step.op) || REPLACEMENT_PARTS.has(step.op)) continue;
    if (step.type === "pulumi:pulumi:Stack" || step.type.startsWith("pulumi:providers:")) continue;
    const fields = new Set<string>([...(step.diffs ?? []), ...(step.keys ?? []), ...differingKeys(step.old?.inputs, step.new?.inputs)]);
    changes.push({
      type: step.type.split(":").pop() as string,
      name: step.urn.split("::").pop() as string,
      op: step.op,
      // A create or delete has only one side to compare.
      fields: step.old && step.new ? [...fields].sort() : [],
    });
  }
  return changes;
}

/**
 * The same, from a refresh that did not run the program (the inputs the last up applied are
 * unchanged): each resource whose read-back differs from the state, with the outputs that differ
 * (the providers mirror every managed input in their outputs, under the same names). A resource
 * gone from Moodle is what the next up creates again, as a preview would say.
 */
export function changesFromRefreshEvents(events: readonly EngineEvent[]): ResourceChange[] {
  const changes: ResourceChange[] = [];
  for (const event of events) {
    const step = event.resOutputsEvent?.metadata;
    if (!step || (step.op !== "update" && step.op !== "delete")) continue;
    if (step.type === "pulumi:pulumi:Stack" || step.type.startsWith("pulumi:providers:")) continue;
    changes.push({
      type: step.type.split(":").pop() as string,
      name: step.urn.split("::").pop() as string,
      op: step.op === "delete" ? "create" : "update",
      fields: step.op === "delete" ? [] : [...new Set([...differingKeys(step.old?.outputs, step.new?.outputs), ...refusals(step.new?.outputs)])].sort(),
    });
  }
  return changes;
}

/**
 * Outputs in which Moodle refuses what the stack needs (the token's acceptedByMoodle, "refused: <why>"):
 * drift even when a failed up already recorded the refusal, so old and new agree.
 */
function refusals(outputs: Record<string, unknown> = {}): string[] {
  return Object.keys(outputs).filter((k) => typeof outputs[k] === "string" && (outputs[k] as string).startsWith("refused: "));
}

function differingKeys(olds: Record<string, unknown> = {}, news: Record<string, unknown> = {}): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !k.startsWith("__") && JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

/** "WebServices.enabled", "WebServiceToken (create)": how a change is shown in the table. */
export function describeChange(change: ResourceChange): string {
  if (change.fields.length > 0) return change.fields.map((f) => `${change.type}.${f}`).join(", ");
  return `${change.type} (${change.op})`;
}
