// Admin settings pages the double serves under admin/settings.php?section=...

export type ParamType = "ALPHANUMEXT" | "URL" | "TEXT";

export interface SettingDef {
  /** "" for core ($CFG), else the config_plugins plugin name. */
  plugin: string;
  name: string;
  label: string;
  kind: "checkbox" | "select" | "text";
  choices?: [string, string][];
  param?: ParamType;
  defaultValue: string;
  description?: string;
  /** Shown with the hide_if note (mod_percipio's OAuth/bearer fields). */
  dependent?: boolean;
}

export interface SectionDef {
  name: string;
  heading: string;
  title: string;
  settings: SettingDef[];
}

export function inputName(s: SettingDef): string {
  return s.plugin ? `s_${s.plugin}_${s.name}` : `s__${s.name}`;
}

export function shortnameLabel(s: SettingDef): string {
  return s.plugin ? `${s.plugin} | ${s.name}` : s.name;
}

const cb = (name: string, label: string, def: "0" | "1", plugin = ""): SettingDef => ({
  plugin,
  name,
  label,
  kind: "checkbox",
  defaultValue: def,
});

export function optionalSubsystems(analyticsDefault: "0" | "1"): SettingDef[] {
  return [
    cb("enableoutcomes", "Enable outcomes", "0"),
    cb("usecomments", "Enable comments", "1"),
    cb("usetags", "Enable tags functionality", "1"),
    cb("enablenotes", "Enable notes", "1"),
    cb("enableportfolios", "Enable portfolios", "0"),
    cb("enablewebservices", "Enable web services", "0"),
    cb("enablestats", "Enable statistics", "0"),
    cb("enablerssfeeds", "Enable RSS feeds", "0"),
    cb("enableblogs", "Enable blogs", "1"),
    {
      plugin: "",
      name: "mnet_dispatcher_mode",
      label: "Networking",
      kind: "select",
      choices: [
        ["off", "Off"],
        ["strict", "On"],
      ],
      defaultValue: "off",
    },
    cb("enablecompletion", "Enable completion tracking", "1"),
    cb("enableavailability", "Enable restricted access", "1"),
    cb("enableplagiarism", "Enable plagiarism plugins", "0"),
    cb("enablebadges", "Enable badges", "1"),
    cb("enableglobalsearch", "Enable global search", "0"),
    cb("allowstealth", "Allow stealth activities", "0"),
    cb("enableanalytics", "Analytics", analyticsDefault),
    cb("enabled", "Enable competencies", "1", "core_competency"),
    cb("messaging", "Enable messaging system", "1"),
    cb("enablecustomreports", "Enable custom reports", "1"),
    cb("allowemojipicker", "Emoji picker", "1"),
    cb("enableaccessibilitytools", "Enable accessibility tools", "1"),
    cb("enablemobilewebservice", "Enable web services for mobile devices", "0"),
    cb("enablemoodlenet", "Enable MoodleNet integration (inbound)", "1", "tool_moodlenet"),
  ];
}

const text = (name: string, label: string, param: ParamType, description: string, dependent: boolean): SettingDef => ({
  plugin: "percipio",
  name,
  label,
  kind: "text",
  param,
  defaultValue: "",
  description,
  dependent,
});

export const PERCIPIO_SETTINGS: SettingDef[] = [
  {
    plugin: "percipio",
    name: "authenticationmethod",
    label: "Authentication method",
    kind: "select",
    choices: [
      ["oauth", "OAuth"],
      ["service_account_bearer_token", "Service account"],
    ],
    defaultValue: "service_account_bearer_token",
    description: "Select authentication method, OAuth or service account",
  },
  text("clientid", "Client id", "ALPHANUMEXT", "For method - OAuth: Enter client id.", true),
  text("clientsecret", "Client secret", "ALPHANUMEXT", "For method - OAuth: Enter client secret.", true),
  text("scope", "Scope", "TEXT", "For method - OAuth: Enter scope.", true),
  text("bearertoken", "Bearer token", "TEXT", "For method - service account: Enter Bearer token from percipio.", true),
  text("oauthurl", "Percipio OAuth URL", "URL", "For method - OAuth: Enter percipio OAuth URL.", true),
  text("percipiourl", "Percipio API URL", "URL", "For method - service account: Enter Percipio API URL.", false),
  text("organizationid", "Organization id", "ALPHANUMEXT", "Percipio organization id.", false),
  {
    plugin: "percipio",
    name: "piiinfo",
    label: "Send PII information to percipio",
    kind: "select",
    choices: [
      ["yes", "Yes"],
      ["no", "No"],
    ],
    defaultValue: "no",
  },
];

