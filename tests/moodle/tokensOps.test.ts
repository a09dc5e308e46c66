// Manage tokens on recorded Moodle 5.0 pages through a stand-in session: how tokens are found through
// the report's name filter (and what is concluded only from a complete, verified read), what a create
// posts and how its outcome is decided, how a known token is checked and a delete confirmed by id.
import { load } from "cheerio";
import { MoodleNotAppliedError, MoodleTokenExistsError } from "../../moodle/errors";
import { createToken, deleteToken, findTokens, listTokens, readTokens, tokenExists } from "../../moodle/tokens";
import { AJAX_OK, filteredByName, filteredByPrefix } from "./tokenPages";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const TOKENS = "/admin/webservice/tokens.php";
const PAGE0_OF_45 = page("5.0", "e14-tokens-list-45-page0.html"); // ids 1-30, data-table-total-rows 45
const PAGE1_OF_45 = page("5.0", "e15-tokens-list-45-page1.html"); // ids 31-45
const TOKENS_EMPTY = page("5.0", "e1-tokens-list-empty.html");
const LIST_WITH_VALUE = page("5.0", "p8-tokens-list-new.html"); // id 1 "percipio-token" for user 2, once-only value shown
const SERVICE_FORM = page("5.0", "p2-service-edit.html"); // id 3, "Percipio services"
const NOT_ALLOWED = page("5.0", "e3-token-create-notallowed.html"); // the create form re-rendered with an error banner
const VALUE = "d0404eddcca13cc6e8cca357c682616b";
const OURS_AGAIN = page("5.0", "p9-tokens-list-again.html"); // id 1 "percipio-token", no value
const CONFIRM = page("5.0", "e8-token-delete-confirm.html"); // token id 1
const SET = `POST /lib/ajax/service.php?sesskey=SESSKEY&info=core_reportbuilder_set_filters`;
const RESET = `POST /lib/ajax/service.php?sesskey=SESSKEY&info=core_reportbuilder_filters_reset`;
const ajaxOk = ok(AJAX_OK);
const named = (html: string) => filteredByName(html, "percipio-token");
const calls = (sent: { method: string; path: string }[]) => sent.map((r) => `${r.method} ${r.path}`);

interface Row {
  id: number;
  name: string;
  /** No profile link in the User column when undefined. */
  userId?: number;
  service?: string;
}

