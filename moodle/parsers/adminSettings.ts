import { clean, load, notifications } from "./common";

/**
 * The stored value inside a translated warningcurrentsetting text: what follows its first colon. Every
 * language pack puts {$a} after a colon ("Invalid current value: foo", "Valeur actuelle non valide : foo",
 * "Aktueller Wert ist ungültig: foo"; zh_cn's fullwidth "当前值：{$a} 无效" keeps its trailing word); the
 * label before it has none, the value may ("https://x:8080"). Without a colon, the whole text.
 */
export function currentValueOf(warning: string): string {
  const m = /^[^:\uff1a]*[:\uff1a]\s*(.*)$/.exec(warning);
  return (m ? m[1] : warning).trim();
}

export interface AdminSettingsPage {
  section?: string;
  sesskey?: string;
  /** Effective value per input name (`s__enablewebservices` -> "1"), as a browser would submit it. */
  values: Record<string, string>;
  /** Options per select input name. */
  options: Record<string, string[]>;
  /** Moodle's "Changes saved" banner (a success notification), found by its type, not its words. */
  changesSaved: boolean;
  /**
   * "Some settings were not changed due to an error." (admin/settings.php's errorwithsettings, the only
   * error notification that page prints): inputs then hold the rejected values. Found by its type.
   */
  someNotChanged: boolean;
  /** Messages per setting name (from `div#admin-<name>`). */
  errors: Record<string, string[]>;
  /**
   * Select settings whose stored value is not an option: setting name -> stored value, from the warning
   * in the label (admin_setting_configselect's warningcurrentsetting, "Invalid current value: foo").
   */
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
    const warning = d.find(".form-label .alert-warning").first();
    if (warning.length) invalidCurrent[setting] = currentValueOf(clean(warning.text()));
  });

  return {
    section: form.find('input[name="section"]').attr("value"),
    sesskey: form.find('input[name="sesskey"]').attr("value"),
    values,
    options,
    changesSaved: notifications($, "success") > 0,
    someNotChanged: notifications($, "danger") > 0,
    errors,
    invalidCurrent,
    forced,
  };
}
