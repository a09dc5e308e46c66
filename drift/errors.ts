// A failed engine run, said in a few lines a CI log can show: the engine's own error lines.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { passphraseVariables } from "./passphrase";

const MAX_LINES = 6;

export function engineFailure(err: unknown, events: readonly EngineEvent[], stack: string): string {
  const diagnostics = events
    .map((e) => e.diagnosticEvent)
    .filter((d) => d && d.severity === "error")
    .map((d) => d!.message.trim());
  const text = err instanceof Error ? err.message : String(err);
  const lines = diagnostics.length > 0 ? diagnostics : errorLines(text);
  const message = [...new Set(lines)].slice(0, MAX_LINES).join("\n");
  return withHint(message, stack);
}

/** The `error:` lines of the CLI's stderr, or its last lines when none is marked. */
function errorLines(text: string): string[] {
  const stderr = text.includes("stderr:") ? text.slice(text.indexOf("stderr:") + "stderr:".length) : text;
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const marked = lines.filter((l) => /^error:/i.test(l));
  return marked.length > 0 ? marked : lines.slice(-MAX_LINES);
}

function withHint(message: string, stack: string): string {
  if (!/passphrase/i.test(message)) return message;
  const vars = passphraseVariables(stack);
  return `${message}\nGive this stack's passphrase in ${vars.passphrase} or ${vars.file} (or PULUMI_CONFIG_PASSPHRASE for every stack).`;
}