/** The recorded list page (p8) showing these rows, this total, and the once-only value or none. */
function tokenList(rows: Row[], opts: { total?: number; created?: { name: string; token: string } } = {}): string {
  const $ = load(LIST_WITH_VALUE);
  const tbody = $("table[data-region=reportbuilder-table] tbody");
  const template = tbody.children("tr").first().clone();
  tbody.empty();
  for (const r of rows) {
    const tr = template.clone();
    tr.children("td.c0").text(r.name);
    const user = tr.children("td.c1");
    if (r.userId === undefined) user.text("Admin User");
    else user.find("a").attr("href", `http://127.0.0.1:8080/user/profile.php?id=${r.userId}`);
    const service = tr.children("td.c3");
    service.html((service.html() ?? "").replace("Percipio services", r.service ?? "Percipio services"));
    tr.find('a[href*="tokenid="]').attr("href", `http://127.0.0.1:8080/admin/webservice/tokens.php?action=delete&tokenid=${r.id}`);
    tbody.append(tr);
  }
  $("[data-table-total-rows]").attr("data-table-total-rows", String(opts.total ?? rows.length));
  const value = $("#copytoclipboardtoken");
  if (opts.created) {
    value.text(opts.created.token);
    value.parent().prevAll("div").first().text(opts.created.name);
  } else {
    value.parent().parent().remove();
  }
  return $.html();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const bulk = (ids: number[]) => ids.map((id) => ({ id, name: `bulk-${String(id).padStart(3, "0")}`, userId: 2 }));

describe("reading the whole token list (small sites, tests)", () => {
  it("reads both pages of a 45-token report, fresh from Moodle unless asked", async () => {
    const { s, sent, flags } = session([ok(PAGE0_OF_45), ok(PAGE1_OF_45)]);
    const rows = await listTokens(s);
    expect(rows.map((r) => r.id)).toEqual(range(1, 45));
    expect(calls(sent)).toEqual([`GET ${TOKENS}`, `GET ${TOKENS}?page=1`]);
    expect(flags.map((f) => f.reuse)).toEqual([false, false]);
    const reused = session([ok(PAGE0_OF_45), ok(PAGE1_OF_45)]);
    await listTokens(reused.s, true);
    expect(reused.flags.map((f) => f.reuse)).toEqual([true, false]);
  });

  it("pages that repeat tokens and never show others (equal dates moving between pages) are an error, not a list", async () => {
    // Moodle counts 45; page 1 shows tokens 1-15 again instead of 31-45.
    const again = tokenList(bulk(range(1, 15)), { total: 45 });
    const err = await listTokens(session([ok(PAGE0_OF_45), ok(again)]).s).catch((e) => e);
    expect(err.message).toContain("read 30 distinct tokens of the 45 the report counts");
    expect(err.message).toContain("nothing was concluded from it");
  });

  it("a page filtered by someone's report filter is not the whole list", async () => {
    const err = await listTokens(session([ok(named(TOKENS_EMPTY))]).s).catch((e) => e);
    expect(err.message).toMatch(/filtered by other values than this lookup set/);
  });

  it("a token list that changes size while read is an error", async () => {
    const err = await listTokens(session([ok(PAGE0_OF_45), ok(tokenList(bulk(range(31, 46)), { total: 46 }))]).s).catch((e) => e);
    expect(err.message).toContain("the token list changed while it was read (45, then 46 tokens)");
  });

  it("an error page or a page without the report is an error naming the step", async () => {
    await expect(listTokens(session([pg(500, TOKENS_EMPTY)]).s)).rejects.toThrow("no token list on the page (HTTP 500)");
    await expect(readTokens(session([ok("<html></html>")]).s)).rejects.toThrow(/^list tokens failed at /);
  });
});

describe("finding tokens by name through the report's filter", () => {
  it("sets the name filter for the admin, reads the page it produced, keeps exact names only, and resets the filter", async () => {
    const page = named(tokenList([{ id: 7, name: "percipio-token", userId: 2 }, { id: 8, name: "PERCIPIO-TOKEN", userId: 2 }]));
    const { s, sent, requests } = session([ok(TOKENS_EMPTY), ajaxOk, ok(page), ajaxOk]);
    const rows = await findTokens(s, { name: "percipio-token", match: "exact" });
    expect(rows.map((r) => r.id)).toEqual([7]);
    // The report id comes from a token page (any will do); the filter is per user and changes that page.
    expect(calls(sent)).toEqual([`GET ${TOKENS}`, SET, `GET ${TOKENS}`, RESET]);
    expect(requests[0].reuse).toBe(true);
    expect(requests[1].json).toEqual([
      { index: 0, methodname: "core_reportbuilder_set_filters", args: { reportid: 1, parameters: "[]", values: JSON.stringify({ "token:name_operator": 3, "token:name_value": "percipio-token" }) } },
    ]);
    expect(requests[1]).toMatchObject({ idempotent: true, invalidates: [TOKENS] });
    expect(requests[3].json).toEqual([{ index: 0, methodname: "core_reportbuilder_filters_reset", args: { reportid: 1, parameters: "[]" } }]);
  });

  it("a prefix lookup uses 'starts with' and keeps the names that start so", async () => {
    const page = filteredByPrefix(tokenList([{ id: 3, name: "percipio-abc" }, { id: 4, name: "Percipio-def" }]), "percipio-");
    const { s, requests } = session([ok(TOKENS_EMPTY), ajaxOk, ok(page), ajaxOk]);
    expect((await findTokens(s, { name: "percipio-", match: "prefix" })).map((r) => r.id)).toEqual([3]);
    expect(JSON.parse((requests[1].json as any)[0].args.values)).toEqual({ "token:name_operator": 5, "token:name_value": "percipio-" });
  });

  it("a page showing another filter (another run or a person) sets the filter again; no tokens are concluded from it", async () => {
    const mine = named(tokenList([{ id: 7, name: "percipio-token", userId: 2 }]));
    const someoneElses = filteredByName(TOKENS_EMPTY, "other");
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, ok(someoneElses), ajaxOk, ok(mine), ajaxOk]);
    expect((await findTokens(s, { name: "percipio-token", match: "exact" })).map((r) => r.id)).toEqual([7]);
    expect(calls(sent)).toEqual([`GET ${TOKENS}`, SET, `GET ${TOKENS}`, SET, `GET ${TOKENS}`, RESET]);
  });

  it("a filter that keeps being changed is an error after three reads, and the filter is still reset", async () => {
    const other = ok(filteredByName(TOKENS_EMPTY, "other"));
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, other, ajaxOk, other, ajaxOk, other, ajaxOk]);
    const err = await findTokens(s, { name: "percipio-token", match: "exact" }).catch((e) => e);
    expect(err.message).toMatch(/filtered by other values than this lookup set .*same admin account/);
    expect(calls(sent).at(-1)).toBe(RESET);
  });

  it("a filtered list longer than a page is read to its end and must add up", async () => {
    const p0 = named(tokenList(range(1, 30).map((id) => ({ id, name: "percipio-token" })), { total: 31 }));
    const p1 = named(tokenList([{ id: 31, name: "percipio-token" }], { total: 31 }));
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, ok(p0), ok(p1), ajaxOk]);
    expect(await findTokens(s, { name: "percipio-token", match: "exact" })).toHaveLength(31);
    expect(calls(sent)).toContain(`GET ${TOKENS}?page=1`);
    const short = session([ok(TOKENS_EMPTY), ajaxOk, ok(p0), ok(named(tokenList([{ id: 5, name: "percipio-token" }], { total: 31 }))), ajaxOk]);
    await expect(findTokens(short.s, { name: "percipio-token", match: "exact" })).rejects.toThrow("read 30 distinct tokens of the 31");
  });

  it("refuses to conclude anything from more than ten filtered pages", async () => {
    const huge = named(tokenList([{ id: 1, name: "percipio-token" }], { total: 301 }));
    const { s, sent } = session([ok(TOKENS_EMPTY), ajaxOk, ok(huge), ajaxOk]);
    await expect(findTokens(s, { name: "percipio-token", match: "exact" })).rejects.toThrow("the report lists 301 tokens for this lookup, more than the 300 it reads");
    expect(sent).toHaveLength(4);
  });

  it("an AJAX refusal is reported with Moodle's words; a lost session is logged in again once", async () => {
    const refused = ok(JSON.stringify([{ error: true, exception: { message: "Access denied", errorcode: "nopermissions" } }]));
    await expect(findTokens(session([ok(TOKENS_EMPTY), refused]).s, { name: "x", match: "exact" })).rejects.toThrow('core_reportbuilder_set_filters: Moodle said "Access denied"');
    const relogins: number[] = [];
    const expired = ok(JSON.stringify([{ error: true, exception: { message: "timed out", errorcode: "invalidsesskey" } }]));
    const st = session([ok(TOKENS_EMPTY), expired, ajaxOk, ok(filteredByName(TOKENS_EMPTY, "x")), ajaxOk]);
    (st.s as any).forceRelogin = async () => void relogins.push(1);
    expect(await findTokens(st.s, { name: "x", match: "exact" })).toEqual([]);
    expect(relogins).toHaveLength(1);
    await expect(findTokens(session([ok(TOKENS_EMPTY), ok("<html>")]).s, { name: "x", match: "exact" })).rejects.toThrow("not JSON (HTTP 200)");
  });
});

