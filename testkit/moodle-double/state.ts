// The double's whole site as one JSON document, with atomic persistence to an optional file.
import * as fs from "fs";
import * as path from "path";
import { settingDefaults } from "./settings-defs";
import { MoodleDoubleVersion, VERSIONS } from "./versions";

/** A role's permission for one capability (define_role's values; capabilities.ts decides with them). */
export type CapPermission = "allow" | "prevent" | "prohibit" | "inherit";

export interface DoubleUser {
  id: number;
  username: string;
  password: string;
  firstname: string;
  lastname: string;
  email: string;
  /** Site administrator (may open admin pages). */
  siteAdmin: boolean;
  suspended?: boolean;
  /** Moodle's auth_forcepasswordchange preference: every require_login page redirects to change_password.php. */
  forcePasswordChange?: boolean;
  /** The profile's preferred language (user->lang); absent or "" = none, the site default applies. */
  lang?: string;
  /** user.confirmed; absent = confirmed (1). A token of an unconfirmed user is refused (wsaccessuserunconfirmed). */
  confirmed?: boolean;
  /**
   * user.deleted: the row kept with deleted = 1. A real delete_user() also deletes the user's tokens
   * (lib/moodlelib.php:3692); set this alone to model a row flagged by SQL (wsaccessuserdeleted).
   */
  deleted?: boolean;
  /**
   * Role assignments (role_assignments): a role shortname (a standard role such as "editingteacher",
   * or a custom one defined in state.roleCapabilities) and its context, "system" when absent; any other
   * label (e.g. "course:2") is a context below the system one. See testkit/moodle-double/capabilities.ts.
   */
  roleAssignments?: DoubleRoleAssignment[];
  /**
   * user.auth: "manual" when absent. Only manual accounts log in with a password here; "saml2" and
   * "oidc" accounts are refused like a wrong password (their plugin's user_login() is false, and it
   * counts toward the lockout while the plugin is enabled in config.auth), "nologin" like a suspended one.
   */
  auth?: string;
  /** tool_mfa rows of this user (testkit/moodle-double/mfa.ts). */
  mfa?: DoubleUserMfa;
  /** The login lockout user preferences (lib/authlib.php, testkit/moodle-double/auth.ts). */
  lockout?: DoubleUserLockout;
}

/** A user's tool_mfa table rows, per factor. */
export interface DoubleUserMfa {
  /**
   * The factor_totp row (setup_user_factor()): `secret` Base32 as Moodle stores it, `lastverified` the
   * Unix time of the last accepted code (0 = never; it makes the same step's code "already used"),
   * `lockcounter` failed submissions since the last MFA pass.
   */
  totp?: { secret: string; lastverified: number; lockcounter: number; revoked?: boolean };
  /**
   * The factor_email rows. Moodle creates the base row itself for every user with a valid email while
   * factor_email is enabled, so this may stay absent; `revoked` turns the factor off for the user, `code`
   * is the row of the code last emailed (secret and when it was made).
   */
  email?: { lockcounter: number; revoked?: boolean; code?: { secret: string; timecreated: number } };
}

/** Preferences login_failed_count, login_failed_last, login_lockout, login_lockout_secret, login_lockout_ignored. */
export interface DoubleUserLockout {
  failedCount?: number;
  /** Unix seconds of the last counted failure. */
  failedLast?: number;
  /** Unix seconds the account was locked at; absent = not locked. */
  lockedAt?: number;
  /** The unlock link's secret, kept after an unlock (the emailed link keeps working). */
  secret?: string;
  /** An account that can never be locked out. */
  ignored?: boolean;
}

/** An email Moodle would have sent (email_to_user), kept so tests can see who was mailed what. */
export interface DoubleMail {
  to: string;
  subject: string;
  body: string;
  /** Unix seconds (the double's clock). */
  time: number;
}

export interface DoubleRoleAssignment {
  role: string;
  context?: string;
}

export interface DoubleService {
  id: number;
  name: string;
  shortname: string;
  /** "" for a custom service, e.g. "mod_percipio" for a built-in one (frozen fields). */
  component: string;
  enabled: boolean;
  restrictedusers: boolean;
  downloadfiles: boolean;
  uploadfiles: boolean;
  requiredcapability: string;
  functions: string[];
}

