// Manage tokens on recorded Moodle 5.0 pages through a stand-in session, for the decisions
// tests/moodle/tokensOps.test.ts leaves open: what a page must show before its rows are believed (its
// filters form, on every page read), how the report-builder AJAX answers are taken (success, refusal,
// a lost session under each of Moodle's codes), how tokens on services are counted (no services, an
// incomplete first page, the report filtered by service), and which answers prove a token exists.
import { load } from "cheerio";
import { MoodleError, MoodleNotAppliedError } from "../../moodle/errors";
import { createToken, deleteToken, findTokens, listTokens, readTokens, tokenExists, tokensOnServices } from "../../moodle/tokens";
import { AJAX_OK, filteredByName, filteredByPrefix, showingFilter } from "./tokenPages";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const TOKENS = "/admin/webservice/tokens.php";
const SET = `POST /lib/ajax/service.php?sesskey=SESSKEY&info=core_reportbuilder_set_filters`;
const RESET = `POST /lib/ajax/service.php?sesskey=SESSKEY&info=core_reportbuilder_filters_reset`;
const TOKENS_EMPTY = page("5.0", "e1-tokens-list-empty.html");
const LIST_WITH_VALUE = page("5.0", "p8-tokens-list-new.html"); // id 1 "percipio-token", once-only value shown
const VALUE = "d0404eddcca13cc6e8cca357c682616b";
const OURS_AGAIN = page("5.0", "p9-tokens-list-again.html"); // id 1 "percipio-token", no value
const PAGE0_OF_45 = page("5.0", "e14-tokens-list-45-page0.html"); // ids 1-30 on "Percipio services", 45 counted
const SERVICE_FORM = page("5.0", "p2-service-edit.html"); // id 3, "Percipio services"
const CONFIRM = page("5.0", "e8-token-delete-confirm.html"); // token id 1
const PERCIPIO = "Percipio services";
const MOBILE = "Moodle mobile web service";
const ajaxOk = ok(AJAX_OK);
const ajax = (answer: unknown) => ok(JSON.stringify(answer));
const calls = (sent: { method: string; path: string }[]) => sent.map((r) => `${r.method} ${r.path}`);
const named = (html: string) => filteredByName(html, "percipio-token");
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The recorded list page (p8) showing these rows (all of user 2), this total, and no once-only value. */
function tokenList(rows: { id: number; name: string; service?: string }[], total = rows.length): string {
  const $ = load(LIST_WITH_VALUE);
  const tbody = $("table[data-region=reportbuilder-table] tbody");
  const template = tbody.children("tr").first().clone();
  tbody.empty();
  for (const r of rows) {
    const tr = template.clone();
    tr.children("td.c0").text(r.name);
    const service = tr.children("td.c3");
    service.html((service.html() ?? "").replace(PERCIPIO, r.service ?? PERCIPIO));
    tr.find('a[href*="tokenid="]').attr("href", `http://127.0.0.1:8080/admin/webservice/tokens.php?action=delete&tokenid=${r.id}`);
    tbody.append(tr);
  }
  $("[data-table-total-rows]").attr("data-table-total-rows", String(total));
  $("#copytoclipboardtoken").parent().parent().remove();
  return $.html();
}

/** A stand-in session that can also log in again (counted). */
function relogging(answers: Parameters<typeof session>[0]) {
  const st = session(answers);
  const relogins: number[] = [];
  (st.s as any).forceRelogin = async () => void relogins.push(1);
  return { ...st, relogins };
}

describe("what a token page must show before its rows are believed", () => {
  it("a page without the report's filters form lists tokens nobody can vouch for: an error, not a list", async () => {
    const $ = load(OURS_AGAIN);
    $('input[name="_qf__core_reportbuilder_form_filter"]').closest("form").remove();
    const err = await listTokens(session([ok($.html())]).s).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.detail).toMatch(/no report filters form/);
  });

  it("the service filter's empty placeholder, marked chosen (value 0 or none), is no filter: the whole list is read", async () => {
    const zero = showingFilter(OURS_AGAIN, { "service:name_values[]": "0" });
    expect((await listTokens(session([ok(zero)]).s)).map((r) => r.id)).toEqual([1]);
    const $ = load(OURS_AGAIN);
    $('select[name="service:name_values[]"]').prepend('<option selected="selected"></option>');
    expect((await listTokens(session([ok($.html())]).s)).map((r) => r.id)).toEqual([1]);
    // A service actually chosen is a filter: that page is not the whole list.
    const chosen = showingFilter(OURS_AGAIN, { "service:name_values[]": PERCIPIO });
    await expect(listTokens(session([ok(chosen)]).s)).rejects.toThrow(/filtered by other values/);
  });

  it("a later page of a lookup filtered by other values (changed between two pages) is not taken: the filter is set again and the list read again", async () => {
    const p0 = named(tokenList(range(1, 30).map((id) => ({ id, name: "percipio-token" })), 31));
    const p1 = named(tokenList([{ id: 31, name: "percipio-token" }], 31));
    const p1Other = filteredByName(tokenList([{ id: 99, name: "other" }], 31), "other");
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, ok(p0), ok(p1Other), ajaxOk, ok(p0), ok(p1), ajaxOk]);
    const rows = await findTokens(s, { name: "percipio-token", match: "exact" });
    expect(rows.map((r) => r.id)).toEqual(range(1, 31));
    expect(calls(sent)).toEqual([`GET ${TOKENS}`, SET, `GET ${TOKENS}`, `GET ${TOKENS}?page=1`, SET, `GET ${TOKENS}`, `GET ${TOKENS}?page=1`, RESET]);
  });

  it("a lookup reads up to ten filtered pages (300 tokens) to their end", async () => {
    const pages = range(0, 9).map((p) => ok(filteredByPrefix(tokenList(range(p * 30 + 1, p * 30 + 30).map((id) => ({ id, name: `percipio-${id}` })), 300), "percipio-")));
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, ...pages, ajaxOk]);
    expect(await findTokens(s, { name: "percipio-", match: "prefix" })).toHaveLength(300);
    expect(calls(sent).filter((c) => c.startsWith(`GET ${TOKENS}?page=`))).toHaveLength(9);
  });

  it("an exact lookup returns only the name asked for, whatever else the filtered page lists", async () => {
    const page = named(tokenList([{ id: 7, name: "percipio-token" }, { id: 8, name: "percipio-token-old" }]));
    const { s } = session([ok(TOKENS_EMPTY), ajaxOk, ok(page), ajaxOk]);
    expect((await findTokens(s, { name: "percipio-token", match: "exact" })).map((r) => r.id)).toEqual([7]);
  });
});