describe("a known token, by its id", () => {
  it("exists while its delete confirmation page shows its id (one request)", async () => {
    const { s, sent } = session([ok(CONFIRM)]);
    expect(await tokenExists(s, 1)).toBe(true);
    expect(calls(sent)).toEqual([`GET ${TOKENS}?action=delete&tokenid=1`]);
  });

  it("is gone only when Moodle says it has no such record", async () => {
    expect(await tokenExists(session([pg(404, errorPage("Can't find data record in database.", "invalidrecordunknown"))]).s, 1)).toBe(false);
    expect(await tokenExists(session([pg(404, errorPage("Can't find data record in database table external_tokens.", "invalidrecord"))]).s, 1)).toBe(false);
  });

  it("any other answer is an error, never 'gone': a failed database read, a page without the form, another token's form", async () => {
    await expect(tokenExists(session([pg(404, errorPage("Error reading from database", "dmlreadexception"))]).s, 1)).rejects.toThrow(
      'cannot tell whether token 1 exists: Moodle said "Error reading from database"',
    );
    await expect(tokenExists(session([ok(TOKENS_EMPTY)]).s, 1)).rejects.toThrow("cannot tell whether token 1 exists (HTTP 200, no confirmation form)");
    await expect(tokenExists(session([ok(CONFIRM)]).s, 2)).rejects.toThrow("cannot tell whether token 2 exists");
    await expect(tokenExists(session([pg(503, "")]).s, 1)).rejects.toThrow("(HTTP 503, no confirmation form)");
  });
});

