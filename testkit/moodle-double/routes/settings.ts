// admin/settings.php (all sections) and admin/webservice/protocols.php.
import type { Express, Request, Response } from "express";
import type { DoubleState } from "../state";
import { SectionDef, SettingDef, inputName, sectionsFor, validParam } from "../settings-defs";
import { SettingsView, settingsPage } from "../render/settings";
import { PROTOCOLS } from "../render/webservice";
import { DoubleContext, errorHtml, html, param, redirect, renderCtx, requireAdmin, sesskeyOk } from "./common";
import { pageLanguage, str } from "../lang";
import type { Session } from "../sessions";
import { MOBILE_SETTING, effectiveMobileSetting, writeMobileSetting } from "../mobile";

/** The value set in config.php, if any. */
export function forcedSetting(state: DoubleState, s: SettingDef): string | undefined {
  return s.plugin ? state.forced?.pluginConfig?.[s.plugin]?.[s.name] : state.forced?.config?.[s.name];
}

/** The effective value: config.php wins over the stored one (get_config / $CFG). */
export function readSetting(state: DoubleState, s: SettingDef): string | undefined {
  const value = forcedSetting(state, s) ?? (s.plugin ? state.pluginConfig[s.plugin]?.[s.name] : state.config[s.name]);
  return !s.plugin && s.name === MOBILE_SETTING ? effectiveMobileSetting(state, value) : value;
}

function writeSetting(state: DoubleState, s: SettingDef, value: string): void {
  if (!s.plugin && s.name === MOBILE_SETTING) writeMobileSetting(state, value);
  if (s.plugin) {
    state.pluginConfig[s.plugin] = { ...(state.pluginConfig[s.plugin] ?? {}), [s.name]: value };
  } else {
    state.config[s.name] = value;
  }
}

function allSections(d: DoubleContext): Record<string, SectionDef> {
  return sectionsFor(d.store.state.moodleVersion);
}

function storedValues(d: DoubleContext, section: SectionDef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of section.settings) out[inputName(s)] = readSetting(d.store.state, s) ?? s.defaultValue;
  return out;
}

function render(d: DoubleContext, res: Response, s: Session, section: SectionDef, view: Partial<SettingsView>): void {
  const forced = new Set(section.settings.filter((x) => forcedSetting(d.store.state, x) !== undefined).map(inputName));
  const full: SettingsView = {
    values: { ...storedValues(d, section), ...(view.values ?? {}) },
    errors: view.errors ?? {},
    errorAlert: view.errorAlert ?? false,
    forced,
  };
  html(res, 200, settingsPage(renderCtx(d, s), section, full));
}

function lastValue(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

export function settingsRoutes(app: Express, d: DoubleContext): void {
  app.get("/admin/settings.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const section = allSections(d)[param(req, "section") ?? ""];
    if (!section) {
      errorHtml(d, res, a.s, str(pageLanguage(d.store.state, a.s), "sectionerror"), "admin/sectionerror");
      return;
    }
    render(d, res, a.s, section, {});
  });

  app.post("/admin/settings.php", (req: Request, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const all = allSections(d);
    const section = all[param(req, "section") ?? ""];
    if (!section) {
      errorHtml(d, res, a.s, str(pageLanguage(d.store.state, a.s), "sectionerror"), "admin/sectionerror");
      return;
    }
    if (!sesskeyOk(req, a.s) || param(req, "action") !== "save-settings") {
      render(d, res, a.s, section, {});
      return;
    }
    // admin_write_settings() writes every posted setting of the whole admin tree, not only this section's.
    const body = (req.body ?? {}) as Record<string, unknown>;
    const state = d.store.state;
    const errors: Record<string, string> = {};
    const rejected: Record<string, string> = {};
    let changed = 0;
    for (const sec of Object.values(all)) {
      for (const setting of sec.settings) {
        const name = inputName(setting);
        const posted = lastValue(body[name]);
        if (posted === undefined) continue;
        const before = readSetting(state, setting);
        if (setting.kind === "checkbox") {
          writeSetting(state, setting, posted === "1" ? "1" : "0");
        } else if (setting.kind === "select") {
          if (!(setting.choices ?? []).some(([k]) => k === posted)) continue; // silently ignored
          writeSetting(state, setting, posted);
        } else {
          if (!validParam(setting.param, posted)) {
            errors[name] = str(pageLanguage(state, a.s), "validateerror");
            rejected[name] = posted;
            continue;
          }
          writeSetting(state, setting, posted);
        }
        if (readSetting(state, setting) !== before) changed++;
      }
    }
    d.store.save();
    if (Object.keys(errors).length > 0) {
      render(d, res, a.s, section, { values: rejected, errors, errorAlert: true });
      return;
    }
    if (changed > 0) a.s.flash.changesSaved = true;
    redirect(d, res, `/admin/settings.php?section=${section.name}`);
  });

  app.get("/admin/webservice/protocols.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const back = "/admin/settings.php?section=webserviceprotocols";
    if (!sesskeyOk(req, a.s)) {
      redirect(d, res, back);
      return;
    }
    const action = param(req, "action");
    const ws = param(req, "webservice") ?? "";
    const state = d.store.state;
    const raw = state.config.webserviceprotocols;
    let active = raw ? raw.split(",") : [];
    if (action === "disable") {
      active = active.filter((p) => p !== ws);
      state.config.webserviceprotocols = active.join(",");
      d.store.save();
    } else if (action === "enable" && PROTOCOLS.some(([p]) => p === ws)) {
      if (!active.includes(ws)) active.push(ws);
      state.config.webserviceprotocols = active.join(",");
      d.store.save();
    }
    redirect(d, res, back);
  });
}
