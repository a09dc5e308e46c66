// The parsers on recorded pages changed the way another site, theme or Moodle version could render
// them (tests/moodle/parsers-edge.test.ts has the first such cases): what is read and, as much, what is
// refused rather than misread. Each case says what a user would get wrong if the parser took the page
// as it comes: a field posted that the browser would not post, "Trust this device" ticked, a token's
// user or date invented, a report of unknown layout read by position.
import * as cheerio from "cheerio";
import { parseAdminSettingsPage } from "../../moodle/parsers/adminSettings";
import { parseMCfg } from "../../moodle/parsers/common";
import { parseMfaPage } from "../../moodle/parsers/mfa";
import { parseServiceEditForm, parseServiceFunctions, parseServiceList } from "../../moodle/parsers/services";
import { pageMonths, parseReportDate, parseTokenCreateForm, parseTokenReport } from "../../moodle/parsers/tokens";
import { parseVersion } from "../../moodle/parsers/version";
import { guarded, page, VERSIONS } from "./fixtures";

type Edit = ($: cheerio.CheerioAPI) => void;
const edit = (html: string, change: Edit) => {
  const $ = cheerio.load(html);
  change($);
  return $.html();
};
const edited = (v: "5.0" | "4.5", name: string, change: Edit) => edit(page(v, name), change);

describe("the MFA verification form (tool_mfa)", () => {
  const TOTP = guarded("g05-mfa-auth-factorname-totp.html");
  const form = ($: cheerio.CheerioAPI) => $("form").filter((_, f) => $(f).find('input[name="verificationcode"]').length > 0).first();

  it("posts the form's fixed fields only: never a button, a box or choice the user makes, a text or password field, or the code field whatever its type", () => {
    const html = edit(TOTP, ($) => {
      $('input[name="verificationcode"]').attr("type", "tel");
      form($).append(
        '<input type="button" name="showmore" value="More">' +
          '<input type="radio" name="method" value="app" checked>' +
          '<input type="text" name="nickname" value="me">' +
          '<input type="password" name="pin" value="1234">' +
          '<input name="untyped" value="x">' +
          '<input type="hidden" name="empty">',
      );
    });
    const p = parseMfaPage(html)!;
    expect(Object.keys(p.hiddenFields).sort()).toEqual(["_qf__tool_mfa_local_form_login_form", "empty", "factor", "sesskey"]);
    expect(p.hiddenFields.empty).toBe("");
    expect(p.factor).toBe("totp");
  });

  it("offers 'Trust this device' when the form has the box, and the posted value is the unticked one (the hidden twin's)", () => {
    const html = edit(TOTP, ($) => {
      form($).append('<input type="hidden" name="factor_token_trust" value="0"><input type="checkbox" name="factor_token_trust" value="1" checked>');
    });
    const p = parseMfaPage(html)!;
    expect(p.hasTrustDevice).toBe(true);
    expect(p.hiddenFields.factor_token_trust).toBe("0");
  });

  it("lists only the other factors that are named", () => {
    const html = edit(guarded("g37-mfa5-email-auth-get.html"), ($) => {
      $('input[name="factorname"]').first().after('<input type="hidden" name="factorname"><input type="hidden" name="factorname" value="">');
    });
    expect(parseMfaPage(html)!.otherFactors).toEqual(["totp"]);
  });
});

describe("external services", () => {
  it("a list row whose edit link carries no numeric id is not a service", () => {
    const html = edited("5.0", "p1-externalservices.html", ($) => {
      $("table#builtinservices tbody tr").eq(0).find('a[href*="service.php"]').each((_, a) => void $(a).attr("href", ($(a).attr("href") ?? "").replace(/id=\d+/, "id=abc")));
    });
    expect(parseServiceList(html).map((s) => s.id)).toEqual([3]);
  });

  it("the edit form posts what a browser would: no button; an unticked box its hidden twin's value, or 0 without one; a field without a value as empty", () => {
    const html = edited("5.0", "p2-service-edit.html", ($) => {
      const f = $('input[name="_qf__external_service_form"]').closest("form");
      f.append('<input type="button" name="cancelbtn" value="Cancel">');
      f.append('<input type="hidden" name="notify" value="no"><input type="checkbox" name="notify" value="yes">');
      f.append('<input type="checkbox" name="lonely" value="1">');
      f.append('<input type="hidden" name="extra">');
    });
    const fields = parseServiceEditForm(html)!.fields;
    expect(fields).not.toHaveProperty("cancelbtn");
    expect(fields.notify).toBe("no");
    expect(fields.lonely).toBe("0");
    expect(fields.extra).toBe("");
  });

  it("an edit form without the name and shortname fields has them empty", () => {
    const html = edited("5.0", "p2-service-edit.html", ($) => void $('input[name="name"], input[name="shortname"]').remove());
    expect(parseServiceEditForm(html)).toMatchObject({ name: "", shortname: "" });
  });

  it("the functions page: each row's function name, also beside a remove link, never a row that names no function", () => {
    const html = edit(guarded("g78-service-functions-builtin.html"), ($) => {
      const body = $("#region-main table, [role=main] table").first().find("tbody");
      body.find("tr").first().children("td").first().append(' <a href="/admin/webservice/service_functions.php?action=delete">Remove</a>');
      body.append('<tr><td class="cell c0">Nothing to display</td><td></td><td></td></tr><tr><td class="cell c0"></td><td></td><td></td></tr>');
    });
    expect(parseServiceFunctions(html)).toEqual(["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"]);
  });
});

