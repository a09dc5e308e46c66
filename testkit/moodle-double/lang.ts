// The language a page is rendered in, as Moodle picks it, and its words.
//
// current_language() (lib/moodlelib.php) takes, in this order: $SESSION->forcelang, the activity's
// language, the course's language unless the course is the site course (SITEID), $SESSION->lang,
// $USER->lang, $CFG->lang, "en". Every page the double serves belongs to the site course (admin pages,
// login, dashboard, front page), so a language forced on the front page (the site course's `lang`)
// never applies, exactly as on a real site.
//
// $SESSION->lang and ->forcelang come from lib/setup.php: `?lang=xx` (GET only) and `?forcelang=xx`
// (logged in, with moodle/site:forcelanguage) take effect only for a translation that exists, i.e.
// an installed pack that $CFG->langlist (when set) lets through (string_manager_standard's
// translation_exists($lang, false) / get_list_of_translations()); `?forcelang=` with anything else
// drops a forced language. setup_lang_from_browser() sets $SESSION->lang from Accept-Language when
// $CFG->autolang is on and neither the session nor the user has a language. At login
// (login/index.php) a user with a language of their own drops the session's language.
import type { DoubleState, DoubleUser } from "./state";
import { coreConfig } from "./state";
import type { Session } from "./sessions";
import { SETTING_LABELS, STRINGS, StringId } from "./lang-strings";

/** A fresh site has only English (lang/en in the code tree); packs go to moodledata/lang/<code>. */
export const DEFAULT_LANGUAGES: Record<string, string> = { en: "English \u200e(en)\u200e" };

function installed(state: DoubleState): Record<string, string> {
  return { ...DEFAULT_LANGUAGES, ...(state.languages ?? {}) };
}

/** get_list_of_translations(false): installed packs, only those in $CFG->langlist when it names any installed one. */
export function enabledTranslations(state: DoubleState): string[] {
  const all = Object.keys(installed(state));
  const list = (coreConfig(state, "langlist") ?? "")
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const enabled = all.filter((l) => list.includes(l));
  return enabled.length ? enabled : all;
}

/** translation_exists($lang, false). */
export function translationExists(state: DoubleState, lang: string): boolean {
  return enabledTranslations(state).includes(lang);
}

function userOf(state: DoubleState, session?: Session): DoubleUser | undefined {
  return session && session.userId > 1 ? state.users.find((u) => u.id === session.userId) : undefined;
}

/**
 * current_language() for a page of the site course (every page the double serves). The one function
 * the page renderers ask; a missing table for the result falls back to English words (see str()).
 */
export function pageLanguage(state: DoubleState, session?: Session): string {
  const lang = session?.forcelang || session?.lang || userOf(state, session)?.lang || coreConfig(state, "lang") || "en";
  return lang.replace("_utf8", "");
}

/** PARAM_SAFEDIR. */
function safeDir(v: string | undefined): string {
  return (v ?? "").replace(/[^a-zA-Z0-9_-]/g, "");
}

export interface LanguageRequest {
  method: string;
  /** Query string parameters (setup.php reads lang from $_GET only; forcelang from GET or POST). */
  query: Record<string, unknown>;
  body?: Record<string, unknown>;
  acceptLanguage?: string;
}

function one(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

/** lib/setup.php's language handling for one request, before the page runs. */
export function setupLanguage(state: DoubleState, session: Session, req: LanguageRequest): void {
  const lang = safeDir(one(req.query.lang));
  if (lang && translationExists(state, lang)) session.lang = lang;
  const forcelang = safeDir(one(req.body?.forcelang) ?? one(req.query.forcelang));
  if (forcelang) {
    // moodle/site:forcelanguage: site admins (and managers, which the double has none of).
    const user = userOf(state, session);
    if (user?.siteAdmin && translationExists(state, forcelang)) session.forcelang = forcelang;
    else delete session.forcelang;
  }
  languageFromBrowser(state, session, req.acceptLanguage);
}

/** setup_lang_from_browser(). */
function languageFromBrowser(state: DoubleState, session: Session, header: string | undefined): void {
  if (session.lang || userOf(state, session)?.lang || (coreConfig(state, "autolang") ?? "1") === "0" || !header) return;
  const ranked: { lang: string; q: number }[] = [];
  let order = 1.0;
  for (const raw of header.replace(/-/g, "_").split(",")) {
    const [code, param] = raw.split(";");
    if (param === undefined) {
      ranked.push({ lang: code, q: order });
      order -= 0.01;
    } else {
      ranked.push({ lang: code, q: Number(param.slice(param.indexOf("=") + 1)) });
    }
  }
  ranked.sort((a, b) => b.q - a.q);
  for (const { lang } of ranked) {
    const code = safeDir(lang.trim()).toLowerCase();
    if (translationExists(state, code)) {
      session.lang = code;
      return;
    }
  }
}

/** login/index.php after the password matched: a user's own language replaces the session's. */
export function languageAtLogin(session: Session, user: DoubleUser): void {
  if (user.lang) delete session.lang;
}

/** get_string(): the language's word, else English (Moodle's fallback for a missing string). */
export function str(lang: string, id: StringId, a?: string | number): string {
  const table = (STRINGS as Record<string, Partial<Record<StringId, string>>>)[lang] ?? {};
  const text = table[id] ?? STRINGS.en[id];
  return a === undefined ? text : text.replace("{$a}", String(a));
}

/** The label of an Advanced features setting in the language, else the double's English label. */
export function settingLabel(lang: string, name: string, english: string): string {
  return SETTING_LABELS[lang]?.[name] ?? english;
}
