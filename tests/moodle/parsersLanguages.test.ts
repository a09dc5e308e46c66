// Every parser this client uses outside the token report, on pages recorded from a real Moodle 5.0.6+
// whose admin reads them in French, German or Spanish (tests/fixtures/moodle-5.0-fr, -de, -es): the
// client must read and write the same whatever language Moodle speaks.
import * as fs from "fs";
import * as path from "path";
import { parseErrorPage, parseMCfg } from "../../moodle/parsers/common";
import { parseLoginPage } from "../../moodle/parsers/login";
import { currentValueOf, parseAdminSettingsPage } from "../../moodle/parsers/adminSettings";
import { parseProtocols } from "../../moodle/parsers/protocols";
import { parseServiceEditForm, parseServiceList, parseServiceUsers } from "../../moodle/parsers/services";
import { parseTokenReport } from "../../moodle/parsers/tokens";
import { parseVersion } from "../../moodle/parsers/version";

type Lang = "fr" | "de" | "es";

function page(lang: Lang, name: string): string {
  return fs.readFileSync(path.join(__dirname, "..", "fixtures", `moodle-5.0-${lang}`, name), "utf8");
}

/** The recording site: Percipio services is service id 2 there, the admin who reads in another language is user 3. */
const SITE = { serviceId: 2, userId: 3, release: "5.0.6+ (Build: 20260403)" };

/** What the site said in each language (the packs' invalidlogin and validateerror strings). */
const SAID = {
  fr: { invalidLogin: "La connexion a échoué, veuillez réessayer", notValid: "Cette valeur n’est pas valide" },
  de: { invalidLogin: "Ungültige Anmeldung. Versuchen Sie es nochmal!", notValid: "Dieser Wert ist ungültig:" },
};

