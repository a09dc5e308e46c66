// Site administration > General > Advanced features > "Enable web services" (config enablewebservices).
import { MoodleError, MoodleNotAppliedError, MoodleValidationError } from "./errors";
import { readSettingsSection, refuseForced, writeSettingsSection } from "./adminPages";
import type { AdminSettingsPage } from "./parsers/adminSettings";
import type { MoodleSession } from "./session";

const SECTION = "optionalsubsystems";
const INPUT = "s__enablewebservices";

const isOn = (page: AdminSettingsPage) => page.values[INPUT] === "1";

export async function webServicesEnabled(session: MoodleSession, reuse = false): Promise<boolean> {
  return isOn(await readSettingsSection(session, "read web services setting", SECTION, reuse));
}

export async function setWebServicesEnabled(session: MoodleSession, enabled: boolean): Promise<void> {
  const step = `${enabled ? "enable" : "disable"} web services`;
  const before = await readSettingsSection(session, step, SECTION, true);
  if (!(INPUT in before.values)) throw new MoodleError(step, "/admin/settings.php", `no ${INPUT} input on the Advanced features page`);
  if (isOn(before) === enabled) return;
  refuseForced(before, ["enablewebservices"], step, "->enablewebservices");
  const out = await writeSettingsSection(session, step, SECTION, { [INPUT]: enabled ? "1" : "0" });
  // A 303 saved it: the setting is on the page and not forced (both checked above), and a checkbox has no invalid value.
  if (out.kind === "saved") return;
  if (Object.keys(out.page.errors).length) throw new MoodleValidationError(step, "/admin/settings.php", out.page.errors);
  // A re-rendered page without errors is how a bad sesskey looks: nothing saved, or so it seems; Moodle decides.
  if ((await webServicesEnabled(session)) !== enabled) {
    throw new MoodleNotAppliedError(step, "/admin/settings.php", `enablewebservices still ${enabled ? "off" : "on"} after saving`);
  }
}