describe("creating a token", () => {
  const req = { name: "percipio-token", userId: 2, serviceId: 3 };
  const step = 'create token "percipio-token"';
  // A site with more tokens than the report's first page shows: the name filter finds ours.
  const start = [ok(SERVICE_FORM), ok(PAGE0_OF_45), ajaxOk];
  const created = named(LIST_WITH_VALUE);

  it("on a site with more tokens than a page shows, filters the report by the name, checks it, posts once, takes the value from the next view, and resets the filter", async () => {
    const { s, sent, flags, requests } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(created), ajaxOk]);
    const t = await createToken(s, req);
    expect(t.token).toBe(VALUE);
    expect(t.row).toMatchObject({ id: 1, name: "percipio-token", userId: 2, serviceName: "Percipio services" });
    expect(calls(sent)).toEqual(["GET /admin/webservice/service.php?id=3", `GET ${TOKENS}`, SET, `GET ${TOKENS}`, `POST ${TOKENS}`, `GET ${TOKENS}`, RESET]);
    expect(flags[0].reuse).toBe(true);
    expect(flags[4]).toMatchObject({ idempotent: false, follow: false });
    expect(flags[5].reuse).toBe(false);
    // The create changes the token list only: other remembered admin pages stay usable.
    expect(requests[4].invalidates).toEqual([TOKENS]);
    expect(sent[4].form).toEqual({
      action: "create",
      sesskey: "SESSKEY",
      _qf__core_webservice_token_form: "1",
      name: "percipio-token",
      user: "2",
      service: "3",
      iprestriction: "",
      submitbutton: "Save changes",
    });
  });

  it.each([
    ["1900-01-01", { "validuntil[day]": "1", "validuntil[month]": "1", "validuntil[year]": "1900" }],
    ["2050-12-31", { "validuntil[day]": "31", "validuntil[month]": "12", "validuntil[year]": "2050" }],
  ])("accepts %s, an end of Moodle's date selector, and posts it as the expiry", async (validUntil, fields) => {
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(created), ajaxOk]);
    await createToken(s, { ...req, validUntil });
    expect(sent[4].form).toMatchObject({ "validuntil[enabled]": "1", ...fields });
  });

  it("a token of the same name for another user, or on another service, is no clash", async () => {
    const before = named(tokenList([{ id: 7, name: "percipio-token", userId: 5 }, { id: 6, name: "percipio-token", userId: 2, service: "Moodle mobile web service" }]));
    const after = named(
      tokenList(
        [
          { id: 7, name: "percipio-token", userId: 5 },
          { id: 6, name: "percipio-token", userId: 2, service: "Moodle mobile web service" },
          { id: 8, name: "percipio-token", userId: 2 },
        ],
        { created: { name: "percipio-token", token: VALUE } },
      ),
    );
    const { s } = session([...start, ok(before), redirect, ok(after), ajaxOk]);
    expect((await createToken(s, req)).row.id).toBe(8);
  });

  it("a token of that name on that service whose user the list does not show counts as existing: nothing is posted, the rows come with the error", async () => {
    const { s, sent } = session([...start, ok(named(tokenList([{ id: 7, name: "percipio-token" }]))), ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTokenExistsError);
    expect(err.message).toContain("token id 7");
    expect(err.rows.map((r: { id: number }) => r.id)).toEqual([7]);
    expect(sent.filter((r) => r.method === "POST").map((r) => r.path)).toEqual([SET.slice(5), RESET.slice(5)]);
  });

  it.each([300, 302, 303])("takes a %i redirect as accepted; a complete filtered list without the token then means nothing was created", async (status) => {
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), pg(status, ""), ok(named(TOKENS_EMPTY)), ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toBe(`${step} failed at ${TOKENS}: no token was created; nothing to clean up, safe to retry`);
    expect(calls(sent).at(-1)).toBe(RESET);
  });

  it("after a lost answer, a list that is not proven complete never says 'nothing to clean up'", async () => {
    // The report counts 31 tokens of that name but the page shows none: not a complete read.
    const incomplete = named(tokenList([], { total: 31 }));
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), pg(503, ""), ok(incomplete), ok(named(tokenList([], { total: 31 }))), ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).not.toContain("nothing to clean up");
    expect(err.message).toContain('the answer to the create was lost (unexpected HTTP 503) and the token list could not be read afterwards');
    expect(err.message).toContain("whether Moodle created a token named \"percipio-token\" is unknown");
    expect(err.message).toContain("the next run finds it by its name, deletes it and creates the token again");
  });

  it("after a lost answer, a page filtered by someone else's values is read again under ours before anything is concluded", async () => {
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), pg(503, ""), ok(filteredByName(TOKENS_EMPTY, "x")), ajaxOk, ok(named(TOKENS_EMPTY)), ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain("no token was created (unexpected HTTP 503); nothing to clean up");
    expect(calls(sent).filter((c) => c === SET)).toHaveLength(2);
  });

  it("the once-only value shown on a page filtered by someone else is kept while the row is found under our filter", async () => {
    const shownUnderOther = filteredByName(LIST_WITH_VALUE, "x");
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(shownUnderOther), ajaxOk, ok(named(OURS_AGAIN)), ajaxOk]);
    expect(await createToken(s, req)).toEqual({ token: VALUE, row: expect.objectContaining({ id: 1 }) });
  });

  it("a form re-rendered with an error is a refusal quoting it, and the list is not read again", async () => {
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), ok(NOT_ALLOWED), ajaxOk]);
    await expect(createToken(s, req)).rejects.toThrow("Moodle refused: The user is not allowed for this service.");
    expect(calls(sent).slice(-2)).toEqual([`POST ${TOKENS}`, RESET]);
  });

  it("quotes every error of a re-rendered form, separated", async () => {
    const $ = load(NOT_ALLOWED);
    $('input[name="_qf__core_webservice_token_form"]').closest("form").append('<div class="invalid-feedback" id="id_error_name">Required</div>');
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), ok($.html()), ajaxOk]);
    await expect(createToken(s, req)).rejects.toThrow("administration page.; Required");
  });

  it("an error page with HTTP 400 is a refusal quoting Moodle", async () => {
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), pg(400, errorPage("Invalid parameter value detected", "invalidparameter")), ajaxOk]);
    await expect(createToken(s, req)).rejects.toThrow("Moodle refused: Invalid parameter value detected");
  });

  it("a non-200 answer showing the form is doubtful too, and a list with the new token and its value is success", async () => {
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), pg(500, NOT_ALLOWED), ok(created), ajaxOk]);
    expect((await createToken(s, req)).token).toBe(VALUE);
  });

  it("a token someone else created meanwhile (another name) is neither taken nor deleted", async () => {
    const after = named(tokenList([{ id: 1, name: "percipio-token", userId: 2 }, { id: 2, name: "percipio-tokeN", userId: 2 }], { created: { name: "percipio-token", token: VALUE } }));
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(after), ajaxOk]);
    expect(await createToken(s, req)).toEqual({ token: VALUE, row: expect.objectContaining({ id: 1, name: "percipio-token" }) });
    expect(sent.some((r) => r.form?.action === "delete")).toBe(false);
  });

  it("a new token without its value is deleted again by id and proven gone, and the error says so", async () => {
    const gone = pg(404, errorPage("Can't find data record in database.", "invalidrecordunknown"));
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), pg(503, ""), ok(named(OURS_AGAIN)), redirect, gone, ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain("the token was created but Moodle's once-only display of its value was lost (unexpected HTTP 503); deleted it again (id 1)");
    expect(calls(sent).slice(-4)).toEqual([`GET ${TOKENS}`, `POST ${TOKENS}`, `GET ${TOKENS}?action=delete&tokenid=1`, RESET]);
  });

  it("a new token without its value that cannot be deleted is named in the error, never called clean", async () => {
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), pg(503, ""), ok(named(OURS_AGAIN)), redirect, ok(CONFIRM), ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain('deleting it again failed: token id 1 named "percipio-token" is left in Moodle');
    expect(err.message).not.toContain("nothing to clean up");
  });

  it("two new tokens of that name (another run at the same time) are both deleted, and neither value is handed out", async () => {
    const two = named(tokenList([{ id: 1, name: "percipio-token", userId: 2 }, { id: 2, name: "percipio-token", userId: 2 }], { created: { name: "percipio-token", token: VALUE } }));
    const gone = pg(404, errorPage("Can't find data record in database.", "invalidrecordunknown"));
    const { s, sent } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(two), redirect, gone, redirect, gone, ajaxOk]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain("deleted it again (id 1, 2)");
    expect(err.message).not.toContain(VALUE);
    expect(sent.filter((r) => r.form?.action === "delete").map((r) => r.form!.tokenid)).toEqual(["1", "2"]);
  });

  it("a failing filter reset does not change the outcome", async () => {
    const { s } = session([...start, ok(named(TOKENS_EMPTY)), redirect, ok(created), pg(500, "")]);
    expect((await createToken(s, req)).token).toBe(VALUE);
  });
});