export interface DoubleServiceUser {
  serviceId: number;
  userId: number;
  iprestriction: string;
  validuntil: number;
}

export interface DoubleToken {
  id: number;
  /** 32 lowercase hex. */
  token: string;
  name: string;
  userId: number;
  serviceId: number;
  iprestriction: string;
  /** Unix seconds, 0 = never. */
  validuntil: number;
  /** Unix seconds, 0 = never used. */
  lastaccess: number;
  creatorId: number;
  timecreated: number;
}

export interface DoubleState {
  moodleVersion: MoodleDoubleVersion;
  release: string;
  version: string;
  /**
   * `lang`: the front page's forced language (course 1's `lang`). Moodle never applies a site course's
   * language (current_language() skips SITEID), so it changes no page; kept to prove exactly that.
   */
  site: { fullname: string; shortname: string; timezone: string; lang?: string };
  /**
   * Language packs installed in moodledata/lang besides English, code -> name ("fr": "Français ‎(fr)‎").
   * config.lang is the site default, config.langlist limits the offered ones (testkit/moodle-double/lang.ts).
   */
  languages?: Record<string, string>;
  /** Core config ($CFG); a missing key = variable not set (e.g. webserviceprotocols on a fresh site). */
  config: Record<string, string>;
  /** config_plugins, e.g. pluginConfig.percipio.clientid; runtime keys (oauthToken...) may be seeded too. */
  pluginConfig: Record<string, Record<string, string>>;
  /**
   * Settings set in config.php ($CFG->config_php_settings / $CFG->forced_plugin_settings): they win over
   * the stored values above, which admin pages can still write. Absent on a default site.
   */
  forced?: { config?: Record<string, string>; pluginConfig?: Record<string, Record<string, string>> };
  users: DoubleUser[];
  services: DoubleService[];
  serviceUsers: DoubleServiceUser[];
  tokens: DoubleToken[];
  /** Courses made by percipio_asset_import (id -> percipio id), so repeated imports "update". */
  percipioCourses: { moodlecourseid: number; percipioid: string }[];
  nextIds: { service: number; token: number; course: number };
  /** The token report's id (a reportbuilder_report row, site-specific); 1 when absent, as on the recording site. */
  tokenReportId?: number;
  /** Report-builder filter values per report and user (table reportbuilder_user_filter), key "reportId:userId". */
  reportFilters?: Record<string, Record<string, unknown>>;
  /** How the token report orders equal valid-until dates: "id" (default, as recorded) or "unstable" (see tokenReport.ts). */
  tokenReportTies?: "id" | "unstable";
  /**
   * Role definitions in the system context changed from a fresh site, role shortname -> capability ->
   * "allow" | "prevent" | "prohibit" | "inherit" (inherit removes an archetype default). A shortname that
   * is not a standard role defines a custom role. E.g. { user: { "webservice/rest:use": "allow" } } lets
   * every authenticated user use REST (testkit/moodle-double/capabilities.ts).
   */
  roleCapabilities?: Record<string, Record<string, CapPermission>>;
  /** Emails sent, oldest first (MFA codes, lockout notices); absent = none yet. */
  outbox?: DoubleMail[];
}

export const PERCIPIO_FUNCTIONS = ["percipio_asset_import", "percipio_progress_tracking", "percipio_image_upload"];

export const MOBILE_FUNCTIONS = ["core_webservice_get_site_info", "core_user_get_users_by_field", "core_course_get_courses"];

/** Core login settings of a fresh site: enabled auth plugins, alternate login URL, lockout (off). */
export const LOGIN_DEFAULTS: Record<string, string> = { auth: "email", alternateloginurl: "", lockoutthreshold: "0", lockoutwindow: "1800", lockoutduration: "1800" };

/**
 * tool_mfa and the two factors the double models, as a fresh 5.0 site installs them (admin settings
 * defaults): MFA off, lockout 10, TOTP off with a 15 s window, email on and ordered first (factor_email's
 * db/install.php sets factor_order=email).
 */
export const MFA_DEFAULTS: Record<string, Record<string, string>> = {
  tool_mfa: { enabled: "0", lockout: "10", factor_order: "email", redir_exclusions: "" },
  factor_totp: { enabled: "0", weight: "100", window: "15" },
  factor_email: { enabled: "1", weight: "100", duration: "1800" },
};