describe.each(["fr", "de"] as const)("parsers on Moodle 5.0 pages in %s", (lang) => {
  test("the pages are in that language (html lang, M.cfg language)", () => {
    const html = page(lang, "b1-optionalsubsystems.html");
    expect(html).toMatch(new RegExp(`<html[^>]* lang="${lang}"`));
    expect(parseMCfg(html)?.language).toBe(lang);
  });

  describe("login (site default language)", () => {
    test("login form and its logintoken", () => {
      const p = parseLoginPage(page(lang, "a1-login-get.html"));
      expect(p.hasLoginForm).toBe(true);
      expect(p.logintoken).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(p.errorMessage).toBeUndefined();
    });

    test.each(["a3-login-bad-follow.html", "a7-login-bad-logintoken-follow.html"])("failed login (%s): the message in its own words and a new token", (f) => {
      const p = parseLoginPage(page(lang, f));
      expect(p.errorMessage).toBe(SAID[lang].invalidLogin);
      expect(p.logintoken).toMatch(/^[A-Za-z0-9]{32}$/);
    });

    test("dashboard: sesskey and the admin's user id", () => {
      for (const f of ["a6-my.html", "s6-my-site-default.html"]) {
        const cfg = parseMCfg(page(lang, f))!;
        expect(cfg.userId).toBe(SITE.userId);
        expect(cfg.sesskey).toMatch(/^[A-Za-z0-9]{10}$/);
      }
    });
  });

  describe("admin settings", () => {
    test("web services off, then on with the saved notification", () => {
      const before = parseAdminSettingsPage(page(lang, "b1-optionalsubsystems.html"));
      expect(before).toMatchObject({ section: "optionalsubsystems", changesSaved: false, someNotChanged: false });
      expect(before.values.s__enablewebservices).toBe("0");
      const after = parseAdminSettingsPage(page(lang, "b3-optionalsubsystems-after.html"));
      expect(after.values.s__enablewebservices).toBe("1");
      expect(after.changesSaved).toBe(true);
      expect(after.someNotChanged).toBe(false);
    });

    test("bad sesskey: re-rendered, nothing saved, no errors", () => {
      const p = parseAdminSettingsPage(page(lang, "b4-settings-bad-sesskey.html"));
      expect(p).toMatchObject({ section: "optionalsubsystems", changesSaved: false, someNotChanged: false, errors: {} });
    });

    test("Percipio settings page: every field, no forced or invalid one", () => {
      const p = parseAdminSettingsPage(page(lang, "p22-percipio-settings.html"));
      expect(p.section).toBe("modsettingpercipio");
      expect(Object.keys(p.values).filter((k) => k.startsWith("s_percipio_")).sort()).toEqual(
        ["authenticationmethod", "bearertoken", "clientid", "clientsecret", "oauthurl", "organizationid", "percipiourl", "piiinfo", "scope"].map((n) => `s_percipio_${n}`),
      );
      expect(p.options.s_percipio_authenticationmethod).toEqual(["oauth", "service_account_bearer_token"]);
      expect(p.forced).toEqual([]);
      expect(p.invalidCurrent).toEqual({});
    });

    test("a rejected client id: the error by setting name and 'some settings were not changed'", () => {
      const p = parseAdminSettingsPage(page(lang, "p25-percipio-settings-invalid-clientid-post.html"));
      expect(p.errors).toEqual({ clientid: [SAID[lang].notValid] });
      expect(p.someNotChanged).toBe(true);
      expect(p.changesSaved).toBe(false);
      expect(p.values.s_percipio_clientid).toBe("not a valid id!");
    });

    test("a stored value that is not an option (set with the CLI) is reported with that value", () => {
      const p = parseAdminSettingsPage(page(lang, "p31-percipio-settings-after-cli-invalid.html"));
      expect(p.invalidCurrent).toEqual({ authenticationmethod: "foo" });
    });

    test("an unknown section is Moodle's error page with its code", () => {
      expect(parseErrorPage(page(lang, "b9-section-error.html"))?.errorcode).toBe("sectionerror");
    });
  });

  describe("protocols", () => {
    test("REST off, on after the toggle, and a bad sesskey changed nothing", () => {
      const rest = (f: string) => parseProtocols(page(lang, f)).find((r) => r.name === "rest")?.enabled;
      expect(parseProtocols(page(lang, "c1-webserviceprotocols.html")).map((r) => r.name).sort()).toEqual(["rest", "soap"]);
      expect(rest("c1-webserviceprotocols.html")).toBe(false);
      expect(rest("c3-webserviceprotocols-after.html")).toBe(true);
      expect(rest("c6-after-bad-sesskey.html")).toBe(true);
    });
  });

  describe("external services", () => {
    test("list: the mobile service off, Percipio services on for all users", () => {
      const list = parseServiceList(page(lang, "d1-externalservices.html"));
      expect(list.map((s) => [s.id, s.builtin, s.enabled, s.restrictedUsers])).toEqual([
        [1, true, false, false],
        [SITE.serviceId, true, true, false],
      ]);
      // Service names are stored names, never translated.
      expect(list.find((s) => s.id === SITE.serviceId)?.name).toBe("Percipio services");
    });

    test("edit form: shortname, enabled, frozen restriction, fields to replay", () => {
      const f = parseServiceEditForm(page(lang, "d2-service-edit.html"))!;
      expect(f).toMatchObject({ id: SITE.serviceId, name: "Percipio services", shortname: "Percipio-API", enabled: true, restrictedUsers: false, restrictedUsersFrozen: true });
      expect(f.fields._qf__external_service_form).toBe("1");
    });

    test("service users: the lists by their select names", () => {
      const u = parseServiceUsers(page(lang, "d7-service-users.html"))!;
      expect(u.authorised).toEqual([]);
      expect(u.notAuthorised.map((x) => x.id)).toEqual(expect.arrayContaining([2, SITE.userId]));
    });

    test("a bad sesskey and a missing service are error pages with Moodle's codes", () => {
      expect(parseErrorPage(page(lang, "d4-service-edit-bad-sesskey.html"))?.errorcode).toBe("invalidsesskey");
      expect(parseErrorPage(page(lang, "d9-service-missing.html"))?.errorcode).toBe("invalidrecordunknown");
      expect(parseServiceEditForm(page(lang, "d9-service-missing.html"))).toBeUndefined();
    });
  });

  test("the release from the admin footer and from the admin index", () => {
    for (const f of ["b1-optionalsubsystems.html", "h1-admin-index.html"]) {
      expect(parseVersion(page(lang, f))).toEqual({ release: SITE.release, major: 5, minor: 0 });
    }
  });

  test("a token's last access: a date means used, Moodle's word for never means never", () => {
    const rows = parseTokenReport(page(lang, "e6-tokens-list-again.html")).rows;
    const used = Object.fromEntries(rows.map((r) => [r.name, r.used]));
    expect(used).toEqual({ "i18n-never": false, "i18n-used": true, "i18n-expiring": false });
  });
});

describe("parsers on Moodle 5.0 pages in es (third language)", () => {
  test("the release although the footer says 'Versión'", () => {
    const html = page("es", "b1-optionalsubsystems.html");
    expect(html).toContain("Versión 5.0.6+");
    expect(parseVersion(html)).toEqual({ release: SITE.release, major: 5, minor: 0 });
  });

  test("settings, protocols and services read the same", () => {
    expect(parseAdminSettingsPage(page("es", "b3-optionalsubsystems-after.html"))).toMatchObject({ changesSaved: true, values: { s__enablewebservices: "1" } });
    expect(parseAdminSettingsPage(page("es", "p31-percipio-settings-after-cli-invalid.html")).invalidCurrent).toEqual({ authenticationmethod: "foo" });
    expect(parseProtocols(page("es", "c3-webserviceprotocols-after.html")).find((r) => r.name === "rest")?.enabled).toBe(true);
    expect(parseServiceEditForm(page("es", "d2-service-edit.html"))?.shortname).toBe("Percipio-API");
  });
});

describe("currentValueOf: the value in every pack's warningcurrentsetting", () => {
  test.each([
    ["Invalid current value: foo", "foo"],
    ["Valeur actuelle non valide : foo", "foo"],
    ["Aktueller Wert ist ungültig: https://x.example:8443/a", "https://x.example:8443/a"],
    ["Valor actual no válido: foo bar", "foo bar"],
    ["無効な現在値: foo", "foo"],
    ["no colon at all", "no colon at all"],
  ])("%s", (text, value) => {
    expect(currentValueOf(text)).toBe(value);
  });
});
