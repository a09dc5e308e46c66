// admin/settings.php pages: the adminsettings form with its setting items, plus the section-specific tables.
import { PERCIPIO_DEPENDENCIES, SectionDef, SettingDef, inputName, shortnameLabel } from "../settings-defs";
import { RenderCtx, bs, esc, langOf, notification, page, phpJson, t, vinfo } from "./layout";
import { settingLabel } from "../lang";
import { protocolsTable, servicesTables, overviewTable } from "./webservice";

export interface SettingsView {
  /** Displayed value per input name (stored value, or the rejected posted value for a field in error). */
  values: Record<string, string>;
  /** Error text per input name. */
  errors: Record<string, string>;
  /** "Some settings were not changed due to an error." */
  errorAlert: boolean;
  /** Input names of settings defined in config.php (format_admin_setting's "override"). */
  forced?: Set<string>;
}

function defaultLabel(ctx: RenderCtx, s: SettingDef): string {
  if (s.kind === "checkbox") return t(ctx, s.defaultValue === "1" ? "yes" : "no");
  if (s.kind === "select") return s.choices?.find(([k]) => k === s.defaultValue)?.[1] ?? s.defaultValue;
  return s.defaultValue === "" ? t(ctx, "emptysettingvalue") : s.defaultValue;
}

function settingItem(ctx: RenderCtx, s: SettingDef, view: SettingsView): string {
  const b4 = vinfo(ctx).bs4;
  const b = bs(ctx);
  const input = inputName(s);
  const value = view.values[input] ?? s.defaultValue;
  const error = view.errors[input];
  const ltr = s.kind === "text" && s.param !== "TEXT" ? "text-ltr" : "";
  let warning = "";
  let widget: string;
  if (s.kind === "checkbox") {
    widget = `        <div class="form-checkbox defaultsnext">
    <input type="hidden" name="${input}" value="0">
    <input  type="checkbox" name="${input}" value="1" id="id_${input}" ${value === "1" ? "checked" : ""}>
</div>`;
  } else if (s.kind === "select") {
    const choices = s.choices ?? [];
    const valid = choices.some(([k]) => k === value);
    if (!valid) warning = `\n                    <div class="alert alert-warning">${t(ctx, "warningcurrentsetting", esc(value))}</div>`;
    const selected = valid ? value : s.defaultValue;
    const opts = choices.map(([k, label]) => `            <option value="${esc(k)}" ${k === selected ? "selected" : ""}>${esc(label)}</option>`).join("\n");
    widget = `        <div class="${b4 ? "form-select defaultsnext" : "defaultsnext"}">
    <select  id="id_${input}" name="${input}" class="${b.select}">
${opts}
    </select>
</div>`;
  } else {
    widget = `        <div class="form-text defaultsnext">
    <input type="text" name="${input}" value="${esc(value)}" size="30" id="id_${input}" class="form-control ${ltr}"  >
</div>`;
  }
  // core_admin/setting: the override notice sits in the label, before a warning.
  const override = view.forced?.has(input) ? `\n                    <div class="alert alert-info">${t(ctx, "configoverride")}</div>` : "";
  const desc = s.description ? `<p>${esc(s.description)}</p>\n` : "";
  const dependent = s.dependent
    ? `\n        <div class="form-dependenton mb-4 text-muted">This setting may be hidden, based on the value of <strong>percipio | authenticationmethod</strong>.</div>`
    : "";
  return `<div class="form-item row" id="admin-${s.name}">
    <div class="form-label col-sm-3 text-sm-end">
            <label for="id_${input}">
                ${esc(s.plugin ? s.label : settingLabel(langOf(ctx), s.name, s.label))}${override}${warning}
            </label>
        <span class="form-shortname d-block small text-muted">${esc(shortnameLabel(s))}</span>
    </div>
    <div class="form-setting col-sm-9">${error ? `\n            <div><span class="error">${esc(error)}</span></div>` : ""}
${widget}
            <div class="form-defaultinfo text-muted ${ltr}">${t(ctx, "defaultsettinginfo", esc(defaultLabel(ctx, s)))}</div>
        <div class="${b4 ? "form-description mt-3" : "form-text mt-2"}">${desc}</div>${dependent}
    </div>
</div>`;
}