export const PERCIPIO_DEPENDENCIES = {
  s_percipio_authenticationmethod: {
    eq: {
      service_account_bearer_token: ["s_percipio_clientid", "s_percipio_clientsecret", "s_percipio_scope", "s_percipio_oauthurl"],
      oauth: ["s_percipio_bearertoken"],
    },
  },
};

/** Moodle 4.5 installs with analytics on; 5.0 with it off. */
export function sectionsFor(moodleVersion: string): Record<string, SectionDef> {
  return sections(moodleVersion === "4.5" ? "1" : "0");
}

/** A fresh site's values of every setting the double serves: core ($CFG) and per plugin. */
export function settingDefaults(moodleVersion: string): { config: Record<string, string>; pluginConfig: Record<string, Record<string, string>> } {
  const config: Record<string, string> = {};
  const pluginConfig: Record<string, Record<string, string>> = {};
  for (const section of Object.values(sectionsFor(moodleVersion))) {
    for (const s of section.settings) {
      if (s.plugin) (pluginConfig[s.plugin] ??= {})[s.name] = s.defaultValue;
      else config[s.name] = s.defaultValue;
    }
  }
  return { config, pluginConfig };
}

export function sections(analyticsDefault: "0" | "1"): Record<string, SectionDef> {
  return {
    optionalsubsystems: {
      name: "optionalsubsystems",
      heading: "Advanced features",
      title: "Advanced features | Administration",
      settings: optionalSubsystems(analyticsDefault),
    },
    webserviceprotocols: {
      name: "webserviceprotocols",
      heading: "Manage protocols",
      title: "Manage protocols | Web services | Server | Administration",
      settings: [cb("enablewsdocumentation", "Web services documentation", "0")],
    },
    externalservices: {
      name: "externalservices",
      heading: "External services",
      title: "External services | Web services | Server | Administration",
      settings: [],
    },
    webservicesoverview: {
      name: "webservicesoverview",
      heading: "Overview",
      title: "Overview | Web services | Server | Administration",
      settings: [],
    },
    modsettingpercipio: {
      name: "modsettingpercipio",
      heading: "Percipio",
      title: "Percipio | Activity modules | Plugins | Administration",
      settings: PERCIPIO_SETTINGS,
    },
  };
}

/** clean_param() equivalence check used by admin_setting_configtext::validate(). */
export function validParam(type: ParamType | undefined, value: string): boolean {
  switch (type) {
    case "ALPHANUMEXT":
      return /^[A-Za-z0-9_-]*$/.test(value);
    case "URL":
      // Approximation of validateUrlSyntax($url, 's?H?S?F?E-u-P-a?I?p?f?q?r?'): optional http/https/ftp scheme,
      // no user:password, a host name or IP, optional port, path, query and fragment, no whitespace.
      return (
        value === "" ||
        /^(?:(?:https?|ftp):\/\/)?(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?::\d{1,5})?)?(?:\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*)?(?:\?[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*)?(?:#[A-Za-z0-9\-._~%!$&'()*+,;=:@/?]*)?$/.test(
          value,
        )
      );
    case "TEXT":
      // strip_tags() would change anything with a tag opener.
      return !/<[^\s]/.test(value);
    default:
      return true;
  }
}