export const DEFAULT_ADMIN_PASSWORD = "Admin-Pass-1!";

export function defaultState(moodleVersion: MoodleDoubleVersion = "5.0", adminPassword = DEFAULT_ADMIN_PASSWORD): DoubleState {
  const v = VERSIONS[moodleVersion];
  const defaults = settingDefaults(moodleVersion);
  return {
    moodleVersion,
    release: v.release,
    version: v.version,
    site: { fullname: v.siteFullname, shortname: v.siteShortname, timezone: "Europe/London" },
    // Every served setting at its default; enablewebservices is off and webserviceprotocols unset,
    // as on a fresh site.
    // auth "email" as lib/db/install.php writes it; login lockout off (admin/settings/security.php).
    config: { enablewebservices: "0", lang: "en", ...defaults.config, ...LOGIN_DEFAULTS },
    pluginConfig: { ...defaults.pluginConfig, mod_percipio: { version: "2022022124" }, ...MFA_DEFAULTS },
    users: [
      {
        id: 2,
        username: "admin",
        password: adminPassword,
        firstname: "Admin",
        lastname: "User",
        email: "admin@example.com",
        siteAdmin: true,
      },
    ],
    services: [
      {
        id: 1,
        name: "Moodle mobile web service",
        shortname: "moodle_mobile_app",
        component: "moodle",
        enabled: false,
        restrictedusers: false,
        downloadfiles: true,
        uploadfiles: true,
        requiredcapability: "",
        functions: [...MOBILE_FUNCTIONS],
      },
      {
        id: v.percipioServiceId,
        name: "Percipio services",
        shortname: "Percipio-API",
        component: "mod_percipio",
        enabled: true,
        restrictedusers: false,
        downloadfiles: false,
        uploadfiles: false,
        requiredcapability: "",
        functions: [...PERCIPIO_FUNCTIONS],
      },
    ],
    serviceUsers: [],
    tokens: [],
    percipioCourses: [],
    nextIds: { service: v.percipioServiceId + 1, token: 1, course: 2 },
  };
}

/** A core setting as Moodle sees it ($CFG): a value from config.php wins over the stored one. */
export function coreConfig(state: DoubleState, name: string): string | undefined {
  return state.forced?.config?.[name] ?? state.config[name];
}

/** get_config(plugin, name): a value from config.php wins over the stored one; undefined = not set. */
export function pluginSetting(state: DoubleState, plugin: string, name: string): string | undefined {
  return state.forced?.pluginConfig?.[plugin]?.[name] ?? state.pluginConfig[plugin]?.[name];
}

/** email_to_user(): recorded in the outbox (the caller saves the state). */
export function sendMail(state: DoubleState, mail: DoubleMail): void {
  (state.outbox ??= []).push(mail);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON merge patch (RFC 7396): objects merge, arrays and scalars replace, null deletes. */
export function mergePatch<T>(target: T, patch: unknown): T {
  if (!isPlainObject(patch)) return patch as T;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out as T;
}

export class StateStore {
  private current: DoubleState;

  constructor(
    private readonly fresh: () => DoubleState,
    private readonly file?: string,
  ) {
    this.current = this.load() ?? fresh();
    this.save();
  }

  get state(): DoubleState {
    return this.current;
  }

  /** Deep copy, safe to hand out. */
  snapshot(): DoubleState {
    return JSON.parse(JSON.stringify(this.current)) as DoubleState;
  }

  reset(): void {
    this.current = this.fresh();
    this.save();
  }

  patch(partial: unknown): void {
    this.current = mergePatch(this.current, partial);
    this.save();
  }

  /** Call after every in-place mutation of `state`. */
  save(): void {
    if (!this.file) return;
    const dir = path.dirname(this.file);
    fs.mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.${Date.now()}.tmp`);
    fs.writeFileSync(tmp, JSON.stringify(this.current, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  private load(): DoubleState | undefined {
    if (!this.file || !fs.existsSync(this.file)) return undefined;
    const text = fs.readFileSync(this.file, "utf8");
    return JSON.parse(text) as DoubleState;
  }
}