describe("creating a token on a site whose every token fits on the report's first page", () => {
  const req = { name: "percipio-token", userId: 2, serviceId: 3 };
  const value = { name: "percipio-token", token: VALUE };
  const others = [{ id: 4, name: "moodle-app", userId: 5, service: "Moodle mobile web service" }];
  const gone = pg(404, errorPage("Can't find data record in database.", "invalidrecordunknown"));

  it("sets no filter: the page before and the first view after the create are whole lists", async () => {
    const after = tokenList([...others, { id: 9, name: "percipio-token", userId: 2 }], { created: value });
    const { s, sent, flags } = session([ok(SERVICE_FORM), ok(tokenList(others)), redirect, ok(after)]);
    expect(await createToken(s, req)).toEqual({ token: VALUE, row: expect.objectContaining({ id: 9, name: "percipio-token", userId: 2 }) });
    expect(calls(sent)).toEqual(["GET /admin/webservice/service.php?id=3", `GET ${TOKENS}`, `POST ${TOKENS}`, `GET ${TOKENS}`]);
    // Both fresh: a same-named token's last access decides whether it may be replaced.
    expect(flags[1].reuse).toBe(false);
    expect(flags[3].reuse).toBe(false);
  });

  it("refuses a token of that name for that user on that service, posting nothing", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(tokenList([...others, { id: 7, name: "percipio-token", userId: 2 }]))]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTokenExistsError);
    expect(err.rows.map((r: { id: number }) => r.id)).toEqual([7]);
    expect(sent.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("a token that was listed before is not taken for the new one", async () => {
    const before = [{ id: 3, name: "percipio-token", userId: 2, service: "Moodle mobile web service" }];
    const after = tokenList([...before, { id: 9, name: "percipio-token", userId: 2 }], { created: value });
    const { s } = session([ok(SERVICE_FORM), ok(tokenList(before)), redirect, ok(after)]);
    expect((await createToken(s, req)).row.id).toBe(9);
  });

  it("a first page that does not show every token the report counts goes through the name filter", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(tokenList(others, { total: 2 })), ajaxOk, ok(named(TOKENS_EMPTY)), redirect, ok(created()), ajaxOk]);
    expect((await createToken(s, req)).token).toBe(VALUE);
    expect(calls(sent).filter((c) => c === SET || c === RESET)).toEqual([SET, RESET]);
  });

  it("a first page filtered by someone (another run, a person) goes through the name filter", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(filteredByName(TOKENS_EMPTY, "x")), ajaxOk, ok(named(TOKENS_EMPTY)), redirect, ok(created()), ajaxOk]);
    expect((await createToken(s, req)).token).toBe(VALUE);
    expect(calls(sent)).toContain(SET);
  });

  it("a view after the create that no longer shows every token keeps the value shown and finds the row under the name filter", async () => {
    const full = bulk(range(1, 29));
    const grown = tokenList([...full, { id: 40, name: "percipio-token", userId: 2 }], { total: 31, created: value });
    const { s, sent } = session([ok(SERVICE_FORM), ok(tokenList(full)), redirect, ok(grown), ajaxOk, ok(named(tokenList([{ id: 40, name: "percipio-token", userId: 2 }]))), ajaxOk]);
    expect(await createToken(s, req)).toEqual({ token: VALUE, row: expect.objectContaining({ id: 40 }) });
    expect(calls(sent).slice(-3)).toEqual([SET, `GET ${TOKENS}`, RESET]);
  });

  it("after a lost answer, a whole list without the token means nothing was created", async () => {
    const { s } = session([ok(SERVICE_FORM), ok(tokenList(others)), pg(503, ""), ok(tokenList(others))]);
    await expect(createToken(s, req)).rejects.toThrow("no token was created (unexpected HTTP 503); nothing to clean up, safe to retry");
  });

  it("after a lost answer, a new token without its value is deleted again and the error says so", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(tokenList(others)), pg(503, ""), ok(tokenList([...others, { id: 9, name: "percipio-token", userId: 2 }])), redirect, gone]);
    await expect(createToken(s, req)).rejects.toThrow("deleted it again (id 9)");
    expect(sent.filter((r) => r.form?.action === "delete").map((r) => r.form!.tokenid)).toEqual(["9"]);
  });

  it("a list that cannot be read after the create never says 'nothing to clean up'", async () => {
    const { s } = session([ok(SERVICE_FORM), ok(tokenList(others)), redirect, pg(500, errorPage("Error reading from database", "dmlreadexception"))]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain("the token list could not be read afterwards");
    expect(err.message).toContain('whether Moodle created a token named "percipio-token" is unknown');
    expect(err.message).not.toContain("nothing to clean up");
  });

  function created(): string {
    return named(LIST_WITH_VALUE);
  }
});

