// Manage tokens on recorded Moodle 5.0 pages through a stand-in session: how the report is paged,
// what a create posts and how its outcome is decided, and how a delete is confirmed.
import { load } from "cheerio";
import { MoodleNotAppliedError, MoodleTokenExistsError } from "../../moodle/errors";
import { createToken, deleteToken, listTokens, readTokens } from "../../moodle/tokens";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const TOKENS = "/admin/webservice/tokens.php";
const PAGE0_OF_45 = page("5.0", "e14-tokens-list-45-page0.html"); // ids 1-30, data-table-total-rows 45
const PAGE1_OF_45 = page("5.0", "e15-tokens-list-45-page1.html"); // ids 31-45
const TOKENS_EMPTY = page("5.0", "e1-tokens-list-empty.html");
const LIST_WITH_VALUE = page("5.0", "p8-tokens-list-new.html"); // id 1 "percipio-token" for user 2, once-only value shown
const LIST_AGAIN = page("5.0", "e6-tokens-list-again.html"); // id 1, no value
const SERVICE_FORM = page("5.0", "p2-service-edit.html"); // id 3, "Percipio services"
const NOT_ALLOWED = page("5.0", "e3-token-create-notallowed.html"); // the create form re-rendered with an error banner
const VALUE = "d0404eddcca13cc6e8cca357c682616b";

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

describe("reading the token list", () => {
  it("reads both pages of a 45-token report, fresh from Moodle unless asked", async () => {
    const { s, sent, flags } = session([ok(PAGE0_OF_45), ok(PAGE1_OF_45)]);
    const rows = await listTokens(s);
    expect(rows.map((r) => r.id)).toEqual(range(1, 45));
    expect(sent.map((r) => r.path)).toEqual([TOKENS, `${TOKENS}?page=1`]);
    expect(flags.map((f) => f.reuse)).toEqual([false, false]);

    const reused = session([ok(PAGE0_OF_45), ok(PAGE1_OF_45)]);
    await listTokens(reused.s, true);
    expect(reused.flags.map((f) => f.reuse)).toEqual([true, true]);
  });

  it("asks for the pages in order until the total is reached", async () => {
    const { s, sent } = session([ok(tokenList(bulk(range(1, 30)), { total: 75 })), ok(tokenList(bulk(range(31, 60)), { total: 75 })), ok(tokenList(bulk(range(61, 75)), { total: 75 }))]);
    const rows = await listTokens(s);
    expect(rows.map((r) => r.id)).toEqual(range(1, 75));
    expect(sent.map((r) => r.path)).toEqual([TOKENS, `${TOKENS}?page=1`, `${TOKENS}?page=2`]);
  });

  it("lists a token once when the report shifted between two page reads and repeats it", async () => {
    const { s } = session([ok(PAGE0_OF_45), ok(tokenList(bulk(range(26, 45)), { total: 45 }))]);
    const rows = await listTokens(s);
    expect(rows.map((r) => r.id)).toEqual(range(1, 45));
  });

  it("stops at a page with nothing new (Moodle ignoring ?page) instead of reading on", async () => {
    const { s, sent } = session([ok(PAGE0_OF_45), ok(PAGE0_OF_45)]);
    const rows = await listTokens(s);
    expect(rows.map((r) => r.id)).toEqual(range(1, 30));
    expect(sent).toHaveLength(2);
  });

  it("reads at most 100 pages of a report whose total is never reached", async () => {
    // Only the report of the recorded page (the chrome around it is 200 kB), once per page with its own token.
    const $ = load(tokenList(bulk([1]), { total: 10_000 }));
    const report = `<html><body><div id="region-main">${$.html($("[data-table-total-rows]").first())}</div></body></html>`;
    expect(report).toContain("tokenid=1\"");
    const pages = range(0, 104).map((p) => ok(report.replace('tokenid=1"', `tokenid=${p + 1}"`)));
    const { s, sent } = session(pages);
    const rows = await listTokens(s);
    expect(sent).toHaveLength(100);
    expect(sent[99].path).toBe(`${TOKENS}?page=99`);
    expect(rows).toHaveLength(100);
  });

  it("takes only a 200 answer as the token list", async () => {
    await expect(listTokens(session([pg(500, TOKENS_EMPTY)]).s)).rejects.toThrow("no token list on the page (HTTP 500)");
  });

  it("names the step 'list tokens' in its errors, also when read without a step of its own", async () => {
    await expect(listTokens(session([ok("<html></html>")]).s)).rejects.toThrow(/^list tokens failed at \/admin\/webservice\/tokens\.php/);
    await expect(readTokens(session([ok("<html></html>")]).s)).rejects.toThrow(/^list tokens failed at /);
  });
});

