// Parser behaviour beyond the recorded pages as they are: the same pages with the variations a
// live site produces (columns found by header, padded rows, other page numbers, markup missing),
// so a parser that only works by coincidence of the recordings fails here.
import * as cheerio from "cheerio";
import { alertTexts, clean, extractJsonObject, load, parseErrorPage, parseMCfg, queryParam } from "../../moodle/parsers/common";
import { parseLoginPage } from "../../moodle/parsers/login";
import { parseAdminSettingsPage } from "../../moodle/parsers/adminSettings";
import { parseProtocols } from "../../moodle/parsers/protocols";
import { parseServiceEditForm, parseServiceList, parseServiceUsers } from "../../moodle/parsers/services";
import { parseReportDate, parseTokenCreateForm, parseTokenDeleteConfirm, parseTokenReport } from "../../moodle/parsers/tokens";
import { parseVersion, versionFromRelease } from "../../moodle/parsers/version";
import { page, VERSIONS } from "./fixtures";

/** A recorded page changed with cheerio, the way a differently configured site would render it. */
function edited(version: "5.0" | "4.5", name: string, edit: ($: cheerio.CheerioAPI) => void): string {
  const $ = cheerio.load(page(version, name));
  edit($);
  return $.html();
}

describe("token report", () => {
  const firstRow = {
    id: 1,
    name: "percipio-token",
    userId: 2,
    userFullName: "Admin User",
    serviceName: "Percipio services",
    serviceShortname: "Percipio-API",
    ipRestriction: "",
    validUntil: null,
    lastAccess: "Never",
    used: false,
    missingCapabilities: [],
  };

  /** The report as a site with other identity fields shows it: cells and headers c<n>_<field> renumbered as Moodle does. */
  const withIdentity = (v: "5.0" | "4.5", fields: string[]) =>
    edited(v, "p8-tokens-list-new.html", ($) => {
      $("table[data-region=reportbuilder-table] tr").each((_, tr) => {
        const cells = $(tr).children();
        const email = cells.eq(2);
        for (const f of fields) {
          const c = email.clone();
          c.find("a[data-sortby]").attr("data-sortby", `cX_${f}`).text(`title of ${f}`);
          if (c.is("td")) c.text(`value of ${f}`);
          c.insertBefore(email);
        }
        email.remove();
      });
      let n = 0;
      $("thead th").each((_, th) => {
        n++;
        const a = $(th).find("a[data-sortby]");
        if (a.length) a.attr("data-sortby", (a.attr("data-sortby") ?? "").replace(/^c\w+?_/, `c${n}_`));
      });
    });

  test.each(VERSIONS)("Moodle %s: columns are found by their sort keys, whatever identity fields the site shows", (v) => {
    const rows = parseTokenReport(withIdentity(v, ["department", "email", "phone1"])).rows;
    expect(rows).toEqual([{ ...firstRow, userEmail: "value of email" }]);
    expect(parseTokenReport(withIdentity(v, [])).rows).toEqual([{ ...firstRow, userEmail: "" }]);
  });

  test("column titles in another language change nothing", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      $("thead th a[data-sortby]").each((_, a) => void $(a).text("Titre").attr("aria-label", "Trier"));
      $("thead th").eq(4).text("Restriction IP");
    });
    expect(parseTokenReport(html).rows).toEqual([{ ...firstRow, userEmail: "admin@example.com" }]);
  });

  test("a header row without the report's sort keys is no token report", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => void $("thead th a[data-sortby]").removeAttr("data-sortby"));
    expect(parseTokenReport(html)).toMatchObject({ isReport: false, rows: [] });
  });

  test("a row with an IP restriction and an expiry date: both read from their cells", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      const cells = $("table[data-region=reportbuilder-table] tbody tr").first().children("td");
      cells.eq(4).text("10.0.0.0/8");
      cells.eq(5).text("Wednesday, 2 June 2027, 12:00 AM");
    });
    const [row] = parseTokenReport(html).rows;
    expect(row.ipRestriction).toBe("10.0.0.0/8");
    expect(row.validUntil).toBe("2027-06-02");
  });

  test("a valid-until with a year but no month this page names is unreadable (undefined), never 'no expiry'", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      $("table[data-region=reportbuilder-table] tbody tr").first().children("td").eq(5).text("2027年6月2日 00:00");
    });
    expect(parseTokenReport(html).rows[0].validUntil).toBeUndefined();
  });

  test("a French page: dates read with the month names of the page's own date selector, no year means never", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      const fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
      $('select[name$="[month]"]').each((_, sel) => void $(sel).find("option").each((i, o) => void $(o).text(fr[i])));
      const cells = $("table[data-region=reportbuilder-table] tbody tr").first().children("td");
      cells.eq(5).text("2 août 2027, 00:00");
      cells.eq(6).text("Jamais");
    });
    expect(parseTokenReport(html).rows[0]).toMatchObject({ validUntil: "2027-08-02", used: false, lastAccess: "Jamais" });
  });

  test("a row whose user has no profile link carries no user id", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      const user = $("table[data-region=reportbuilder-table] tbody tr").first().children("td").eq(1);
      user.html("Deleted user");
    });
    const [row] = parseTokenReport(html).rows;
    expect(row).not.toHaveProperty("userId");
    expect(row.userFullName).toBe("Deleted user");
  });

  test("a row whose delete link is not a delete action is not a token", () => {
    const html = edited("5.0", "p8-tokens-list-new.html", ($) => {
      const a = $('a[href*="tokenid="]').first();
      a.attr("href", (a.attr("href") ?? "").replace("action=delete", "action=view"));
    });
    expect(parseTokenReport(html).rows).toEqual([]);
  });

  test("page 2 of 45: total, page size and page number from the report's attributes", () => {
    const html = edited("5.0", "e1-tokens-list-empty.html", ($) => {
      $("[data-table-total-rows]").attr("data-table-total-rows", "45").attr("data-table-page-number", "2");
    });
    const r = parseTokenReport(html);
    expect(r).toMatchObject({ totalRows: 45, pageSize: 30, pageNumber: 2, isReport: true });
  });

  test("attributes that are missing or not numbers are unknown, not zero", () => {
    const html = edited("5.0", "e1-tokens-list-empty.html", ($) => {
      $("[data-table-total-rows]").attr("data-table-total-rows", "").attr("data-table-page-size", "many").removeAttr("data-table-page-number");
    });
    const r = parseTokenReport(html);
    expect(r.totalRows).toBeUndefined();
    expect(r.pageSize).toBeUndefined();
    expect(r.pageNumber).toBeUndefined();
    expect(r.isReport).toBe(true);
  });

  test("a report container without a table is still the token report (an empty page)", () => {
    const html = edited("5.0", "e1-tokens-list-empty.html", ($) => void $("table[data-region=reportbuilder-table]").remove());
    expect(parseTokenReport(html)).toMatchObject({ isReport: true, rows: [] });
  });

  test("the once-only value is paired with the name shown just above it", () => {
    const html = edited("5.0", "e5-tokens-list-new.html", ($) => {
      $("#copytoclipboardtoken").parent().prevAll("div").first().text("  other-token  ");
    });
    expect(parseTokenReport(html).created).toEqual({ name: "other-token", token: "b0a057f499ae6450c701db5067fede29" });
  });
});