describe("deleting a token", () => {
  const gone = pg(404, errorPage("Can't find data record in database.", "invalidrecordunknown"));

  it("posts the delete, which may be repeated, declares it changes the token list, and proves it gone on its confirmation page", async () => {
    const { s, sent, flags, requests } = session([redirect, gone]);
    await expect(deleteToken(s, 1)).resolves.toBeUndefined();
    expect(calls(sent)).toEqual([`POST ${TOKENS}`, `GET ${TOKENS}?action=delete&tokenid=1`]);
    expect(sent[0].form).toEqual({ tokenid: "1", action: "delete", confirm: "1", sesskey: "SESSKEY" });
    expect(flags[0]).toMatchObject({ idempotent: true, follow: false });
    expect(requests[0].invalidates).toEqual([TOKENS]);
  });

  it("a token that is gone already is Moodle's 'no such record' at once: one request", async () => {
    const { s, sent } = session([gone]);
    await deleteToken(s, 1);
    expect(sent).toHaveLength(1);
  });

  it("quotes Moodle's error page when the token still exists", async () => {
    const { s } = session([pg(404, errorPage("Your session has most likely timed out.", "invalidsesskey")), ok(CONFIRM)]);
    const err = await deleteToken(s, 1).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toContain(`token 1 still exists; Moodle said "Your session has most likely timed out."`);
  });

  it("names the status of any other answer when the token still exists, and never calls an unclear read-back gone", async () => {
    const still = await deleteToken(session([pg(200, CONFIRM), ok(CONFIRM)]).s, 1).catch((e) => e);
    expect(still.message).toContain("token 1 still exists (HTTP 200)");
    await expect(deleteToken(session([redirect, pg(404, errorPage("Error reading from database", "dmlreadexception"))]).s, 1)).rejects.toThrow("cannot tell whether token 1 exists");
  });
});
