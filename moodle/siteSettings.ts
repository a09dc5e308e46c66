// Site administration > General > Advanced features > "Enable web services" (config enablewebservices).
import { MoodleNotAppliedError, MoodleValidationError } from "./errors";
import { readSettingsSection, writeSettingsSection } from "./adminPages";
import type { MoodleSession } from "./session";

const SECTION = "optionalsubsystems";
const INPUT = "s__enablewebservices";

export async function webServicesEnabled(session: MoodleSession, reuse = false): Promise<boolean> {
  const page = await readSettingsSection(session, "read web services setting", SECTION, reuse);
  return page.values[INPUT] === "1";
}

export async function setWebServicesEnabled(session: MoodleSession, enabled: boolean): Promise<void> {
  const step = `${enabled ? "enable" : "disable"} web services`;
  if ((await webServicesEnabled(session, true)) === enabled) return;
  const out = await writeSettingsSection(session, step, SECTION, { [INPUT]: enabled ? "1" : "0" });
  if (out.kind === "rejected" && Object.keys(out.page.errors).length) {
    throw new MoodleValidationError(step, "/admin/settings.php", out.page.errors);
  }
  // A re-rendered page without errors is how a bad sesskey looks: nothing saved. Read back either way.
  if ((await webServicesEnabled(session)) !== enabled) {
    throw new MoodleNotAppliedError(step, "/admin/settings.php", `enablewebservices still ${enabled ? "off" : "on"} after saving`);
  }
}