describe("token form and delete confirmation", () => {
  test("a form without services offers none; a non-numeric option is skipped", () => {
    const html = edited("5.0", "p6-token-create-form.html", ($) => {
      const select = $('select[name="service"]');
      select.find("option").first().attr("value", "");
      select.append('<option value="x">Broken</option><option value="-1">Negative</option>');
    });
    expect(parseTokenCreateForm(html)?.services.map((s) => s.id)).toEqual([3]);
  });

  test("field errors of a re-rendered form are reported with its banners", () => {
    const html = edited("5.0", "p6-token-create-form.html", ($) => {
      $('input[name="_qf__core_webservice_token_form"]').closest("form").append('<div id="id_error_user"> Required </div><div id="id_error_name"></div>');
    });
    expect(parseTokenCreateForm(html)?.errors).toEqual(["Required"]);
  });

  test("pages that are not the token form or a delete confirmation", () => {
    expect(parseTokenCreateForm(page("5.0", "p22-percipio-settings.html"))).toBeUndefined();
    expect(parseTokenDeleteConfirm(page("5.0", "p22-percipio-settings.html"))).toBeUndefined();
    // A POST form with a token id but no confirm field is not the confirmation.
    const noConfirm = edited("5.0", "e8-token-delete-confirm.html", ($) => void $('input[name="confirm"]').remove());
    expect(parseTokenDeleteConfirm(noConfirm)).toBeUndefined();
    const noTokenId = edited("5.0", "e8-token-delete-confirm.html", ($) => void $('input[name="tokenid"]').remove());
    expect(parseTokenDeleteConfirm(noTokenId)).toBeUndefined();
  });
});

