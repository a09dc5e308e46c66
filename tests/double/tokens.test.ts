import { $, Browser, Form, loggedInDouble } from "./helpers";

describe("moodle double: tokens", () => {
  const ctx = loggedInDouble();

  const create = (extra: Form = {}, omit: string[] = []) => {
    const form: Form = {
      action: "create",
      sesskey: ctx.sk,
      _qf__core_webservice_token_form: "1",
      mform_isexpanded_id_token: "1",
      name: "percipio-token",
      user: "2",
      service: "3",
      iprestriction: "",
      submitbutton: "Save changes",
      ...extra,
    };
    for (const k of omit) delete form[k];
    return ctx.b.post("/admin/webservice/tokens.php", form);
  };

  test("empty list shows Nothing to display", async () => {
    const p = $((await ctx.b.get("/admin/webservice/tokens.php")).body);
    expect(p(".alert-info").text()).toContain("Nothing to display");
    expect(p("table.reportbuilder-table").length).toBe(0);
  });

  test("create form: fields, service options, validuntil pre-checked at today+30", async () => {
    const p = $((await ctx.b.get("/admin/webservice/tokens.php?action=create")).body);
    const form = p("form.mform");
    expect(form.find('input[name="_qf__core_webservice_token_form"]').attr("value")).toBe("1");
    expect(form.find('select[name="user"] option').length).toBe(0);
    expect(
      form
        .find('select[name="service"] option')
        .map((_, o) => p(o).attr("value"))
        .get(),
    ).toEqual(["1", "3"]);
    expect(form.find('input[name="validuntil[enabled]"]').attr("checked")).toBeDefined();
    const in30 = new Date(Date.now() + 30 * 86400e3);
    const day = Number(new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", day: "numeric" }).format(in30));
    expect(form.find('select[name="validuntil[day]"] option[selected]').attr("value")).toBe(String(day));
  });

  test("create: 303, token shown exactly once with its name, then only the list row", async () => {
    const r = await create();
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${ctx.d.url}/admin/webservice/tokens.php`);
    const first = $((await ctx.b.get(r.location!)).body);
    const value = first("div#copytoclipboardtoken").text();
    expect(value).toMatch(/^[0-9a-f]{32}$/);
    expect(first("div#copytoclipboardtoken").parent().prevAll("div.lead").first().text()).toBe("percipio-token");
    expect(first("div#copytoclipboardtoken").closest(".alert-primary").find("div.lead").first().text()).toBe("percipio-token");
    const rows = first("table.reportbuilder-table tbody tr");
    expect(rows.length).toBe(30);
    expect(first("tr#system-report-table-1_r0").attr("class")).toBe("");
    expect(first("tr#system-report-table-1_r1").attr("class")).toBe("emptyrow");
    const cells = first("tr#system-report-table-1_r0 td")
      .map((_, td) => first(td).text())
      .get();
    expect(cells.slice(0, 9)).toEqual([
      "percipio-token",
      "Admin User",
      "admin@example.com",
      "Percipio servicesPercipio-API",
      "",
      "This token has no expiry date.",
      "Never",
      "Admin User",
      "",
    ]);
    expect(first("#system-report-table-1_r0_c3 div.text_to_html").text()).toBe("Percipio-API");
    expect(first("#system-report-table-1_r0_c9 a.menu-action").attr("href")).toBe(`${ctx.d.url}/admin/webservice/tokens.php?action=delete&tokenid=1`);
    const second = $((await ctx.b.get("/admin/webservice/tokens.php")).body);
    expect(second("#copytoclipboardtoken").length).toBe(0);
    expect(second(".alert-warning").length).toBe(0);
    expect(ctx.d.control.state().tokens[0]).toMatchObject({ id: 1, token: value, name: "percipio-token", userId: 2, serviceId: 3, validuntil: 0, creatorId: 2 });
  });

  test("empty name gets Webservice-XXXXX; validuntil[enabled] sets midnight London and shows the date", async () => {
    await ctx.b.follow(await create({ name: "", "validuntil[enabled]": "1", "validuntil[day]": "26", "validuntil[month]": "11", "validuntil[year]": "2030" }));
    const t = ctx.d.control.state().tokens[0];
    expect(t.name).toMatch(/^Webservice-[A-Za-z0-9]{5}$/);
    expect(t.validuntil).toBe(Date.UTC(2030, 10, 26) / 1000);
    const p = $((await ctx.b.get("/admin/webservice/tokens.php")).body);
    expect(p("#system-report-table-1_r0_c5").text()).toBe("26 November 2030, 12:00 AM");
  });

  test("missing iprestriction or name: 404 TypeError page; nothing created", async () => {
    const a = await create({}, ["iprestriction"]);
    expect(a.status).toBe(404);
    expect($(a.body)("p.errormessage").text()).toContain("Argument #6 ($iprestriction) must be of type string, null given");
    const n = await create({}, ["name"]);
    expect(n.status).toBe(404);
    expect($(n.body)("p.errormessage").text()).toContain("Argument #7 ($name)");
    expect(ctx.d.control.state().tokens).toEqual([]);
  });

  test("missing user: 404 Error reading from database; unknown user: 404 record not found", async () => {
    const m = await create({}, ["user"]);
    expect(m.status).toBe(404);
    expect($(m.body)("p.errormessage").text()).toBe("Error reading from database");
    const u = await create({ user: "999" });
    expect(u.status).toBe(404);
    expect($(u.body)("p.errormessage").text()).toBe("Can't find data record in database.");
  });

  test("wrong sesskey: 404 session timed out; missing _qf__ marker: form again, nothing created", async () => {
    const r = await create({ sesskey: "WRONGWRONG" });
    expect(r.status).toBe(404);
    expect($(r.body)("p.errormessage").text()).toMatch(/^Your session has most likely timed out/);
    const q = await create({}, ["_qf__core_webservice_token_form"]);
    expect(q.status).toBe(200);
    expect($(q.body)('input[name="_qf__core_webservice_token_form"]').length).toBe(1);
    expect(ctx.d.control.state().tokens).toEqual([]);
  });

  test("restricted service and unauthorised user: 200 form with the error, no token; after authorising it works", async () => {
    const s = ctx.d.control.state().services.map((x) => (x.id === 3 ? { ...x, restrictedusers: true } : x));
    ctx.d.control.patchState({ services: s });
    const r = await create({ name: "harness-token" });
    expect(r.status).toBe(200);
    const p = $(r.body);
    expect(p(".alert-danger").text()).toContain(
      "The user is not allowed for this service. First you need to allow this user on the Percipio services's allowed users administration page.",
    );
    expect(p('input[name="name"]').attr("value")).toBe("harness-token");
    expect(p('select[name="user"] option[selected]').attr("value")).toBe("2");
    expect(p('select[name="service"] option[selected]').attr("value")).toBe("3");
    expect(ctx.d.control.state().tokens).toEqual([]);
    await ctx.b.post("/admin/webservice/service_users.php?id=3", { sesskey: ctx.sk, "addselect[]": "2", add: "Add" });
    expect((await create()).status).toBe(303);
  });

  test("delete: confirm page, wrong sesskey shows it again, POST deletes, unknown id 404", async () => {
    await ctx.b.follow(await create());
    const c = $((await ctx.b.get("/admin/webservice/tokens.php?action=delete&tokenid=1")).body);
    expect(c("#modal-body").text()).toContain("Do you really want to delete this web service token for Admin User on the service Percipio services?");
    const form = c('form[method="post"]');
    expect(form.find('input[name="tokenid"]').attr("value")).toBe("1");
    expect(form.find('input[name="confirm"]').attr("value")).toBe("1");
    const bad = await ctx.b.post("/admin/webservice/tokens.php", { tokenid: "1", action: "delete", confirm: "1", sesskey: "WRONGWRONG" });
    expect(bad.status).toBe(200);
    expect(bad.body).toContain("Do you really want to delete");
    expect(ctx.d.control.state().tokens.length).toBe(1);
    const ok = await ctx.b.post("/admin/webservice/tokens.php", { tokenid: "1", action: "delete", confirm: "1", sesskey: ctx.sk });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe(`${ctx.d.url}/admin/webservice/tokens.php`);
    expect(ctx.d.control.state().tokens).toEqual([]);
    const unknown = await ctx.b.post("/admin/webservice/tokens.php", { tokenid: "1", action: "delete", confirm: "1", sesskey: ctx.sk });
    expect(unknown.status).toBe(404);
  });

  test("the once-only value is kept in the creating session only", async () => {
    await create();
    const other = new Browser(ctx.d.url);
    await other.login();
    expect($((await other.get("/admin/webservice/tokens.php")).body)("#copytoclipboardtoken").length).toBe(0);
    expect($((await ctx.b.get("/admin/webservice/tokens.php")).body)("#copytoclipboardtoken").length).toBe(1);
  });

  test("AJAX core_user_search_identity finds the admin", async () => {
    const r = await ctx.b.request(
      "POST",
      `/lib/ajax/service.php?sesskey=${ctx.sk}&info=core_user_search_identity`,
      JSON.stringify([{ index: 0, methodname: "core_user_search_identity", args: { query: "admin" } }]),
      "application/json",
    );
    expect(JSON.parse(r.body)).toEqual([
      {
        error: false,
        data: { list: [{ id: 2, fullname: "Admin User", extrafields: [{ name: "email", value: "admin@example.com" }] }], maxusersperpage: 100, overflow: false },
      },
    ]);
  });
});