/** Core sections' headings in the page's language (the plugin's page keeps its English name). */
function sectionHeading(ctx: RenderCtx, section: SectionDef): string {
  switch (section.name) {
    case "optionalsubsystems":
      return t(ctx, "advancedfeatures");
    case "webserviceprotocols":
      return t(ctx, "manageprotocols");
    case "externalservices":
      return t(ctx, "externalservices");
    default:
      return section.heading;
  }
}

/** admin_externalpage titles: the page, then its categories up to "Administration". */
function sectionTitle(ctx: RenderCtx, section: SectionDef): string {
  const admin = t(ctx, "administration");
  const ws = `${t(ctx, "webservices")} | ${t(ctx, "server")} | ${admin}`;
  switch (section.name) {
    case "optionalsubsystems":
      return `${t(ctx, "advancedfeatures")} | ${admin}`;
    case "webserviceprotocols":
      return `${t(ctx, "manageprotocols")} | ${ws}`;
    case "externalservices":
      return `${t(ctx, "externalservices")} | ${ws}`;
    case "modsettingpercipio":
      return `${section.heading} | ${t(ctx, "activitymodules")} | ${t(ctx, "plugins")} | ${admin}`;
    default:
      return section.title;
  }
}

export function settingsPage(ctx: RenderCtx, section: SectionDef, view: SettingsView): string {
  const sk = ctx.session?.sesskey ?? "";
  const items = section.settings.map((s) => settingItem(ctx, s, view)).join("");
  let before = "";
  let after = "";
  if (section.name === "webserviceprotocols") before = protocolsTable(ctx);
  if (section.name === "externalservices") {
    before = `<h3 class="main">${t(ctx, "information")}</h3>
    <div class="box generalbox formsettingheading"><p>${t(ctx, "servicehelpexplanation")}</p>
</div>`;
    after = servicesTables(ctx);
  }
  if (section.name === "webservicesoverview") before = overviewTable(ctx);
  const hasButton = section.settings.length > 0;
  const form = `<form action="${ctx.base}/admin/settings.php?section=${section.name}" method="post" id="adminsettings">
    <div class="settingsform">
            <input type="hidden" name="section" value="${section.name}">
            <input type="hidden" name="action" value="save-settings">
        <input type="hidden" name="sesskey" value="${sk}">
        <input type="hidden" name="return" value="">
            <h2>${esc(sectionHeading(ctx, section))}</h2>
        <fieldset>
<div class="clearer"><!-- --></div>
${before}${items}${after}</fieldset>${
    hasButton
      ? `
            <div class="row">
                <div class="offset-sm-3 col-sm-3">
                    <button type="submit" class="btn btn-primary">${t(ctx, "adminsavechanges")}</button>
                </div>
            </div>`
      : ""
  }
    </div>
</form>`;
  const isPercipio = section.name === "modsettingpercipio";
  const bs4 = vinfo(ctx).bs4;
  const showhide =
    isPercipio && !bs4
      ? `<span id="settings-showhide-${Date.now().toString(16)}" data-dependencies="${esc(JSON.stringify(PERCIPIO_DEPENDENCIES))}"></span>`
      : "";
  const footerJs =
    isPercipio && bs4
      ? `require(['core/showhidesettings'], function(amd) {amd.init(${phpJson({ dependencies: PERCIPIO_DEPENDENCIES }).replace(/\\\//g, "/")}); M.util.js_complete('core/showhidesettings');});;`
      : undefined;
  const errorAlert = view.errorAlert ? notification(ctx, "danger", t(ctx, "errorwithsettings")) : "";
  return page(ctx, {
    title: sectionTitle(ctx, section),
    bodyId: `page-admin-setting-${section.name}`,
    bodyClass: "format-site admin path-admin path-admin-setting pagelayout-admin course-1 context-1",
    main: errorAlert + form + showhide,
    footerJs,
  });
}