describe("dates", () => {
  const months = new Map(["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"].map((m, i) => [m, i + 1]));
  test.each([
    ["1 January 2027, 12:00 AM", "2027-01-01"],
    ["31 December 2049", "2049-12-31"],
    ["Tuesday, 9 MARCH 2027", "2027-03-09"],
    ["Friday, 27 November 2026, 9:11 AM", "2026-11-27"],
  ])("%s -> %s", (text, iso) => {
    expect(parseReportDate(text, months)).toBe(iso);
  });

  test("a month name the page does not name is not a date; no year is no date at all", () => {
    expect(parseReportDate("3 Smarch 2027", months)).toBeUndefined();
    expect(parseReportDate("This token has no expiry date.", months)).toBeNull();
  });
});

describe("admin settings form", () => {
  const form = (inner: string, extra = "") =>
    `<html><body><div id="region-main">${extra}<form id="adminsettings"><input type="hidden" name="section" value="s1"><input type="hidden" name="sesskey" value="k">${inner}</form></div></body></html>`;

  test("a select without a selected option submits its first option; options without a value use their text", () => {
    const p = parseAdminSettingsPage(form('<select name="s__a"><option>first</option><option value="b">B</option></select>'));
    expect(p.options.s__a).toEqual(["first", "b"]);
    expect(p.values.s__a).toBe("first");
    const q = parseAdminSettingsPage(form('<select name="s__a"><option value="x">X</option><option value="y" selected>Y</option></select>'));
    expect(q.values.s__a).toBe("y");
  });

  test("checkboxes: the hidden twin's 0 unless checked; a checked box without a value submits 'on'", () => {
    const p = parseAdminSettingsPage(
      form(
        '<input type="hidden" name="s__on" value="0"><input type="checkbox" name="s__on" value="1" checked>' +
          '<input type="hidden" name="s__off" value="0"><input type="checkbox" name="s__off" value="1">' +
          '<input type="checkbox" name="s__bare" checked><input type="checkbox" name="s__lonely">' +
          '<input type="RADIO" name="s__r" value="a"><input type="radio" name="s__r" value="b" checked>' +
          '<input type="CHECKBOX" name="s__upper" checked>',
      ),
    );
    expect(p.values).toMatchObject({ s__on: "1", s__off: "0", s__bare: "on", s__lonely: "", s__r: "b", s__upper: "on" });
  });

  test("text inputs without a type or value, textareas; buttons are not values", () => {
    const p = parseAdminSettingsPage(
      form('<input name="s__t"><textarea name="s__area">line 1\nline 2</textarea><input type="submit" name="save" value="Save"><input type="button" name="b" value="B">'),
    );
    expect(p.values.s__t).toBe("");
    expect(p.values.s__area).toBe("line 1\nline 2");
    expect(p.values).not.toHaveProperty("save");
    expect(p.values).not.toHaveProperty("b");
  });

  test("a success notification is 'saved' and a danger one 'not changed', in any words; banners outside the main region are chrome", () => {
    const saved = parseAdminSettingsPage(form("", '<div class="alert alert-success" role="alert">Änderungen gespeichert <button>×</button></div>'));
    expect(saved).toMatchObject({ changesSaved: true, someNotChanged: false });
    const other = parseAdminSettingsPage(form("", '<div class="alert alert-info" role="alert">Changes saved</div>'));
    expect(other).toMatchObject({ changesSaved: false, someNotChanged: false });
    const failed = parseAdminSettingsPage(form("", '<div class="alert alert-danger" role="alert">Certains réglages n’ont pas pu être modifiés</div>'));
    expect(failed).toMatchObject({ changesSaved: false, someNotChanged: true });
    const chrome = `<html><body><div class="alert alert-success" role="alert">Changes saved</div><div id="region-main"><form id="adminsettings"></form></div></body></html>`;
    expect(parseAdminSettingsPage(chrome).changesSaved).toBe(false);
  });

  test("a setting's box without messages has no errors; an invalid current value is the label's warning, trimmed", () => {
    const p = parseAdminSettingsPage(
      form(
        '<div id="admin-a"><span class="error"> </span></div>' +
          '<div id="admin-b"><div class="form-label"><label>Name <div class="alert alert-warning">Valeur actuelle non valide :  foo  </div></label></div></div>' +
          '<div id="admin-c"><div class="form-label"><label>Invalid current value: not in a warning</label></div></div>',
      ),
    );
    expect(p.errors).toEqual({});
    expect(p.invalidCurrent).toEqual({ b: "foo" });
  });

  test("a setting defined in config.php is known by the info notice in its label (core_admin/setting's override), in any language", () => {
    for (const v of VERSIONS) {
      // The recorded pages have nothing forced.
      expect(parseAdminSettingsPage(page(v, "b1-optionalsubsystems.html")).forced).toEqual([]);
      expect(parseAdminSettingsPage(page(v, "p22-percipio-settings.html")).forced).toEqual([]);
      const forced = edited(v, "b1-optionalsubsystems.html", ($) => {
        $("div#admin-enablewebservices label").append('<div class="alert alert-info">In der config.php festgelegt</div>');
        $("div#admin-usecomments label").append('<div class="alert alert-warning">a warning is not an override</div>');
      });
      expect(parseAdminSettingsPage(forced).forced).toEqual(["enablewebservices"]);
    }
  });
});