describe("admin settings", () => {
  it("a select without any option submits an empty value", () => {
    const html = `<html><body><div id="region-main"><form id="adminsettings"><input type="hidden" name="section" value="s1"><select name="s__empty"></select></form></div></body></html>`;
    expect(parseAdminSettingsPage(html).values.s__empty).toBe("");
  });
});

describe("the token report", () => {
  const P8 = (v: "5.0" | "4.5") => page(v, "p8-tokens-list-new.html");

  /** The recorded report with these header sort keys ("" = a column that cannot be sorted). */
  const withKeys = (v: "5.0" | "4.5", keys: string[]) =>
    edit(P8(v), ($) => {
      $("table[data-region=reportbuilder-table] thead th").each((i, th) => {
        const link = $(th).find("a[data-sortby]").first();
        if (keys[i]) {
          if (link.length) link.attr("data-sortby", keys[i]);
          else $(th).append(`<a href="#" data-sortby="${keys[i]}">sort</a>`);
        } else if (link.length) link.removeAttr("data-sortby");
      });
    });
  // As recorded: token name, user, email (identity), service, IP restriction, valid until, last access, creator, …
  const RECORDED = ["c1_name", "c2_firstname", "c3_email", "c4_name", "", "c6_validuntil", "c7_lastaccess", "c8_firstname", "", ""];

  test.each(VERSIONS)("Moodle %s: a header layout it does not know is no token report, never read by position", (v) => {
    expect(parseTokenReport(withKeys(v, RECORDED)).rows.map((r) => r.id)).toEqual([1]);
    // No token-name column at all.
    expect(parseTokenReport(withKeys(v, ["", "c2_firstname", "c3_email", "", "", "c6_validuntil", "c7_lastaccess"]))).toMatchObject({ isReport: false, rows: [] });
    // Valid until right after the name: no room for the user and the service.
    expect(parseTokenReport(withKeys(v, ["c1_name", "", "c6_validuntil", "c7_lastaccess"]))).toMatchObject({ isReport: false, rows: [] });
    // Last access not right after valid until.
    expect(parseTokenReport(withKeys(v, ["c1_name", "c2_firstname", "c3_email", "c4_name", "", "c6_validuntil", "", "c8_firstname"]))).toMatchObject({ isReport: false, rows: [] });
    // The column before valid until (IP restriction, which Moodle does not sort) is sortable.
    expect(parseTokenReport(withKeys(v, ["c1_name", "c2_firstname", "c3_email", "c4_name", "c5_iprestriction", "c6_validuntil", "c7_lastaccess"]))).toMatchObject({ isReport: false, rows: [] });
  });

  test("the user's email is read only among the user's identity fields, never from a later column", () => {
    const keys = ["c1_name", "c2_firstname", "c3_phone1", "c4_name", "", "c6_validuntil", "c7_lastaccess", "c8_email", "", ""];
    const [row] = parseTokenReport(withKeys("5.0", keys)).rows;
    expect(row.userEmail).toBe("");
    expect(row.serviceName).toBe("Percipio services");
  });

  test("a table without the report's attributes is still the report; its counts are unknown", () => {
    const r = parseTokenReport(edit(P8("5.0"), ($) => void $("[data-table-total-rows]").removeAttr("data-table-total-rows")));
    expect(r.isReport).toBe(true);
    expect(r.rows.map((x) => x.id)).toEqual([1]);
    expect(r.totalRows).toBeUndefined();
  });

  test("a delete link whose token id is not a number is no token; a profile link to user 0 is no user", () => {
    const noId = edit(P8("5.0"), ($) => void $('a[href*="tokenid="]').attr("href", "http://127.0.0.1:8080/admin/webservice/tokens.php?action=delete&tokenid=abc"));
    expect(parseTokenReport(noId).rows).toEqual([]);
    const nobody = edit(P8("5.0"), ($) => void $('tbody a[href*="profile.php"]').attr("href", "http://127.0.0.1:8080/user/profile.php?id=0"));
    const [row] = parseTokenReport(nobody).rows;
    expect(row.id).toBe(1);
    expect(row).not.toHaveProperty("userId");
  });

  test("the filters form: ticked boxes with their value ('on' without one), unticked ones absent, a text field without a value empty", () => {
    const html = edit(P8("5.0"), ($) => {
      const form = $('input[name="_qf__core_reportbuilder_form_filter"]').closest("form");
      form.append('<input type="checkbox" name="token:a_enabled" value="1" checked><input type="checkbox" name="token:b_enabled" value="1"><input type="checkbox" name="token:c_enabled" checked>');
      form.find('input[name="token:name_value"]').removeAttr("value");
    });
    const filters = parseTokenReport(html).filters!;
    expect(filters["token:a_enabled"]).toBe("1");
    expect(filters).not.toHaveProperty("token:b_enabled");
    expect(filters["token:c_enabled"]).toBe("on");
    expect(filters["token:name_value"]).toBe("");
  });

  test("Missing capabilities: an empty entry is no capability", () => {
    const html = edit(guarded("g62-tokens-list-two-tokens.html"), ($) => void $(".missingcaps ul").first().append('<li class="mb-1"><div class="text-muted"> </div></li>'));
    const probe = parseTokenReport(html).rows.find((r) => r.name === "probe")!;
    expect(probe.missingCapabilities).toHaveLength(10);
    expect(probe.missingCapabilities).not.toContain("");
  });

  test("the create form's sesskey is the page's", () => {
    for (const v of VERSIONS) {
      const html = page(v, "p6-token-create-form.html");
      expect(parseTokenCreateForm(html)!.sesskey).toBe(parseMCfg(html)!.sesskey);
    }
  });
});