describe("the report-builder AJAX answers", () => {
  const lookup = (s: Parameters<typeof findTokens>[0]) => findTokens(s, { name: "percipio-token", match: "exact" });

  it("is posted without following redirects", async () => {
    const { s, requests } = session([ok(TOKENS_EMPTY), ajaxOk, ok(named(TOKENS_EMPTY)), ajaxOk]);
    await lookup(s);
    expect(requests.filter((r) => r.method === "POST").map((r) => r.follow)).toEqual([false, false]);
  });

  it("an answer without a result, or one that did not set the filter, is a failure of the lookup, and no page is believed", async () => {
    const empty = session([ok(TOKENS_EMPTY), ajax([])]);
    const err = await lookup(empty.s).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.detail).toMatch(/core_reportbuilder_set_filters/);
    for (const answer of [{ error: false, data: false }, { error: true, data: true }]) {
      const st = session([ok(TOKENS_EMPTY), ajax([answer])]);
      await expect(lookup(st.s)).rejects.toBeInstanceOf(MoodleError);
      expect(st.sent).toHaveLength(2);
    }
  });

  it.each(["servicerequireslogin", "requireloginerror", "invalidsesskey"])("a lost session (%s) is logged in again once and the call repeated", async (errorcode) => {
    const lost = ajax([{ error: true, exception: { message: "Session lost", errorcode } }]);
    const { s, sent, relogins } = relogging([ok(TOKENS_EMPTY), lost, ajaxOk, ok(named(TOKENS_EMPTY)), ajaxOk]);
    expect(await lookup(s)).toEqual([]);
    expect(relogins).toHaveLength(1);
    expect(calls(sent).filter((c) => c === SET)).toHaveLength(2);
  });

  it("another refusal is not a lost session: no new login", async () => {
    const refused = ajax([{ error: true, exception: { message: "Access denied", errorcode: "nopermissions" } }]);
    const { s, relogins } = relogging([ok(TOKENS_EMPTY), refused]);
    await expect(lookup(s)).rejects.toThrow(/Access denied/);
    expect(relogins).toHaveLength(0);
  });

  it("a session lost again right after the new login is an error, after one new login only", async () => {
    const lost = ajax([{ error: true, exception: { message: "Session lost", errorcode: "servicerequireslogin" } }]);
    const { s, relogins } = relogging([ok(TOKENS_EMPTY), lost, lost, ok(named(TOKENS_EMPTY)), ajaxOk]);
    await expect(lookup(s)).rejects.toBeInstanceOf(MoodleError);
    expect(relogins).toHaveLength(1);
  });

  it("a failing lookup names the token it looked for", async () => {
    const refused = ajax([{ error: true, exception: { message: "Access denied", errorcode: "nopermissions" } }]);
    const err = await lookup(session([ok(TOKENS_EMPTY), refused]).s).catch((e) => e);
    expect(err.step).toMatch(/"percipio-token"/);
  });
});