describe("common helpers", () => {
  test("clean collapses whitespace and treats undefined as empty", () => {
    expect(clean("  a \n\t b  ")).toBe("a b");
    expect(clean(undefined)).toBe("");
  });

  test("queryParam reads relative and absolute hrefs and tolerates junk", () => {
    expect(queryParam("/a.php?x=1&y=2", "y")).toBe("2");
    expect(queryParam("https://m.example.com/a.php?x=%20z", "x")).toBe(" z");
    expect(queryParam("/a.php?x=1", "z")).toBeUndefined();
    expect(queryParam(undefined, "x")).toBeUndefined();
    expect(queryParam("http://[", "x")).toBeUndefined();
  });

  test("extractJsonObject: escaped quotes inside strings, unbalanced text, not starting at a brace", () => {
    const t = 'M.cfg = {"a":"say \\"}\\" here","b":1} tail';
    expect(JSON.parse(extractJsonObject(t, 8)!)).toEqual({ a: 'say "}" here', b: 1 });
    expect(extractJsonObject('{"a":{"b":1}', 0)).toBeUndefined();
    expect(extractJsonObject('x{"a":1}', 0)).toBeUndefined();
  });

  test("M.cfg: scripts without it or with broken JSON are skipped; a missing user id means nobody", () => {
    const html =
      "<script>var x = 1;</script>" +
      '<script>M.cfg = {"sesskey": broken};</script>' +
      '<script>M.cfg = {"wwwroot":"w"};</script>' +
      '<script>M.cfg = {"sesskey":"abc","wwwroot":"https://m.example.com"};</script>';
    expect(parseMCfg(html)).toEqual({ sesskey: "abc", wwwroot: "https://m.example.com", userId: 0 });
    expect(parseMCfg("<script>M.cfg = nothing</script>")).toBeUndefined();
  });

  test("error page: message and code from the 'more information' link, with or without one", () => {
    const withCode = '<p class="errormessage"> Bad  thing </p><p class="errorcode"><a href="https://docs.moodle.org/500/en/error/moodle/invalidsesskey?x=1#y">More</a></p>';
    expect(parseErrorPage(withCode)).toEqual({ message: "Bad thing", errorcode: "invalidsesskey" });
    expect(parseErrorPage('<p class="errormessage">Only text</p>')).toEqual({ message: "Only text", errorcode: undefined });
  });

  test("alerts: texts without their close buttons, empty ones dropped, whole page when there is no main region", () => {
    const $ = load('<div role="alert"> Saved <button>Dismiss</button></div><div role="alert"> </div>');
    expect(alertTexts($)).toEqual(["Saved"]);
  });
});