describe("report dates", () => {
  const months = pageMonths(cheerio.load(page("5.0", "p8-tokens-list-new.html")));

  test("options of the date selector that are not months 1 to 12 (a placeholder 0, 13, 2.5) name no month", () => {
    const odd = pageMonths(
      cheerio.load(
        edit(page("5.0", "p8-tokens-list-new.html"), ($) => {
          $('select[name$="[month]"]').first().append('<option value="0">Monat</option><option value="13">Smarch</option><option value="2.5">Halfuary</option>');
        }),
      ),
    );
    expect(parseReportDate("3 November 2027", odd)).toBe("2027-11-03");
    expect(parseReportDate("3 Smarch 2027", odd)).toBeUndefined();
    expect(parseReportDate("3 Halfuary 2027", odd)).toBeUndefined();
    expect(parseReportDate("3 Monat 2027", odd)).toBeUndefined();
  });

  test("no day, two candidate days, or a day outside 1 to 31: unreadable, never guessed", () => {
    expect(parseReportDate("November 2026", months)).toBeUndefined();
    expect(parseReportDate("Week 5, 3 November 2026", months)).toBeUndefined();
    expect(parseReportDate("0 November 2026", months)).toBeUndefined();
    expect(parseReportDate("32 November 2026", months)).toBeUndefined();
    expect(parseReportDate("31 December 2026", months)).toBe("2026-12-31");
    expect(parseReportDate("1 January 2027", months)).toBe("2027-01-01");
  });

  test("a month name that holds another as a word is read as the longer one", () => {
    const nested = new Map([
      ["second mai", 11],
      ["mai", 5],
    ]);
    expect(parseReportDate("3 second mai 2027", nested)).toBe("2027-11-03");
    expect(parseReportDate("3 mai 2027", nested)).toBe("2027-05-03");
  });
});

describe("the release", () => {
  test("a page whose footer does not show it: the first link whose text is a release, past others with a title", () => {
    const html = edited("5.0", "h1-admin-index.html", ($) => void $("footer").remove());
    expect(parseVersion(html)).toEqual({ release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0 });
  });
});
