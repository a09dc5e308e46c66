// The fleet report in three forms: a table for people, JSON for scripts, JUnit XML for CI systems.
import { describeChange } from "./changes";
import type { FleetReport, StackReport } from "./types";

export const EXIT_CLEAN = 0;
export const EXIT_ERROR = 1;
export const EXIT_DRIFT = 2;

/** A stack whose Moodle could not be compared with it: nothing answered, the admin is locked out, or the check failed. */
function cannotCheck(s: StackReport): boolean {
  return s.status === "unreachable" || s.status === "locked" || s.status === "error";
}

/**
 * 1 when any stack could not be checked (error, unreachable, locked) or a repair failed; else 2 when a stack
 * drifted and was not repaired, or a token expires within the warning window; else 0.
 */
export function exitCode(stacks: readonly StackReport[]): number {
  if (stacks.some((s) => cannotCheck(s) || s.repair?.status === "failed")) return EXIT_ERROR;
  const needsAction = (s: StackReport) => (s.status === "drift" && s.repair?.status !== "repaired") || s.token.expiresSoon;
  return stacks.some(needsAction) ? EXIT_DRIFT : EXIT_CLEAN;
}

export function tokenColumn(s: StackReport): string {
  if (s.token.validUntil === null) return "unknown";
  if (s.token.validUntil === "") return "never expires";
  const days = `${s.token.daysToExpiry} days (${s.token.validUntil})`;
  return s.token.expiresSoon ? `${days} RENEW SOON` : days;
}

function changesColumn(s: StackReport): string {
  if (cannotCheck(s)) return firstLine(s.message ?? "");
  const changes = s.changes.map(describeChange).join("; ") || "-";
  if (!s.repair) return changes;
  return s.repair.status === "repaired"
    ? `${changes} -> repaired: ${s.repair.changes.map(describeChange).join("; ") || "nothing to change"}`
    : `${changes} -> repair FAILED: ${firstLine(s.repair.message ?? "")}`;
}

export function table(report: FleetReport): string {
  const header = ["STACK", "MOODLE URL", "STATUS", "CHANGES", "TOKEN EXPIRES IN"];
  const rows = report.stacks.map((s) => [s.stack, s.moodleUrl || "-", s.status, changesColumn(s), tokenColumn(s)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  const problems = (report.problems ?? []).map((p) => `ERROR: ${p}`);
  return [...lines, ...(problems.length ? ["", ...problems] : [])].join("\n");
}

export function json(report: FleetReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

/** One test case per stack: drift (or a token about to expire) is a failure, unreachable/error an error. */
export function junit(report: FleetReport): string {
  const cases = [...report.stacks.map(testCase), ...(report.problems ?? []).map(problemCase)];
  const failures = cases.filter((c) => c.kind === "failure").length;
  const errors = cases.filter((c) => c.kind === "error").length;
  const totals = `tests="${cases.length}" failures="${failures}" errors="${errors}" time="${seconds(report.durationMs)}"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="moodle drift" ${totals}>`,
    `  <testsuite name="moodle drift" ${totals} timestamp="${report.generatedAt}">`,
    ...cases.map((c) => c.xml),
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

function testCase(s: StackReport): { kind: "pass" | "failure" | "error"; xml: string } {
  const open = `    <testcase classname="drift" name="${xml(s.stack)}" time="${seconds(s.durationMs)}">`;
  const out = `      <system-out>${xml(`moodle:url ${s.moodleUrl || "-"}; status ${s.status}; token expires in ${tokenColumn(s)}`)}</system-out>`;
  const body: string[] = [];
  let kind: "pass" | "failure" | "error" = "pass";
  if (cannotCheck(s) || s.repair?.status === "failed") {
    kind = "error";
    const message = s.repair?.status === "failed" ? `repair failed: ${s.repair.message ?? ""}` : `${s.status}: ${s.message ?? ""}`;
    body.push(`      <error type="${s.status}" message="${xml(firstLine(message))}">${xml(message)}</error>`);
  } else if ((s.status === "drift" && s.repair?.status !== "repaired") || s.token.expiresSoon) {
    kind = "failure";
    const message = s.status === "drift" ? `drift: ${changesColumn(s)}` : `token expires in ${tokenColumn(s)}`;
    body.push(`      <failure type="${s.status === "drift" ? "drift" : "token-expiry"}" message="${xml(message)}">${xml(message)}</failure>`);
  }
  return { kind, xml: [open, ...body, out, `    </testcase>`].join("\n") };
}

/** A merged report's missing or failed shard: an error of its own, so CI never shows a partial fleet as green. */
function problemCase(problem: string, i: number): { kind: "error"; xml: string } {
  return {
    kind: "error",
    xml: [
      `    <testcase classname="drift" name="${xml(`shards (${i + 1})`)}" time="0.000">`,
      `      <error type="shard" message="${xml(problem)}">${xml(problem)}</error>`,
      `    </testcase>`,
    ].join("\n"),
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // Control characters are not allowed in XML 1.0 (engine output may carry ANSI escapes).
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}
