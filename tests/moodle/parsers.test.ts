import { parseErrorPage, parseMCfg, extractJsonObject } from "../../moodle/parsers/common";
import { parseLoginPage } from "../../moodle/parsers/login";
import { parseAdminSettingsPage } from "../../moodle/parsers/adminSettings";
import { parseProtocols } from "../../moodle/parsers/protocols";
import { parseServiceEditForm, parseServiceList, parseServiceUsers } from "../../moodle/parsers/services";
import { parseTokenCreateForm, parseTokenDeleteConfirm, parseTokenReport } from "../../moodle/parsers/tokens";
import { parseVersion, versionFromRelease } from "../../moodle/parsers/version";
import { page, SITE, VERSIONS } from "./fixtures";

describe.each(VERSIONS)("parsers on Moodle %s pages", (v) => {
  const site = SITE[v];

  describe("login", () => {
    test("fresh login page: logintoken from form#login, no error, nobody logged in", () => {
      const html = page(v, "a1-login-get.html");
      const p = parseLoginPage(html);
      expect(p.hasLoginForm).toBe(true);
      expect(p.logintoken).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(p.errorMessage).toBeUndefined();
      expect(parseMCfg(html)?.userId).toBe(0);
    });

    test.each(["a3-login-bad-follow.html", "a7-login-bad-logintoken-follow.html"])("failed login (%s) shows the error and a new token", (f) => {
      const p = parseLoginPage(page(v, f));
      expect(p.errorMessage).toBe("Invalid login, please try again");
      expect(p.logintoken).toMatch(/^[A-Za-z0-9]{32}$/);
    });

    test("M.cfg of a logged-in page: sesskey and user id 2", () => {
      const cfg = parseMCfg(page(v, "a6-my.html"))!;
      expect(cfg.userId).toBe(2);
      expect(cfg.sesskey).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(cfg.wwwroot).toBe(`http://${site.host}`);
    });
  });

  describe("admin settings pages", () => {
    test("web services off, then on with Changes saved", () => {
      const before = parseAdminSettingsPage(page(v, "b1-optionalsubsystems.html"));
      expect(before.section).toBe("optionalsubsystems");
      expect(before.sesskey).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(before.values.s__enablewebservices).toBe("0");
      expect(before.changesSaved).toBe(false);
      const after = parseAdminSettingsPage(page(v, "b3-optionalsubsystems-after.html"));
      expect(after.values.s__enablewebservices).toBe("1");
      expect(after.changesSaved).toBe(true);
      expect(after.someNotChanged).toBe(false);
    });

    test("bad sesskey re-render: no message, no errors", () => {
      const p = parseAdminSettingsPage(page(v, "b4-settings-bad-sesskey.html"));
      expect(p.section).toBe("optionalsubsystems");
      expect(p.changesSaved).toBe(false);
      expect(p.someNotChanged).toBe(false);
      expect(p.errors).toEqual({});
    });

    test("Percipio settings at defaults", () => {
      const p = parseAdminSettingsPage(page(v, "p22-percipio-settings.html"));
      expect(p.section).toBe("modsettingpercipio");
      expect(p.values.s_percipio_authenticationmethod).toBe("service_account_bearer_token");
      expect(p.options.s_percipio_authenticationmethod).toEqual(["oauth", "service_account_bearer_token"]);
      expect(p.values.s_percipio_piiinfo).toBe("no");
      expect(p.options.s_percipio_piiinfo).toEqual(["yes", "no"]);
      for (const n of ["clientid", "clientsecret", "scope", "bearertoken", "oauthurl", "percipiourl", "organizationid"]) {
        expect(p.values[`s_percipio_${n}`]).toBe("");
      }
    });

    test("Percipio settings after the OAuth save", () => {
      const p = parseAdminSettingsPage(page(v, "p24-percipio-settings-after-oauth.html"));
      expect(p.changesSaved).toBe(true);
      expect(p.values.s_percipio_authenticationmethod).toBe("oauth");
      expect(p.values.s_percipio_clientid).toBe("abc_DEF-123");
      expect(p.values.s_percipio_clientsecret).toBe("s3cr3t_VALUE-1");
      expect(p.values.s_percipio_oauthurl).toBe("https://oauth2-provider.percipio.com");
      expect(p.values.s_percipio_percipiourl).toBe("https://api.percipio.com");
      expect(p.values.s_percipio_organizationid).toBe("b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd");
      expect(p.values.s_percipio_scope).toBe("api");
    });

    test("validation error keyed by setting name; the page shows the rejected value", () => {
      const p = parseAdminSettingsPage(page(v, "p25-percipio-settings-invalid-clientid-post.html"));
      expect(p.someNotChanged).toBe(true);
      expect(p.changesSaved).toBe(false);
      expect(p.errors).toEqual({ clientid: ["This value is not valid"] });
      expect(p.values.s_percipio_clientid).toBe("a b!");
      const next = parseAdminSettingsPage(page(v, "p26-percipio-settings-after-invalid.html"));
      expect(next.errors).toEqual({});
      expect(next.values.s_percipio_clientid).toBe("abc_DEF-123");
      expect(next.values.s_percipio_scope).toBe("api2");
    });
  });

  describe("protocols", () => {
    test("both off; REST on after enabling; bad sesskey changed nothing", () => {
      expect(parseProtocols(page(v, "c1-webserviceprotocols.html"))).toEqual([
        { name: "rest", label: "REST protocol", enabled: false },
        { name: "soap", label: "SOAP protocol", enabled: false },
      ]);
      const after = parseProtocols(page(v, "c3-webserviceprotocols-after.html"));
      expect(after.find((r) => r.name === "rest")?.enabled).toBe(true);
      expect(after.find((r) => r.name === "soap")?.enabled).toBe(false);
      const bad = parseProtocols(page(v, "c6-after-bad-sesskey.html"));
      expect(bad.map((r) => r.name).sort()).toEqual(["rest", "soap"]);
    });
  });

  describe("external services", () => {
    test("list: mobile service (disabled) and Percipio services (enabled, All users)", () => {
      expect(parseServiceList(page(v, "p1-externalservices.html"))).toEqual([
        { id: 1, name: "Moodle mobile web service", component: "moodle", builtin: true, enabled: false, restrictedUsers: false },
        { id: site.serviceId, name: "Percipio services", component: "mod_percipio", builtin: true, enabled: true, restrictedUsers: false },
      ]);
    });

    test("edit form: shortname, enabled, frozen unchecked restrictedusers, replayable fields", () => {
      const f = parseServiceEditForm(page(v, "p2-service-edit.html"))!;
      expect(f.id).toBe(site.serviceId);
      expect(f.name).toBe("Percipio services");
      expect(f.shortname).toBe("Percipio-API");
      expect(f.enabled).toBe(true);
      expect(f.restrictedUsers).toBe(false);
      expect(f.restrictedUsersFrozen).toBe(true);
      expect(f.sesskey).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(f.fields).toEqual({
        id: String(site.serviceId),
        sesskey: f.sesskey,
        _qf__external_service_form: "1",
        mform_showmore_id_extservice: "0",
        mform_isexpanded_id_extservice: "1",
        enabled: "1",
        downloadfiles: "0",
        uploadfiles: "0",
      });
    });

    test("service users: nobody authorised", () => {
      const u = parseServiceUsers(page(v, "p5-service-users.html"))!;
      expect(u.authorised).toEqual([]);
      expect(u.notAuthorised.map((x) => x.id)).toContain(2);
    });
  });

  describe("tokens", () => {
    test("create form offers the services by id", () => {
      const f = parseTokenCreateForm(page(v, "p6-token-create-form.html"))!;
      expect(f.services).toEqual([
        { id: 1, name: "Moodle mobile web service" },
        { id: site.serviceId, name: "Percipio services" },
      ]);
      expect(f.errors).toEqual([]);
    });

    test("empty list", () => {
      const r = parseTokenReport(page(v, "e1-tokens-list-empty.html"));
      expect(r.isReport).toBe(true);
      expect(r.rows).toEqual([]);
      expect(r.created).toBeUndefined();
      expect(r.totalRows).toBe(0);
    });

    test("list right after creation: the once-only value and the row", () => {
      const r = parseTokenReport(page(v, "p8-tokens-list-new.html"));
      expect(r.created?.name).toBe("percipio-token");
      expect(r.created?.token).toMatch(/^[0-9a-f]{32}$/);
      if (v === "5.0") expect(r.created?.token).toBe("d0404eddcca13cc6e8cca357c682616b");
      expect(r.rows).toEqual([
        {
          id: 1,
          name: "percipio-token",
          userId: 2,
          userFullName: "Admin User",
          userEmail: "admin@example.com",
          serviceName: "Percipio services",
          serviceShortname: "Percipio-API",
          ipRestriction: "",
          validUntil: null,
          lastAccess: "Never",
          used: false,
          missingCapabilities: [],
        },
      ]);
      expect(r.totalRows).toBe(1);
      expect(r.pageSize).toBe(30);
      // The report's id and the filter values the page was rendered with (none applied).
      expect(r.reportId).toBe(1);
      expect(r.filters).toMatchObject({ reportid: "1", "token:name_operator": "0", "token:name_value": "", "service:name_values": [], "token:validuntil_operator": "0" });
    });

    test("second view: same row, value gone", () => {
      const r = parseTokenReport(page(v, "p9-tokens-list-again.html"));
      expect(r.created).toBeUndefined();
      expect(r.rows.map((x) => [x.id, x.name])).toEqual([[1, "percipio-token"]]);
    });

    test("delete confirmation carries the token id", () => {
      expect(parseTokenDeleteConfirm(page(v, "e8-token-delete-confirm.html"))).toEqual({ tokenid: 1 });
    });

    test("bad sesskey on the token form is an error page", () => {
      const e = parseErrorPage(page(v, "e12-token-create-bad-sesskey.html"))!;
      expect(e.message).toMatch(/^Your session has most likely timed out/);
      expect(e.errorcode).toBe("invalidsesskey");
      expect(parseTokenReport(page(v, "e12-token-create-bad-sesskey.html")).isReport).toBe(false);
    });
  });

  describe("version", () => {
    test("release from the admin footer", () => {
      expect(parseVersion(page(v, "b1-optionalsubsystems.html"))).toEqual({ release: site.release, major: site.major, minor: site.minor });
      expect(parseVersion(page(v, "p22-percipio-settings.html"))?.release).toBe(site.release);
    });
  });

  test("pages without an error box are not error pages", () => {
    expect(parseErrorPage(page(v, "p22-percipio-settings.html"))).toBeUndefined();
  });
});