describe("login, protocols, services, version", () => {
  test("a login page without the username field is not a login form; an empty error box is no error", () => {
    const p = parseLoginPage('<form id="login"><input name="logintoken" value=""></form><div id="loginerrormessage"> </div>');
    expect(p).toEqual({ hasLoginForm: false, logintoken: undefined, errorMessage: undefined, offersSingleSignOn: false });
  });

  test("a login page with identity-provider buttons (loginform.mustache) offers single sign-on", () => {
    const form = '<form id="login"><input name="username"><input name="logintoken" value="t"></form>';
    expect(parseLoginPage(`${form}<a class="btn login-identityprovider-btn w-100" href="/auth/oauth2/login.php?id=1">SSO</a>`).offersSingleSignOn).toBe(true);
    expect(parseLoginPage(form).offersSingleSignOn).toBe(false);
  });

  test("protocol rows without a toggle link are skipped; the action decides on or off", () => {
    const html =
      '<table id="webserviceprotocols"><tr><th>Protocol</th></tr>' +
      '<tr><td> XML-RPC </td><td><a href="protocols.php?action=disable&webservice=xmlrpc">Disable</a></td></tr>' +
      '<tr><td>Broken</td><td><a href="protocols.php?action=enable">Enable</a></td></tr>' +
      '<tr><td>REST</td><td><a href="settings.php?webservice=rest">Settings</a><a href="protocols.php?action=enable&webservice=rest">Enable</a></td></tr></table>';
    expect(parseProtocols(html)).toEqual([
      { name: "xmlrpc", label: "XML-RPC", enabled: true },
      { name: "rest", label: "REST", enabled: false },
    ]);
  });

  test("service list: rows without an edit link or with a bad id are skipped", () => {
    const html = edited("5.0", "p1-externalservices.html", ($) => {
      const rows = $("table#builtinservices tbody tr");
      rows.eq(0).find('a[href*="service.php"]').each((_, a) => void $(a).attr("href", ($(a).attr("href") ?? "").replace(/id=\d+/, "id=0")));
    });
    expect(parseServiceList(html).map((s) => s.id)).toEqual([3]);
  });

  test("service edit form: a checked box without a value submits 'on' like a browser; disabled inputs are not submitted", () => {
    const html = edited("5.0", "p2-service-edit.html", ($) => {
      $('input[name="downloadfiles"][type="checkbox"]').removeAttr("value").attr("checked", "checked");
      $('input[name="uploadfiles"]').attr("disabled", "disabled");
    });
    const f = parseServiceEditForm(html)!;
    expect(f.fields.downloadfiles).toBe("on");
    expect(f.fields).not.toHaveProperty("uploadfiles");
    expect(parseServiceEditForm(page("5.0", "p22-percipio-settings.html"))).toBeUndefined();
  });

  test("service users: options without a positive id are not users; another page has no user lists", () => {
    const html = edited("5.0", "d8-service-users-add.html", ($) => {
      $('select[name="removeselect[]"]').append('<option value="">--</option><option value="0">Nobody</option>');
    });
    expect(parseServiceUsers(html)!.authorised).toEqual([{ id: 2, label: "Admin User (admin@example.com)" }]);
    expect(parseServiceUsers(page("5.0", "p22-percipio-settings.html"))).toBeUndefined();
  });

  test("version: releases with and without a patch number or '+'; a footer without one falls back to the copyright link", () => {
    expect(versionFromRelease("5.1 (Build: 20251006)")).toEqual({ release: "5.1 (Build: 20251006)", major: 5, minor: 1 });
    expect(versionFromRelease("4.5.3+ (Build:20250317)")).toEqual({ release: "4.5.3+ (Build:20250317)", major: 4, minor: 5 });
    expect(versionFromRelease("5.0.6+")).toBeUndefined();
    expect(parseVersion('<footer>Moodle</footer><a title="Moodle">Moodle 4.5.2 (Build: 20250210)</a>')).toEqual({
      release: "4.5.2 (Build: 20250210)",
      major: 4,
      minor: 5,
    });
    expect(parseVersion("<footer>Version 5.0.1 (Build: 20250601)</footer>")).toEqual({ release: "5.0.1 (Build: 20250601)", major: 5, minor: 0 });
    expect(parseVersion('<footer>nothing</footer><a title="x">no release</a>')).toBeUndefined();
  });
});
