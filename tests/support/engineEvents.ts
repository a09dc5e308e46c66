// What the engine's event stream says about the steps it took (Automation API `onEvent`).
import type { EngineEvent } from "@pulumi/pulumi/automation";

/** The engine's completed operations ("create-replacement", "delete-replaced", ...) on resources of a type, in order. */
export function completedOps(events: EngineEvent[], typeSuffix: string): string[] {
  return events
    .map((e) => e.resOutputsEvent?.metadata)
    .filter((m) => !!m && m.type.endsWith(typeSuffix))
    .map((m) => m!.op);
}

/** Whether a replacement's creation completed before the replaced resource's deletion. */
export function createdBeforeDeleted(events: EngineEvent[], typeSuffix: string): boolean {
  const ops = completedOps(events, typeSuffix);
  const created = ops.indexOf("create-replacement");
  return created >= 0 && created < ops.indexOf("delete-replaced");
}
