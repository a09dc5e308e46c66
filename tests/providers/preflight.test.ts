// The preflight: every precondition checked before the first write, each problem naming the config
// key to fix, all reported at once. The site is a stand-in whose answers each test chooses.
import type { MoodleAdmin } from "../../moodle/api";
import { MoodleLoginError, MoodleTransportError } from "../../moodle/errors";
import { asCheckFailures, preflightProblems } from "../../providers/webServices/preflight";

interface Site {
  loginFails?: Error;
  services?: string[];
  users?: string[];
  pluginInstalled?: boolean;
}

function siteWith(site: Site) {
  const calls: string[] = [];
  const moodle = {
    async webServicesEnabled(reuse?: boolean) {
      calls.push(`webServicesEnabled${reuse ? " (a page the run just read will do)" : ""}`);
      if (site.loginFails) throw site.loginFails;
      return true;
    },
    async findService(key: { shortname?: string }, reuse?: boolean) {
      calls.push(`findService:${key.shortname}${reuse ? " (a page the run just read will do)" : ""}`);
      return (site.services ?? []).includes(key.shortname!) ? { id: 3, shortname: key.shortname } : undefined;
    },
    async userIdFor(username: string) {
      calls.push(`userIdFor:${username}`);
      if (!(site.users ?? []).includes(username)) throw new Error(`no Moodle user '${username}'`);
      return 2;
    },
    async pluginSettings(reuse?: boolean) {
      calls.push(`pluginSettings${reuse ? " (a page the run just read will do)" : ""}`);
      if (!site.pluginInstalled) throw new Error("settings page not found");
      return {};
    },
  };
  return { moodle: moodle as unknown as MoodleAdmin, calls };
}

const needs = { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: true };
const goodSite: Site = { services: ["Percipio-API"], users: ["admin"], pluginInstalled: true };

describe("preflightProblems", () => {
  it("finds nothing on a site that has everything, after checking each precondition", async () => {
    const { moodle, calls } = siteWith(goodSite);
    expect(await preflightProblems(moodle, needs)).toEqual([]);
    // Pages this run read seconds ago will do: the program's warm-up (warmUp.ts) read them while the engine started the provider.
    const justRead = " (a page the run just read will do)";
    expect(calls).toEqual([`webServicesEnabled${justRead}`, `findService:Percipio-API${justRead}`, "userIdFor:admin", `pluginSettings${justRead}`]);
  });

  it("lists every problem at once, each prefixed by what to fix", async () => {
    const { moodle } = siteWith({ services: [], users: [], pluginInstalled: false });
    expect(await preflightProblems(moodle, { ...needs, serviceShortname: "Nope-API", tokenUser: "nobody" })).toEqual([
      "moodle:serviceShortname: Moodle has no external service with shortname 'Nope-API'. Install the mod_percipio plugin " +
        "(it declares the 'Percipio services' service, shortname Percipio-API) or correct moodle:serviceShortname",
      "moodle:tokenUser: no Moodle user 'nobody'",
      "mod_percipio settings page (is the plugin installed?): settings page not found",
    ]);
  });

  it("does not look at the plugin's settings page in phase 1", async () => {
    const { moodle, calls } = siteWith({ ...goodSite, pluginInstalled: false });
    expect(await preflightProblems(moodle, { ...needs, percipioSettings: false })).toEqual([]);
    expect(calls.filter((c) => c.startsWith("pluginSettings"))).toEqual([]);
  });

  it("without a session reports only the login failure, with the password hint, and checks nothing else", async () => {
    const { moodle, calls } = siteWith({ ...goodSite, loginFails: new MoodleLoginError("Login", "/login/index.php", "Invalid login") });
    const problems = await preflightProblems(moodle, needs);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^Login failed at \/login\/index\.php: Invalid login.*moodle:adminPassword/);
    expect(calls).toEqual(["webServicesEnabled (a page the run just read will do)"]);
  });

  it("explains a transport failure in the user's terms", async () => {
    const refused = new MoodleTransportError("Login", "/login/index.php", "connect ECONNREFUSED", { code: "ECONNREFUSED" });
    const { moodle } = siteWith({ ...goodSite, loginFails: refused });
    expect(await preflightProblems(moodle, needs)).toEqual([
      "Login failed at /login/index.php: connect ECONNREFUSED. Nothing answers at moodle:url: check the address (and moodle:allowHttp for http) and that Moodle is running and reachable from here",
    ]);
  });

  it("reports a thrown non-Error in its own words", async () => {
    const { moodle } = siteWith({ ...goodSite, loginFails: "socket hang up" as unknown as Error });
    expect(await preflightProblems(moodle, needs)).toEqual(["socket hang up"]);
  });
});

describe("asCheckFailures", () => {
  it("turns each problem into a check failure saying nothing was changed", () => {
    expect(asCheckFailures(["a: b", "c: d"])).toEqual([
      { property: "", reason: "nothing was changed: a: b" },
      { property: "", reason: "nothing was changed: c: d" },
    ]);
    expect(asCheckFailures([])).toEqual([]);
  });
});
