// The real Moodle 5.0.6+ that scripts/real-moodle.sh runs on this machine, for the suites that test
// against it (tests/realsite, the live half of tests/double/conformance). scripts/test.sh starts it
// and sets MOODLE_REAL_SITE=1; everything else here (URL, admin, database, CLI) is asked of
// scripts/real-moodle.sh, so there is one place that knows the site.
//
// Only MOODLE_REAL_SITE=1 enables these suites: the site is reset from its snapshot by them, so a site
// a developer happens to have running is never wiped because it answers.
import { execFileSync } from "child_process";
import * as path from "path";
import type { MoodleConnection } from "../../moodle/types";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "real-moodle.sh");

export interface RealSite {
  url: string;
  adminUser: string;
  adminPassword: string;
  conn: MoodleConnection;
  /** The just-installed site again (database and moodledata from the snapshot), about a second. */
  reset(): void;
  /** Rows of one SELECT, as objects (psql's json_agg on the site's database). */
  rows<T = Record<string, unknown>>(select: string): T[];
  /** One statement that changes the database, as a hand in Moodle's database would. */
  exec(statement: string): void;
  /** Moodle's CLI as www-data (e.g. ["admin/cli/cfg.php", "--component=percipio", "--name=clientid", "--set=x"]). */
  cli(args: string[]): string;
}

function script(args: string[]): string {
  return execFileSync("bash", [SCRIPT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

/** KEY=VALUE lines of `scripts/real-moodle.sh env`: what the README's acceptance command uses too. */
export function realSiteEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of script(["env"]).split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

export function realSite(): RealSite {
  const env = realSiteEnv();
  return {
    url: env.MOODLE_URL,
    adminUser: env.MOODLE_ADMIN_USER,
    adminPassword: env.MOODLE_ADMIN_PASSWORD,
    conn: { url: env.MOODLE_URL, username: env.MOODLE_ADMIN_USER, password: env.MOODLE_ADMIN_PASSWORD, allowHttp: true },
    reset: () => void script(["reset"]),
    rows: <T>(select: string) => {
      const out = script(["sql", `SELECT COALESCE(json_agg(t), '[]') FROM (${select}) t`]).trim();
      return JSON.parse(out) as T[];
    },
    exec: (statement: string) => void script(["sql", statement]),
    cli: (args: string[]) => script(["cli", ...args]),
  };
}

/**
 * What the stack and the acceptance suite may change, read from the database: the two site switches,
 * every external service, token and authorised user, and the plugin's settings. Two footprints are
 * compared whole (toEqual), so anything else they touch there shows.
 */
export function databaseFootprint(site: RealSite) {
  const config = Object.fromEntries(
    site.rows<{ name: string; value: string }>("SELECT name, value FROM mdl_config WHERE name IN ('enablewebservices', 'webserviceprotocols') ORDER BY name").map((r) => [r.name, r.value]),
  );
  return {
    enablewebservices: config.enablewebservices,
    // Unset on a fresh site; Moodle's protocols page writes "" once a protocol is switched back off
    // (lib/classes/plugininfo/webservice.php always stores the list). Both mean "no protocol".
    webserviceprotocols: config.webserviceprotocols ?? "",
    // timemodified is left out: Moodle stamps it on every save of the service form, even one that
    // puts "enabled" back as it was; the columns that decide who may use the service are compared.
    // requiredcapability is NULL as the plugin installed it and "" once the form was saved (its
    // "No required capability" choice); Moodle tests it for emptiness only (webservice/lib.php,
    // lib/external/classes/util.php), so both read as "none".
    services: site.rows(
      "SELECT id, name, shortname, enabled, restrictedusers, COALESCE(requiredcapability, '') AS requiredcapability, component, downloadfiles, uploadfiles FROM mdl_external_services ORDER BY id",
    ),
    tokens: site.rows("SELECT id, token, name, tokentype, userid, externalserviceid, iprestriction, validuntil FROM mdl_external_tokens ORDER BY id"),
    serviceUsers: site.rows("SELECT externalserviceid, userid, iprestriction, validuntil FROM mdl_external_services_users ORDER BY externalserviceid, userid"),
    percipio: Object.fromEntries(
      site.rows<{ name: string; value: string }>("SELECT name, value FROM mdl_config_plugins WHERE plugin = 'percipio' ORDER BY name").map((r) => [r.name, r.value]),
    ),
  };
}

/** Why the real-site suites cannot run here, or undefined when scripts/test.sh started the site. */
export function realSiteUnavailable(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.MOODLE_REAL_SITE === "1") return undefined;
  return env.MOODLE_REAL_SITE_SKIPPED || "MOODLE_REAL_SITE is not 1 (scripts/test.sh sets it after `scripts/real-moodle.sh start`)";
}

/**
 * describe() for a suite that needs the real site. Without it: in CI (CI=true) one failing test says
 * why, so a real-site suite is never skipped silently there; elsewhere the suite is skipped and a
 * warning says so and how to run it.
 */
export function describeRealSite(name: string, body: () => void): void {
  const reason = realSiteUnavailable();
  if (!reason) return describe(name, body);
  if (process.env.CI === "true") {
    return describe(name, () => {
      test("needs the real Moodle (scripts/real-moodle.sh), which CI must provide", () => {
        throw new Error(`real-site suite "${name}" cannot run in CI: ${reason}. Run it through npm test (scripts/test.sh), which starts the site.`);
      });
    });
  }
  console.warn(
    `\n*** SKIPPED against the real Moodle: "${name}" (${reason}).\n*** Run as root: npm test, or bash scripts/real-moodle.sh start && MOODLE_REAL_SITE=1 npx jest --runInBand <file>\n`,
  );
  describe.skip(name, body);
}