describe("creating a token", () => {
  const req = { name: "percipio-token", userId: 2, serviceId: 3 };
  const step = 'create token "percipio-token"';

  it("checks service and list allowing pages just read, posts once, and takes the value from a fresh list", async () => {
    const { s, sent, flags, requests } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), redirect, ok(LIST_WITH_VALUE)]);
    const t = await createToken(s, req);
    expect(t.token).toBe(VALUE);
    expect(t.row).toMatchObject({ id: 1, name: "percipio-token", userId: 2, serviceName: "Percipio services" });
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /admin/webservice/service.php?id=3", `GET ${TOKENS}`, `POST ${TOKENS}`, `GET ${TOKENS}`]);
    expect(flags[0].reuse).toBe(true);
    expect(flags[1].reuse).toBe(true);
    expect(flags[2]).toMatchObject({ idempotent: false, follow: false });
    expect(flags[3].reuse).toBe(false);
    // The create changes the token list only: other remembered admin pages stay usable.
    expect(requests[2].invalidates).toEqual([TOKENS]);
    expect(sent[2].form).toEqual({
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
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), redirect, ok(LIST_WITH_VALUE)]);
    await createToken(s, { ...req, validUntil });
    expect(sent[2].form).toMatchObject({ "validuntil[enabled]": "1", ...fields });
  });

  it("a token of the same name for another user is no clash", async () => {
    const before = tokenList([{ id: 7, name: "percipio-token", userId: 5 }]);
    const after = tokenList([{ id: 7, name: "percipio-token", userId: 5 }, { id: 8, name: "percipio-token", userId: 2 }], { created: { name: "percipio-token", token: VALUE } });
    const { s, sent } = session([ok(SERVICE_FORM), ok(before), redirect, ok(after)]);
    const t = await createToken(s, req);
    expect(t.row.id).toBe(8);
    expect(sent[2].method).toBe("POST");
  });

  it("a token of the same name on another service is no clash", async () => {
    const before = tokenList([{ id: 7, name: "percipio-token", userId: 2, service: "Moodle mobile web service" }]);
    const after = tokenList([{ id: 7, name: "percipio-token", userId: 2, service: "Moodle mobile web service" }, { id: 8, name: "percipio-token", userId: 2 }], {
      created: { name: "percipio-token", token: VALUE },
    });
    const { s } = session([ok(SERVICE_FORM), ok(before), redirect, ok(after)]);
    expect((await createToken(s, req)).row.id).toBe(8);
  });

  it("a token of that name on that service whose user the list does not show counts as existing, and nothing is posted", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(tokenList([{ id: 7, name: "percipio-token" }]))]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTokenExistsError);
    expect(err.message).toContain("token id 7");
    expect(sent.every((r) => r.method === "GET")).toBe(true);
  });

  it.each([300, 302, 303])("takes a %i redirect as accepted; a list without the token then means nothing was created, with no other cause", async (status) => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), pg(status, ""), ok(TOKENS_EMPTY)]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toBe(`${step} failed at ${TOKENS}: no token was created; nothing to clean up, safe to retry`);
    expect(sent).toHaveLength(4);
  });

  it("a form re-rendered with an error is a refusal quoting it, and the list is not read again", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), ok(NOT_ALLOWED)]);
    await expect(createToken(s, req)).rejects.toThrow("Moodle refused: The user is not allowed for this service.");
    expect(sent).toHaveLength(3);
  });

  it("quotes every error of a re-rendered form, separated", async () => {
    const $ = load(NOT_ALLOWED);
    $('input[name="_qf__core_webservice_token_form"]').closest("form").append('<div class="invalid-feedback" id="id_error_name">Required</div>');
    const { s } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), ok($.html())]);
    await expect(createToken(s, req)).rejects.toThrow("administration page.; Required");
  });

  it("an error page with HTTP 400 is a refusal quoting Moodle, and the list is not read again", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), pg(400, errorPage("Invalid parameter value detected", "invalidparameter"))]);
    await expect(createToken(s, req)).rejects.toThrow("Moodle refused: Invalid parameter value detected");
    expect(sent).toHaveLength(3);
  });

  it("an unexpected answer is doubtful: the list decides, and the error names the answer", async () => {
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), pg(503, ""), ok(TOKENS_EMPTY)]);
    await expect(createToken(s, req)).rejects.toThrow("no token was created (unexpected HTTP 503); nothing to clean up");
    expect(sent).toHaveLength(4);
  });

  it("a non-200 answer showing the form is doubtful too, and a list with the new token and its value is success", async () => {
    const { s } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), pg(500, NOT_ALLOWED), ok(LIST_WITH_VALUE)]);
    expect((await createToken(s, req)).token).toBe(VALUE);
  });

  it("a token someone else created meanwhile is neither taken nor deleted", async () => {
    const after = tokenList([{ id: 1, name: "percipio-token", userId: 2 }, { id: 2, name: "other-token", userId: 2 }], { created: { name: "percipio-token", token: VALUE } });
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), redirect, ok(after)]);
    const t = await createToken(s, req);
    expect(t).toEqual({ token: VALUE, row: expect.objectContaining({ id: 1, name: "percipio-token" }) });
    expect(sent).toHaveLength(4);
  });

  it("two new tokens of that name (another run at the same time) are both deleted, and neither value is handed out", async () => {
    const two = tokenList([{ id: 1, name: "percipio-token", userId: 2 }, { id: 2, name: "percipio-token", userId: 2 }], { created: { name: "percipio-token", token: VALUE } });
    const one = tokenList([{ id: 2, name: "percipio-token", userId: 2 }]);
    const { s, sent } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), redirect, ok(two), redirect, ok(one), redirect, ok(TOKENS_EMPTY)]);
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toContain("deleted it again (id 1, 2)");
    expect(err.message).not.toContain(VALUE);
    expect(sent.filter((r) => r.form?.action === "delete").map((r) => r.form!.tokenid)).toEqual(["1", "2"]);
  });
});