describe("5.0-only recordings (stand-in restricted service, edge cases)", () => {
  test("restricted service lists 'Authorised users'", () => {
    const list = parseServiceList(page("5.0", "d1-externalservices.html"));
    expect(list.find((s) => s.id === 2)).toEqual({
      id: 2,
      name: "Percipio services",
      component: "local_percipiotest",
      builtin: true,
      enabled: true,
      restrictedUsers: true,
    });
  });

  test("custom service has empty component and is not built-in", () => {
    const custom = parseServiceList(page("5.0", "d11-externalservices-with-custom.html")).filter((s) => !s.builtin);
    expect(custom).toEqual([{ id: 3, name: "Custom test", component: "", builtin: false, enabled: true, restrictedUsers: false }]);
  });

  test("restricted built-in service: checkbox checked and frozen; disabled service unchecked", () => {
    const f = parseServiceEditForm(page("5.0", "d2-service-edit.html"))!;
    expect(f).toMatchObject({ id: 2, shortname: "percipio_services", enabled: true, restrictedUsers: true, restrictedUsersFrozen: true });
    expect(f.fields.restrictedusers).toBeUndefined();
    expect(parseServiceEditForm(page("5.0", "d5-service-edit-disabled.html"))!.enabled).toBe(false);
  });

  test("service users before and after authorising the admin", () => {
    expect(parseServiceUsers(page("5.0", "d7-service-users.html"))!.authorised).toEqual([]);
    expect(parseServiceUsers(page("5.0", "d8-service-users-add.html"))!.authorised).toEqual([{ id: 2, label: "Admin User (admin@example.com)" }]);
  });

  test("token form re-rendered with 'not allowed' banner", () => {
    const f = parseTokenCreateForm(page("5.0", "e3-token-create-notallowed.html"))!;
    expect(f.errors.join(" ")).toMatch(/The user is not allowed for this service/);
  });

  test("once-only value e5 vs e6", () => {
    const e5 = parseTokenReport(page("5.0", "e5-tokens-list-new.html"));
    expect(e5.created).toEqual({ name: "harness-token", token: "b0a057f499ae6450c701db5067fede29" });
    const e6 = parseTokenReport(page("5.0", "e6-tokens-list-again.html"));
    expect(e6.created).toBeUndefined();
    expect(e6.rows.map((r) => r.name)).toContain("harness-token");
  });

  test("expired token list: dates become ISO, last access kept raw", () => {
    const r = parseTokenReport(page("5.0", "e7-tokens-list-expired-new.html"));
    expect(r.created?.name).toBe("expired-token");
    expect(r.created?.token).toBe("4c0ab2e3906f49318246abe07f642ac9");
    const byName = Object.fromEntries(r.rows.map((x) => [x.name, x]));
    expect(byName["harness-token"].validUntil).toBeNull();
    expect(byName["harness-token"].lastAccess).toBe("Friday, 27 November 2026, 9:11 AM");
    expect(byName["expired-token"].validUntil).toBe("2026-11-26");
    expect(byName["expired-token"].lastAccess).toBe("Never");
    expect(byName["harness-token"].used).toBe(true);
    expect(byName["expired-token"].used).toBe(false);
    expect(r.rows.every((x) => Number.isInteger(x.id) && x.id > 0)).toBe(true);
  });

  test("several invalid settings at once", () => {
    const p = parseAdminSettingsPage(page("5.0", "p27-percipio-settings-invalid-secret-url-post.html"));
    expect(p.someNotChanged).toBe(true);
    expect(Object.keys(p.errors).sort()).toEqual(["clientsecret", "oauthurl", "organizationid"]);
    expect(p.errors.oauthurl).toEqual(["This value is not valid"]);
  });

  test("bad select value is silently ignored", () => {
    const p = parseAdminSettingsPage(page("5.0", "p29-percipio-settings-after-bad-select.html"));
    expect(p.changesSaved).toBe(false);
    expect(p.errors).toEqual({});
    expect(p.values.s_percipio_authenticationmethod).toBe("oauth");
  });

  test("invalid current value (set via CLI) is reported with the stored value", () => {
    const p = parseAdminSettingsPage(page("5.0", "p31-percipio-settings-after-cli-invalid.html"));
    expect(p.invalidCurrent).toEqual({ authenticationmethod: "foo" });
    expect(p.values.s_percipio_authenticationmethod).toBe("service_account_bearer_token");
    expect(p.values.s_percipio_clientid).toBe("a b!");
  });

  test("admin index copyright line", () => {
    expect(parseVersion(page("5.0", "h1-admin-index.html"))).toEqual({ release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0 });
  });
});

describe("small helpers", () => {
  test("release strings", () => {
    expect(versionFromRelease("4.1.10 (Build: 20240422)")).toEqual({ release: "4.1.10 (Build: 20240422)", major: 4, minor: 1 });
    expect(versionFromRelease("garbage")).toBeUndefined();
  });
  test("JSON object extraction skips braces in strings", () => {
    const t = 'x = {"a":"}{","b":{"c":1}}; rest';
    expect(JSON.parse(extractJsonObject(t, 4)!)).toEqual({ a: "}{", b: { c: 1 } });
  });
});
