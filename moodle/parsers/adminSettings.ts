import { alertTexts, clean, load } from "./common";

export interface AdminSettingsPage {
  section?: string;
  sesskey?: string;
  /** Effective value per input name (`s__enablewebservices` -> "1"), as a browser would submit it. */
  values: Record<string, string>;
  /** Options per select input name. */
  options: Record<string, string[]>;
  changesSaved: boolean;
  /** "Some settings were not changed due to an error." was shown: inputs then hold the rejected values. */
  someNotChanged: boolean;
  /** Messages per setting name (from `div#admin-<name>`). */
  errors: Record<string, string[]>;
  /** Select settings whose stored value is not an option: setting name -> stored value ("Invalid current value: foo"). */
  invalidCurrent: Record<string, string>;
  /**
   * Settings defined in config.php: Moodle shows their forced value with an info notice in the label
   * ("Defined in config.php", format_admin_setting's override) and answers a write with the usual 303
   * while the value stays. Found by the notice's place and class, not its (translated) words.
   */
  forced: string[];
}

export function parseAdminSettingsPage(html: string): AdminSettingsPage {
  const $ = load(html);
  const form = $("form#adminsettings");
  const values: Record<string, string> = {};
  const options: Record<string, string[]> = {};

  form.find("input[name], select[name], textarea[name]").each((_, el) => {
    const e = $(el);
    const name = e.attr("name")!;
    const tag = (el as { tagName?: string }).tagName?.toLowerCase();
    if (tag === "select") {
      const opts = e.find("option");
      options[name] = opts.toArray().map((o) => $(o).attr("value") ?? clean($(o).text()));
      const sel = opts.filter((_, o) => $(o).attr("selected") !== undefined).first();
      values[name] = (sel.length ? sel : opts.first()).attr("value") ?? "";
    } else if (tag === "textarea") {
      values[name] = e.text();
    } else {
      const type = (e.attr("type") ?? "text").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        // The hidden twin (value 0) comes first; a checked box overrides it.
        if (e.attr("checked") !== undefined) values[name] = e.attr("value") ?? "on";
        else if (!(name in values)) values[name] = "";
      } else if (type !== "submit" && type !== "button") {
        values[name] = e.attr("value") ?? "";
      }
    }
  });

  const errors: Record<string, string[]> = {};
  const invalidCurrent: Record<string, string> = {};
  const forced: string[] = [];
  $('div[id^="admin-"]').each((_, el) => {
    const d = $(el);
    const setting = d.attr("id")!.slice("admin-".length);
    if (d.find(".form-label .alert-info").length) forced.push(setting);
    const msgs = d.find("span.error").toArray().map((s) => clean($(s).text())).filter(Boolean);
    if (msgs.length) errors[setting] = msgs;
    const m = /Invalid current value:\s*(.*)$/.exec(clean(d.find("label").text()));
    if (m) invalidCurrent[setting] = m[1].trim();
  });

  const alerts = alertTexts($);
  return {
    section: form.find('input[name="section"]').attr("value"),
    sesskey: form.find('input[name="sesskey"]').attr("value"),
    values,
    options,
    changesSaved: alerts.some((t) => t.startsWith("Changes saved")),
    someNotChanged: alerts.some((t) => t.includes("Some settings were not changed")),
    errors,
    invalidCurrent,
    forced,
  };
}
