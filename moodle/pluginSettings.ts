// Site administration > Plugins > Activity modules > Percipio (config plugin "percipio", inputs s_percipio_<name>).
import { PERCIPIO_SETTING_NAMES, PercipioSettingName, PercipioPluginSettings } from "./types";
import { MoodleError, MoodleNotAppliedError, MoodleValidationError } from "./errors";
import { readSettingsSection, refuseForced, writeSettingsSection } from "./adminPages";
import type { AdminSettingsPage } from "./parsers/adminSettings";
import type { MoodleSession } from "./session";

const SECTION = "modsettingpercipio";
const PATH = "/admin/settings.php";
/** Values that must not appear in messages. */
const SECRET: ReadonlySet<string> = new Set(["clientsecret", "bearertoken"]);
/** Written by the plugin at run time into the same config namespace; never settings. */
const RUNTIME_KEYS = new Set(["oauthToken", "oauthTokenExpiry", "tokenExpiryTime"]);

const input = (name: string) => `s_percipio_${name}`;

function toSettings(page: AdminSettingsPage, step: string): PercipioPluginSettings {
  const missing = PERCIPIO_SETTING_NAMES.filter((n) => !(input(n) in page.values));
  if (missing.length === PERCIPIO_SETTING_NAMES.length) {
    throw new MoodleError(step, PATH, "the Percipio settings page has no s_percipio_* fields; is mod_percipio installed?");
  }
  if (missing.length) throw new MoodleError(step, PATH, `the Percipio settings page lacks ${missing.join(", ")} (a different mod_percipio version?)`);
  const out = {} as PercipioPluginSettings;
  for (const n of PERCIPIO_SETTING_NAMES) {
    // A stored value that is not an option (set via CLI) is shown with the default preselected;
    // the stored value is the truth, the preselection is only what a browser save would write.
    out[n] = page.invalidCurrent[n] ?? page.values[input(n)];
  }
  return out;
}

async function readPage(session: MoodleSession, step: string, reuse = false): Promise<AdminSettingsPage> {
  try {
    return await readSettingsSection(session, step, SECTION, reuse);
  } catch (e) {
    if (e instanceof MoodleError && e.constructor === MoodleError) {
      throw new MoodleError(step, PATH, `${e.detail}; is mod_percipio installed?`);
    }
    throw e;
  }
}

export async function pluginSettings(session: MoodleSession, reuse = false): Promise<PercipioPluginSettings> {
  const step = "read Percipio settings";
  return toSettings(await readPage(session, step, reuse), step);
}

export async function setPluginSettings(session: MoodleSession, values: Partial<PercipioPluginSettings>): Promise<void> {
  const names = Object.keys(values).filter((k) => values[k as PercipioSettingName] !== undefined);
  const step = `save Percipio settings (${names.join(", ")})`;
  const unknown = names.filter((n) => !(PERCIPIO_SETTING_NAMES as readonly string[]).includes(n));
  if (unknown.length) {
    const runtime = unknown.filter((n) => RUNTIME_KEYS.has(n));
    throw new MoodleError(
      step,
      PATH,
      `not Percipio settings: ${unknown.join(", ")}${runtime.length ? ` (${runtime.join(", ")} are written by the plugin at run time)` : ""}`,
    );
  }
  if (names.length === 0) return;

  const before = await readPage(session, step, true);
  const current = toSettings(before, step);
  const wanted = names as PercipioSettingName[];
  // A select value outside its options is dropped by Moodle without a word; reject it up front.
  const badOption: Record<string, string[]> = {};
  for (const n of wanted) {
    const opts = before.options[input(n)];
    if (opts && !opts.includes(values[n]!)) badOption[n] = [`"${values[n]}" is not one of ${opts.join(", ")}`];
  }
  if (Object.keys(badOption).length) throw new MoodleValidationError(step, PATH, badOption, "invalid option");

  const changed = wanted.filter((n) => current[n] !== values[n] || before.invalidCurrent[n] !== undefined);
  if (changed.length === 0) return;
  refuseForced(before, changed, step, "->forced_plugin_settings['percipio']");
  const inputs: Record<string, string> = {};
  for (const n of changed) inputs[input(n)] = values[n]!;

  const out = await writeSettingsSection(session, step, SECTION, inputs);
  // A 303 means every posted setting passed its validation and was stored as sent; the checks above
  // rule out the cases Moodle also answers with a 303 without storing (a forced setting, a select value
  // outside its options, an input the page does not have), so no read-back is needed.
  if (out.kind === "saved") return;
  // The re-rendered page shows the rejected values; state is only read from a fresh GET.
  if (Object.keys(out.page.errors).length) {
    throw new MoodleValidationError(step, PATH, out.page.errors, out.page.someNotChanged ? "Some settings were not changed due to an error" : undefined);
  }
  const after = toSettings(await readPage(session, step), step);
  const notApplied = changed.filter((n) => after[n] !== values[n]);
  if (notApplied.length) {
    const describe = (n: PercipioSettingName) => (SECRET.has(n) ? n : `${n} (wanted "${values[n]}", Moodle has "${after[n]}")`);
    throw new MoodleNotAppliedError(step, PATH, `not saved: ${notApplied.map(describe).join(", ")}`);
  }
}
