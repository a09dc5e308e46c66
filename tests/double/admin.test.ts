import { $, loggedInDouble } from "./helpers";

describe("moodle double: admin settings, protocols, services", () => {
  const ctx = loggedInDouble();

  const save = (form: Record<string, string>) =>
    ctx.b.post("/admin/settings.php", { action: "save-settings", sesskey: ctx.sk, return: "", ...form });

  test("enablewebservices: POST writes only the posted setting, 303, then Changes saved once", async () => {
    const r = await save({ section: "optionalsubsystems", s__enablewebservices: "1" });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${ctx.d.url}/admin/settings.php?section=optionalsubsystems`);
    const page = $((await ctx.b.get(r.location!)).body);
    expect(page("#user-notifications .alert-success").text()).toContain("Changes saved");
    expect(page("#id_s__enablewebservices").attr("checked")).toBeDefined();
    expect(page("div#admin-enablewebservices").length).toBe(1);
    expect(page("#id_s__usecomments").attr("checked")).toBeDefined();
    expect(ctx.d.control.state().config.usecomments).toBe("1");
    const again = $((await ctx.b.get("/admin/settings.php?section=optionalsubsystems")).body);
    expect(again(".alert-success").length).toBe(0);
  });

  test("the queued Changes saved notification appears on whatever page comes next (as in recorded p22)", async () => {
    await save({ section: "optionalsubsystems", s__enablewebservices: "1" });
    const next = $((await ctx.b.get("/admin/settings.php?section=modsettingpercipio")).body);
    expect(next("#user-notifications .alert-success").text()).toContain("Changes saved");
    const after = $((await ctx.b.get("/admin/settings.php?section=optionalsubsystems")).body);
    expect(after(".alert-success").length).toBe(0);
  });

  test("a POST that changes nothing redirects without Changes saved", async () => {
    const r = await save({ section: "optionalsubsystems", s__enablewebservices: "0" });
    expect(r.status).toBe(303);
    expect($((await ctx.b.get(r.location!)).body)(".alert-success").length).toBe(0);
  });

  test("settings.php with a wrong sesskey: 200 re-render, nothing saved, no message", async () => {
    const r = await ctx.b.post("/admin/settings.php", {
      section: "optionalsubsystems",
      action: "save-settings",
      sesskey: "WRONGWRONG",
      return: "",
      s__enablewebservices: "1",
    });
    expect(r.status).toBe(200);
    const p = $(r.body);
    expect(p("form#adminsettings").length).toBe(1);
    expect(p(".alert").length).toBe(0);
    expect(ctx.d.control.state().config.enablewebservices).toBe("0");
  });

  // Moodle's format_admin_setting(): a setting in $CFG->config_php_settings (core) or
  // $CFG->forced_plugin_settings (plugins) gets the "Defined in config.php" alert-info in its label
  // (core_admin/setting template); the page shows the forced value; admin_write_settings() still
  // stores a posted value and answers 303, but the effective value stays the forced one.
  test("a setting forced in config.php: shown with 'Defined in config.php', a POST is a silent 303 that changes nothing", async () => {
    ctx.d.control.patchState({ forced: { config: { enablewebservices: "0" }, pluginConfig: { percipio: { clientid: "from_config" } } } });
    const page = $((await ctx.b.get("/admin/settings.php?section=optionalsubsystems")).body);
    expect(page("div#admin-enablewebservices label .alert-info").text().trim()).toBe("Defined in config.php");
    expect(page("div#admin-usecomments .alert-info").length).toBe(0);
    const r = await save({ section: "optionalsubsystems", s__enablewebservices: "1" });
    expect(r.status).toBe(303);
    const after = $((await ctx.b.get(r.location!)).body);
    expect(after("#id_s__enablewebservices").attr("checked")).toBeUndefined();
    expect(after(".alert-success").length).toBe(0);
    const plugin = $((await ctx.b.get("/admin/settings.php?section=modsettingpercipio")).body);
    expect(plugin("div#admin-clientid label .alert-info").text().trim()).toBe("Defined in config.php");
    expect(plugin("#id_s_percipio_clientid").attr("value")).toBe("from_config");
    expect(plugin("div#admin-clientsecret .alert-info").length).toBe(0);
  });

  test("protocols: enable via GET link, read back; wrong sesskey is a silent 303 with no change", async () => {
    expect(ctx.d.control.state().config.webserviceprotocols).toBeUndefined();
    const bad = await ctx.b.get("/admin/webservice/protocols.php?sesskey=WRONGWRONG&action=enable&webservice=rest");
    expect(bad.status).toBe(303);
    expect(bad.location).toBe(`${ctx.d.url}/admin/settings.php?section=webserviceprotocols`);
    expect(ctx.d.control.state().config.webserviceprotocols).toBeUndefined();
    const ok = await ctx.b.get(`/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=enable&webservice=rest`);
    expect(ok.status).toBe(303);
    const page = $((await ctx.b.get(ok.location!)).body);
    expect(page(".alert-success").length).toBe(0);
    const rest = page("table#webserviceprotocols tbody tr").first();
    expect(rest.find("td.c0 span").attr("class")).toBeUndefined();
    expect(rest.find("td.c2 a").attr("href")).toBe(`${ctx.d.url}/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=disable&webservice=rest`);
    expect(rest.find("td.c2 i").attr("title")).toBe("Disable");
    const soap = page("table#webserviceprotocols tbody tr").eq(1);
    expect(soap.find("td.c0 span.dimmed_text").text()).toBe("SOAP protocol");
    await ctx.b.get(`/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=enable&webservice=soap`);
    expect(ctx.d.control.state().config.webserviceprotocols).toBe("rest,soap");
    await ctx.b.get(`/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=disable&webservice=rest`);
    await ctx.b.get(`/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=disable&webservice=soap`);
    expect(ctx.d.control.state().config.webserviceprotocols).toBe("");
  });

  test("webservicesoverview shows the WS switch and enabled protocols", async () => {
    await save({ section: "optionalsubsystems", s__enablewebservices: "1" });
    await ctx.b.get(`/admin/webservice/protocols.php?sesskey=${ctx.sk}&action=enable&webservice=rest`);
    const p = $((await ctx.b.get("/admin/settings.php?section=webservicesoverview")).body);
    const rows = p("table#onesystemcontrol tbody tr");
    expect(rows.eq(0).find("td.status").text()).toBe("Yes");
    expect(rows.eq(1).find("td.status").html()).toBe("rest<br>");
  });

  test("external services list: Percipio services id 3, enabled, All users", async () => {
    const p = $((await ctx.b.get("/admin/settings.php?section=externalservices")).body);
    const row = p("table#builtinservices tbody tr").filter((_, el) => p(el).find("td.c0").text() === "Percipio services");
    expect(row.length).toBe(1);
    expect(row.find("td.c0 span").attr("class")).toBeUndefined();
    expect(row.find("td.c1").text()).toBe("mod_percipio");
    expect(row.find("td.c3").text()).toBe("All users");
    expect(row.find("td.c4 a").attr("href")).toBe(`${ctx.d.url}/admin/webservice/service.php?id=3`);
    expect(p("table#customservices tbody.empty").length).toBe(1);
  });

  test("built-in service: frozen name/shortname/restrictedusers are ignored, enabled changes", async () => {
    const form = $((await ctx.b.get("/admin/webservice/service.php?id=3")).body);
    expect(form('input[name="name"]').attr("disabled")).toBeDefined();
    expect(form('input[name="restrictedusers"]').attr("disabled")).toBeDefined();
    expect(form('input[name="restrictedusers"]').attr("checked")).toBeUndefined();
    expect(form('input[type="hidden"][name="restrictedusers"]').length).toBe(0);
    const r = await ctx.b.post("/admin/webservice/service.php", {
      id: "3",
      sesskey: ctx.sk,
      _qf__external_service_form: "1",
      enabled: ["0"],
      restrictedusers: "1",
      name: "Renamed",
      shortname: "renamed",
      downloadfiles: "0",
      uploadfiles: "0",
      submitbutton: "Save changes",
    });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${ctx.d.url}/admin/settings.php?section=externalservices`);
    const s = ctx.d.control.state().services.find((x) => x.id === 3)!;
    expect(s).toMatchObject({ name: "Percipio services", shortname: "Percipio-API", restrictedusers: false, enabled: false });
    const list = $((await ctx.b.get(r.location!)).body);
    expect(list("table#builtinservices td.c0 span.dimmed_text").text()).toContain("Percipio services");
  });

  test("service.php: wrong sesskey is a 404 error page; missing _qf__ marker re-renders without saving", async () => {
    const bad = await ctx.b.post("/admin/webservice/service.php", { id: "3", sesskey: "WRONGWRONG", _qf__external_service_form: "1", enabled: "0" });
    expect(bad.status).toBe(404);
    expect($(bad.body)("p.errormessage").text()).toContain("Your session has most likely timed out");
    expect($(bad.body)("title").text()).toBe("Error | harness");
    const noqf = await ctx.b.post("/admin/webservice/service.php", { id: "3", sesskey: ctx.sk, enabled: "0" });
    expect(noqf.status).toBe(200);
    expect(ctx.d.control.state().services.find((x) => x.id === 3)!.enabled).toBe(true);
    expect((await ctx.b.get("/admin/webservice/service.php?id=99")).status).toBe(404);
  });

  test("service.php with an id that does not exist: Moodle's missing-record page (get_external_service_by_id MUST_EXIST)", async () => {
    // dml_missing_record_exception without a table name: error code invalidrecordunknown, lang string
    // "Can't find data record in database.", HTTP 404 like every Moodle exception page.
    const gone = await ctx.b.get("/admin/webservice/service.php?id=99");
    expect(gone.status).toBe(404);
    expect($(gone.body)("p.errormessage").text()).toBe("Can't find data record in database.");
    expect($(gone.body)("p.errorcode a").attr("href")).toBe("https://docs.moodle.org/500/en/error/moodle/invalidrecordunknown");
  });

  test("custom service: add form creates a service whose restrictedusers is editable", async () => {
    const r = await ctx.b.post("/admin/webservice/service.php", {
      id: "0",
      sesskey: ctx.sk,
      _qf__external_service_form: "1",
      name: "Custom test",
      shortname: "custom_test",
      enabled: "1",
      restrictedusers: "1",
      submitbutton: "Add service",
    });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${ctx.d.url}/admin/webservice/service_functions.php?id=4`);
    const p = $((await ctx.b.get("/admin/settings.php?section=externalservices")).body);
    expect(p("table#customservices tbody tr td.c0").text()).toBe("Custom test");
    expect(p("table#customservices td.c3 a").attr("href")).toBe(`${ctx.d.url}/admin/webservice/service_users.php?id=4`);
  });

  test("service users: add and remove re-render with 200", async () => {
    const page = $((await ctx.b.get("/admin/webservice/service_users.php?id=3")).body);
    expect(page('select[name="removeselect[]"] optgroup').attr("label")).toBe("None");
    expect(page('select[name="addselect[]"] optgroup').attr("label")).toBe("Not authorised users (1)");
    const add = await ctx.b.post("/admin/webservice/service_users.php?id=3", { sesskey: ctx.sk, "addselect[]": ["2"], add: "◀ Add" });
    expect(add.status).toBe(200);
    const p = $(add.body);
    expect(p('select[name="removeselect[]"] optgroup').attr("label")).toBe("Authorised users (1)");
    expect(p('select[name="removeselect[]"] option').attr("value")).toBe("2");
    expect(p('select[name="removeselect[]"] option').text()).toBe("Admin User (admin@example.com)");
    const rm = await ctx.b.post("/admin/webservice/service_users.php?id=3", { sesskey: ctx.sk, "removeselect[]": ["2"], remove: "▶ Remove" });
    expect(rm.status).toBe(200);
    expect(ctx.d.control.state().serviceUsers).toEqual([]);
  });

  describe("mod_percipio settings", () => {
    const oauth = {
      section: "modsettingpercipio",
      s_percipio_authenticationmethod: "oauth",
      s_percipio_clientid: "abc_DEF-123",
      s_percipio_clientsecret: "s3cr3t_VALUE-1",
      s_percipio_organizationid: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
      s_percipio_oauthurl: "https://oauth2-provider.percipio.com",
      s_percipio_percipiourl: "https://api.percipio.com",
      s_percipio_scope: "api",
    };

    test("valid POST: 303, Changes saved, values read back", async () => {
      const r = await save(oauth);
      expect(r.status).toBe(303);
      expect(r.location).toBe(`${ctx.d.url}/admin/settings.php?section=modsettingpercipio`);
      const p = $((await ctx.b.get(r.location!)).body);
      expect(p(".alert-success").text()).toContain("Changes saved");
      expect(p("#id_s_percipio_authenticationmethod option[selected]").attr("value")).toBe("oauth");
      expect(p("#id_s_percipio_clientsecret").attr("value")).toBe("s3cr3t_VALUE-1");
      expect(p("#id_s_percipio_piiinfo option[selected]").attr("value")).toBe("no");
    });

    test("invalid clientid + valid scope: 200, error with rejected value, scope saved, clientid kept", async () => {
      await ctx.b.follow(await save(oauth));
      const r = await save({ section: "modsettingpercipio", s_percipio_clientid: "a b!", s_percipio_scope: "api2" });
      expect(r.status).toBe(200);
      const p = $(r.body);
      expect(p(".alert-danger").text()).toContain("Some settings were not changed due to an error.");
      expect(p("div#admin-clientid span.error").text()).toBe("This value is not valid");
      expect(p("#id_s_percipio_clientid").attr("value")).toBe("a b!");
      expect(ctx.d.control.state().pluginConfig.percipio).toMatchObject({ clientid: "abc_DEF-123", scope: "api2" });
      const next = $((await ctx.b.get("/admin/settings.php?section=modsettingpercipio")).body);
      expect(next("span.error").length).toBe(0);
      expect(next(".alert-success").length).toBe(0);
      expect(next("#id_s_percipio_clientid").attr("value")).toBe("abc_DEF-123");
    });

    test.each([
      ["s_percipio_clientsecret", "Ab+/9=", "admin-clientsecret"],
      ["s_percipio_oauthurl", "not a url", "admin-oauthurl"],
      ["s_percipio_organizationid", "{b001e4aa}", "admin-organizationid"],
    ])("%s=%s is rejected", async (name, value, div) => {
      const r = await save({ section: "modsettingpercipio", [name]: value });
      expect(r.status).toBe(200);
      expect($(r.body)(`div#${div} span.error`).text()).toBe("This value is not valid");
    });

    test("invalid select option is silently ignored (303, no Changes saved)", async () => {
      const r = await save({ section: "modsettingpercipio", s_percipio_authenticationmethod: "foo" });
      expect(r.status).toBe(303);
      const p = $((await ctx.b.get(r.location!)).body);
      expect(p(".alert-success").length).toBe(0);
      expect(ctx.d.control.state().pluginConfig.percipio.authenticationmethod).toBe("service_account_bearer_token");
    });

    test("a hidden OAuth field can be saved while the method is Service account", async () => {
      const r = await save({ section: "modsettingpercipio", s_percipio_clientid: "only_this" });
      expect(r.status).toBe(303);
      expect(ctx.d.control.state().pluginConfig.percipio.clientid).toBe("only_this");
    });

    test("a CLI-style invalid stored value shows 'Invalid current value' and preselects the default", async () => {
      ctx.d.control.patchState({ pluginConfig: { percipio: { authenticationmethod: "foo", clientid: "a b!", oauthToken: "runtime" } } });
      const p = $((await ctx.b.get("/admin/settings.php?section=modsettingpercipio")).body);
      expect(p("div#admin-authenticationmethod .alert-warning").text()).toBe("Invalid current value: foo");
      expect(p("#id_s_percipio_authenticationmethod option[selected]").attr("value")).toBe("service_account_bearer_token");
      expect(p("#id_s_percipio_clientid").attr("value")).toBe("a b!");
      expect(p('input[name="s_percipio_oauthToken"]').length).toBe(0);
    });
  });
});