describe("counting the tokens on some services", () => {
  it("no services: none, exactly, and Moodle is not asked", async () => {
    const { s, sent } = session([]);
    expect(await tokensOnServices(s, [])).toEqual({ total: 0, exact: true, seen: {}, seenAll: true });
    expect(sent).toHaveLength(0);
  });

  it("a first page that shows some of them but not every token: at least those, not an exact count", async () => {
    const { s, sent } = session([ok(PAGE0_OF_45)]);
    expect(await tokensOnServices(s, [PERCIPIO])).toEqual({ total: 30, exact: false, seen: { [PERCIPIO]: 30 }, seenAll: false });
    expect(sent).toHaveLength(1);
  });

  it("a first page full of other services' tokens: the report filtered by the services, read fresh, counted by Moodle", async () => {
    const others = tokenList(range(101, 130).map((id) => ({ id, name: `app-${id}`, service: MOBILE })), 75);
    const byService = showingFilter(PAGE0_OF_45, { "service:name_values[]": PERCIPIO });
    const { s, sent, flags, requests } = session([ok(others), ajaxOk, ok(byService), ajaxOk]);
    expect(await tokensOnServices(s, [PERCIPIO])).toEqual({ total: 45, exact: true, seen: { [PERCIPIO]: 30 }, seenAll: false });
    expect(calls(sent)).toEqual([`GET ${TOKENS}`, SET, `GET ${TOKENS}`, RESET]);
    expect(JSON.parse((requests[1].json as any)[0].args.values)).toEqual({ "service:name_values": [PERCIPIO] });
    expect(flags[2].reuse).toBe(false);
  });

  it("all of them on the filtered page: an exact count, every one seen", async () => {
    const others = tokenList(range(101, 130).map((id) => ({ id, name: `app-${id}`, service: MOBILE })), 31);
    const byService = showingFilter(tokenList([{ id: 1, name: "percipio-token" }]), { "service:name_values[]": PERCIPIO });
    const { s } = session([ok(others), ajaxOk, ok(byService), ajaxOk]);
    expect(await tokensOnServices(s, [PERCIPIO])).toEqual({ total: 1, exact: true, seen: { [PERCIPIO]: 1 }, seenAll: true });
  });

  it("a filtered page showing another filter (someone using Manage tokens) is not counted: the filter is set again", async () => {
    const others = tokenList(range(101, 130).map((id) => ({ id, name: `app-${id}`, service: MOBILE })), 75);
    const someoneElses = filteredByName(tokenList([{ id: 5, name: "x" }]), "x");
    const byService = showingFilter(PAGE0_OF_45, { "service:name_values[]": PERCIPIO });
    const { s, sent } = session([ok(others), ajaxOk, ok(someoneElses), ajaxOk, ok(byService), ajaxOk]);
    expect((await tokensOnServices(s, [PERCIPIO])).total).toBe(45);
    expect(calls(sent).filter((c) => c === SET)).toHaveLength(2);
  });

  it("a failed count says it was counting tokens", async () => {
    const err = await tokensOnServices(session([pg(500, "")]).s, [PERCIPIO]).catch((e) => e);
    expect(err.step).toMatch(/count tokens/);
  });
});

describe("reading the whole list", () => {
  it("readTokens reads fresh unless asked, and hands over the once-only value shown on its first page", async () => {
    const { s, flags } = session([ok(LIST_WITH_VALUE)]);
    const read = await readTokens(s);
    expect(read.created).toEqual({ name: "percipio-token", token: VALUE });
    expect(read.rows.map((r) => r.id)).toEqual([1]);
    expect(flags[0].reuse).toBe(false);
  });

  it("listTokens names its step when it fails", async () => {
    const err = await listTokens(session([ok("<html></html>")]).s).catch((e) => e);
    expect(err.step).toBe("list tokens");
  });
});

describe("whether a token exists", () => {
  it("a confirmation form for that token on a failed answer proves nothing", async () => {
    await expect(tokenExists(session([pg(500, CONFIRM)]).s, 1)).rejects.toBeInstanceOf(MoodleError);
  });

  it("a failure names the token it was about", async () => {
    const err = await tokenExists(session([ok(TOKENS_EMPTY)]).s, 17).catch((e) => e);
    expect(err.step).toMatch(/\b17\b/);
  });
});

describe("deleting", () => {
  it("only Moodle's 404 'no such record' ends a delete at once; the same words on another answer are checked by reading the token back", async () => {
    const { s, sent } = session([pg(500, errorPage("Can't find data record in database.", "invalidrecord")), ok(CONFIRM)]);
    await expect(deleteToken(s, 1)).rejects.toBeInstanceOf(MoodleNotAppliedError);
    expect(calls(sent)).toEqual([`POST ${TOKENS}`, `GET ${TOKENS}?action=delete&tokenid=1`]);
  });

  it("new tokens without their value that cannot be deleted again are all named, with their name, for a person to delete", async () => {
    const two = named(tokenList([{ id: 1, name: "percipio-token" }, { id: 2, name: "percipio-token" }]));
    // A site with more tokens than a page shows: the name filter finds ours.
    const start = [ok(SERVICE_FORM), ok(PAGE0_OF_45), ajaxOk, ok(named(TOKENS_EMPTY))];
    const { s } = session([...start, redirect, ok(two), redirect, ok(CONFIRM), redirect, ok(page("5.0", "e8-token-delete-confirm.html").replace(/name="tokenid" value="1"/, 'name="tokenid" value="2"')), ajaxOk]);
    const err = await createToken(s, { name: "percipio-token", userId: 2, serviceId: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.detail).toMatch(/token id 1, 2 named "percipio-token"/);
    expect(err.detail).not.toContain(VALUE);
  });
});
