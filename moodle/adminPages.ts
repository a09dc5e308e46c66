// Reading and writing admin/settings.php sections (core "Advanced features" and plugin settings pages
// share the same form: hidden section/action/sesskey/return plus s_<plugin>_<name> inputs).
import { MoodleError } from "./errors";
import { parseErrorPage } from "./parsers/common";
import { AdminSettingsPage, parseAdminSettingsPage } from "./parsers/adminSettings";
import type { MoodleSession } from "./session";

export function settingsPath(section: string): string {
  return `/admin/settings.php?section=${encodeURIComponent(section)}`;
}

/** `reuse`: a page read since the last write will do (see PageRequest.reuse). */
export async function readSettingsSection(session: MoodleSession, step: string, section: string, reuse = false): Promise<AdminSettingsPage> {
  const page = await session.request({ step, path: settingsPath(section), reuse });
  const parsed = parseAdminSettingsPage(page.body);
  if (page.status !== 200 || parsed.section !== section) {
    const err = parseErrorPage(page.body);
    throw new MoodleError(step, settingsPath(section).split("?")[0], err ? `Moodle said "${err.message}"` : `settings section "${section}" not found (HTTP ${page.status})`);
  }
  return parsed;
}

/**
 * Refuses, before any write, to change settings defined in config.php: Moodle would answer the POST
 * with its usual 303 and keep the forced value. `names` are setting names (enablewebservices, clientid).
 */
export function refuseForced(page: AdminSettingsPage, names: string[], step: string, where: string): void {
  const forced = names.filter((n) => page.forced.includes(n));
  if (forced.length === 0) return;
  throw new MoodleError(
    step,
    "/admin/settings.php",
    `${forced.join(", ")} ${forced.length === 1 ? "is" : "are"} defined in Moodle's config.php ($CFG${where}), which the admin page cannot change; ` +
      "change or remove it there (or leave this setting to config.php)",
  );
}

export type WriteOutcome =
  | { kind: "saved" }
  /** 200 re-render: errors per setting name (empty when Moodle silently refused, e.g. a bad sesskey). */
  | { kind: "rejected"; page: AdminSettingsPage };

/** POSTs only the given inputs: Moodle writes exactly the posted settings and leaves the rest alone. */
export async function writeSettingsSection(
  session: MoodleSession,
  step: string,
  section: string,
  inputs: Record<string, string>,
): Promise<WriteOutcome> {
  const page = await session.request({
    step,
    method: "POST",
    path: settingsPath(section),
    form: (sesskey) => ({ section, action: "save-settings", sesskey, return: "", ...inputs }),
    // Setting values is idempotent: a replay writes the same values again.
    idempotent: true,
    // Only the posted settings are written, and they are all on this section's page.
    invalidates: [settingsPath(section)],
  });
  if (page.status >= 300 && page.status < 400) return { kind: "saved" };
  if (page.status === 200) return { kind: "rejected", page: parseAdminSettingsPage(page.body) };
  const err = parseErrorPage(page.body);
  throw new MoodleError(step, "/admin/settings.php", err ? `Moodle said "${err.message}"` : `unexpected HTTP ${page.status}`);
}
