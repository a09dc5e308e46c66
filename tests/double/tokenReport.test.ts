// The double's token report on a site with 30,000 Moodle-app tokens: sorted and paged as Moodle's
// system report (ORDER BY validuntil ASC, 30 rows at OFFSET page*30, nothing breaking ties), filtered
// by the admin's own stored filter values (set and reset with the report-builder AJAX functions), the
// filters form showing those values, and every word of the page in the site's language.
import { load } from "cheerio";
import { withAppTokens } from "../../testkit/moodle-double/seed";
import { parseTokenReport } from "../../moodle/parsers/tokens";
import { page as recorded } from "../moodle/fixtures";
import { $, Browser, loggedInDouble } from "./helpers";

const COUNT = 30_000;
const TOKENS = "/admin/webservice/tokens.php";

describe("moodle double: the token report of a large site", () => {
  const ctx = loggedInDouble();
  const seed = (count = COUNT) => {
    const st = withAppTokens(ctx.d.control.state(), count);
    ctx.d.control.patchState({ users: st.users, tokens: st.tokens, nextIds: st.nextIds });
    return st;
  };
  /** The order Moodle's SQL gives on the recorded site: valid-until ascending, equal dates by id (e14/e15). */
  const expectedOrder = (tokens: { id: number; validuntil: number }[]) => [...tokens].sort((a, b) => a.validuntil - b.validuntil || a.id - b.id).map((t) => t.id);
  const ajax = (b: Browser, sk: string, methodname: string, args: Record<string, unknown>) =>
    b.request("POST", `/lib/ajax/service.php?sesskey=${sk}&info=${methodname}`, JSON.stringify([{ index: 0, methodname, args }]), "application/json");
  const ids = (html: string) => parseTokenReport(html).rows.map((r) => r.id);

  test("30,000 app tokens (with and without dates, some expired): every page sorted and sliced exactly as Moodle's query, in seconds", async () => {
    const st = seed();
    const tokens = st.tokens;
    expect(tokens.filter((t) => t.validuntil === 0).length).toBeGreaterThan(5000);
    expect(tokens.filter((t) => t.validuntil > 0 && t.validuntil < Date.now() / 1000).length).toBeGreaterThan(5000);
    expect(tokens.filter((t) => t.validuntil > Date.now() / 1000).length).toBeGreaterThan(5000);
    // Many share a valid-until: the order among them matters.
    expect(new Set(tokens.map((t) => t.validuntil)).size).toBeLessThan(tokens.length / 4);
    const order = expectedOrder(tokens);
    const started = Date.now();
    for (const page of [0, 1, 166, 167, 500, 999]) {
      const r = await ctx.b.get(page === 0 ? TOKENS : `${TOKENS}?page=${page}`);
      const report = parseTokenReport(r.body);
      expect(report).toMatchObject({ totalRows: COUNT, pageSize: 30, pageNumber: page + 1 });
      expect(ids(r.body)).toEqual(order.slice(page * 30, page * 30 + 30));
    }
    // Past the last page: an empty table, the total still counted.
    const beyond = parseTokenReport((await ctx.b.get(`${TOKENS}?page=1000`)).body);
    expect(beyond.rows).toEqual([]);
    expect(beyond.totalRows).toBe(COUNT);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test("a name filter set with core_reportbuilder_set_filters applies to this admin only, shows in the form, and reset lifts it", async () => {
    seed();
    const listBefore = parseTokenReport((await ctx.b.get(TOKENS)).body);
    const reportid = listBefore.reportId!;
    expect(reportid).toBe(1);
    const set = await ajax(ctx.b, ctx.sk, "core_reportbuilder_set_filters", {
      reportid,
      parameters: "[]",
      values: JSON.stringify({ "token:name_operator": 3, "token:name_value": "MOBILE APP TOKEN 12" }),
    });
    expect(JSON.parse(set.body)).toEqual([{ error: false, data: true }]);
    const page = (await ctx.b.get(TOKENS)).body;
    const filtered = parseTokenReport(page);
    // "Is equal to" ignores case, as Moodle's sql_equal(…, casesensitive false) does.
    expect(filtered.rows.map((r) => r.name)).toEqual(["Mobile app token 12"]);
    expect(filtered.totalRows).toBe(1);
    expect(filtered.filters).toMatchObject({ "token:name_operator": "3", "token:name_value": "MOBILE APP TOKEN 12" });
    expect($(page)('[data-region="filter-button-label"]').text().trim()).toBe("Filters (1)");

    // Starts with: every token of a name family; the date filter "is empty": tokens without expiry.
    await ajax(ctx.b, ctx.sk, "core_reportbuilder_set_filters", {
      reportid,
      values: JSON.stringify({ "token:name_operator": 5, "token:name_value": "Mobile app token 100", "token:validuntil_operator": 2 }),
    });
    const family = parseTokenReport((await ctx.b.get(TOKENS)).body);
    const st = ctx.d.control.state();
    const expected = st.tokens.filter((t) => t.name.startsWith("Mobile app token 100") && t.validuntil === 0);
    expect(family.totalRows).toBe(expected.length);
    expect(family.rows.map((r) => r.id)).toEqual(expectedOrder(expected));
    expect(family.rows.every((r) => r.validUntil === null)).toBe(true);

    // Another admin sees every token: filters are stored per user.
    ctx.d.control.patchState({ users: [...st.users, { id: 3, username: "admin2", password: "Other-Pass-1!", firstname: "Second", lastname: "Admin", email: "a2@example.com", siteAdmin: true }] });
    const other = new Browser(ctx.d.url);
    await other.login("admin2", "Other-Pass-1!");
    expect(parseTokenReport((await other.get(TOKENS)).body).totalRows).toBe(COUNT);

    const reset = await ajax(ctx.b, ctx.sk, "core_reportbuilder_filters_reset", { reportid, parameters: "[]" });
    expect(JSON.parse(reset.body)).toEqual([{ error: false, data: true }]);
    const after = parseTokenReport((await ctx.b.get(TOKENS)).body);
    expect(after.totalRows).toBe(COUNT);
    expect(after.filters).toMatchObject({ "token:name_operator": "0", "token:name_value": "", "token:validuntil_operator": "0" });
  });

  test.each(["5.0", "4.5"] as const)("the filters form has the controls of the recorded %s page (e14 / m45-p9), and the report its attributes", async (v) => {
    const names = (html: string) => {
      const p = load(html);
      const form = p('input[name="_qf__core_reportbuilder_form_filter"]').closest("form");
      return [...new Set(form.find("[name]").map((_, el) => p(el).attr("name")).get())].sort();
    };
    ctx.d.control.patchState({ moodleVersion: v });
    const mine = (await ctx.b.get(TOKENS)).body;
    const real = recorded(v, v === "5.0" ? "e14-tokens-list-45-page0.html" : "p9-tokens-list-again.html");
    expect(names(mine)).toEqual(names(real));
    const attrs = (html: string) => {
      const r = load(html)("[data-table-uniqueid]");
      return { uniqueid: r.attr("data-table-uniqueid"), filters: JSON.parse(r.attr("data-table-filters") ?? "null"), sort: r.attr("data-table-sort-data") };
    };
    expect(attrs(mine)).toEqual(attrs(real));
  });

  test("the report id is the site's: another id is refused; a wrong sesskey or no login is refused", async () => {
    ctx.d.control.patchState({ tokenReportId: 7 });
    const page = (await ctx.b.get(TOKENS)).body;
    expect(parseTokenReport(page).reportId).toBe(7);
    expect($(page)("[data-table-uniqueid]").attr("data-table-uniqueid")).toBe("system-report-table-7");
    const wrongId = JSON.parse((await ajax(ctx.b, ctx.sk, "core_reportbuilder_set_filters", { reportid: 1, values: "{}" })).body);
    expect(wrongId[0]).toMatchObject({ error: true, exception: { errorcode: "invalidrecord" } });
    const badKey = JSON.parse((await ajax(ctx.b, "nope", "core_reportbuilder_filters_reset", { reportid: 7 })).body);
    expect(badKey[0]).toMatchObject({ error: true, exception: { errorcode: "invalidsesskey" } });
    const anon = JSON.parse((await ajax(new Browser(ctx.d.url), "x", "core_reportbuilder_filters_reset", { reportid: 7 })).body);
    expect(anon[0]).toMatchObject({ error: true, exception: { errorcode: "requireloginerror" } });
  });

  test("an argument the function does not declare is refused, as external_api::validate_parameters does; 'parameters' may be left out", async () => {
    const reportid = parseTokenReport((await ctx.b.get(TOKENS)).body).reportId!;
    const renamed = JSON.parse((await ajax(ctx.b, ctx.sk, "core_reportbuilder_set_filters", { reportid, params: "[]", values: "{}" })).body);
    expect(renamed[0]).toMatchObject({ error: true, exception: { errorcode: "invalidparameter" } });
    const extra = JSON.parse((await ajax(ctx.b, ctx.sk, "core_reportbuilder_filters_reset", { reportid, parameters: "[]", values: "{}" })).body);
    expect(extra[0]).toMatchObject({ error: true, exception: { errorcode: "invalidparameter" } });
    const without = JSON.parse((await ajax(ctx.b, ctx.sk, "core_reportbuilder_filters_reset", { reportid })).body);
    expect(without[0]).toMatchObject({ error: false, data: true });
  });

  test("with unstable ties (as a large database sort may give), pages repeat and skip tokens of the same date", async () => {
    seed(300);
    ctx.d.control.patchState({ tokenReportTies: "unstable" });
    const seen = new Map<number, number>();
    for (let p = 0; p < 10; p++) for (const id of ids((await ctx.b.get(`${TOKENS}?page=${p}`)).body)) seen.set(id, (seen.get(id) ?? 0) + 1);
    expect(seen.size).toBeLessThan(300);
    expect([...seen.values()].some((n) => n > 1)).toBe(true);
    // The same page asked twice is the same page.
    expect(ids((await ctx.b.get(`${TOKENS}?page=3`)).body)).toEqual(ids((await ctx.b.get(`${TOKENS}?page=3`)).body));
  });

  test("in French every word of the page changes and the rows read the same", async () => {
    seed(40);
    const en = parseTokenReport((await ctx.b.get(TOKENS)).body).rows;
    ctx.d.control.patchState({ config: { lang: "fr" } });
    const html = (await ctx.b.get(TOKENS)).body;
    const page = load(html);
    expect(page("h2").first().text()).toBe("Gérer les jetons");
    expect(page("thead th").first().text()).toContain("Nom");
    expect(page('select[name="token:validuntil_from[month]"] option[value="8"]').text()).toBe("août");
    expect(html).not.toMatch(/This token has no expiry date|Never|Valid until|January|Monday/);
    expect(page("table.reportbuilder-table").text()).toContain("Ce jeton n'a pas de date d'expiration.");
    expect(parseTokenReport(html).rows).toEqual(en.map((r) => ({ ...r, lastAccess: expect.any(String) })));
    const confirm = (await ctx.b.get(`${TOKENS}?action=delete&tokenid=${en[0].id}`)).body;
    expect(load(confirm)("#modal-body").text()).toContain("Voulez-vous vraiment supprimer");
  });

  test("the admin's own profile language decides, as on every other page (current_language())", async () => {
    seed(5);
    const st = ctx.d.control.state();
    ctx.d.control.patchState({ users: st.users.map((u: any) => (u.id === 2 ? { ...u, lang: "fr" } : u)) });
    const page = load((await ctx.b.get(TOKENS)).body);
    expect(page("h2").first().text()).toBe("Gérer les jetons");
    expect(page("html").attr("lang")).toBe("fr");
  });
});