describe("deleting a token", () => {
  it("posts the delete, which may be repeated, declares it changes the token list, and confirms from a fresh list", async () => {
    const { s, sent, flags, requests } = session([redirect, ok(TOKENS_EMPTY)]);
    await expect(deleteToken(s, 1)).resolves.toBeUndefined();
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${TOKENS}`, `GET ${TOKENS}`]);
    expect(sent[0].form).toEqual({ tokenid: "1", action: "delete", confirm: "1", sesskey: "SESSKEY" });
    expect(flags[0]).toMatchObject({ idempotent: true, follow: false });
    expect(requests[0].invalidates).toEqual([TOKENS]);
    expect(flags[1].reuse).toBe(false);
  });

  it("quotes Moodle's error page (HTTP 404) when the token is still listed", async () => {
    const { s } = session([pg(404, errorPage("Can't find data record in database.", "invalidrecord")), ok(LIST_AGAIN)]);
    const err = await deleteToken(s, 1).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toContain(`token 1 is still listed; Moodle said "Can't find data record in database."`);
  });

  it("names the status of any other answer when the token is still listed", async () => {
    const { s } = session([pg(500, errorPage("Error reading from database", "dmlreadexception")), ok(LIST_AGAIN)]);
    const err = await deleteToken(s, 1).catch((e) => e);
    expect(err.message).toContain("token 1 is still listed (HTTP 500)");
    expect(err.message).not.toContain("Moodle said");
  });
});
