// Pages of guarded sites recorded on the real Moodle 5.0.6+ (tests/fixtures/moodle-5.0-guarded): the
// MFA page of tool_mfa and its answers, the login page of a locked account and of a site with an
// alternate login URL.
import { attemptsLeft, classifyCodeRefusal, parseMfaPage } from "../../moodle/parsers/mfa";
import { parseLoginPage } from "../../moodle/parsers/login";
import { guarded } from "./fixtures";

describe("the MFA page (admin/tool/mfa/auth.php)", () => {
  it("reads the TOTP form: the factor, every fixed field it posts (factor is rendered type=alphaext), no trust-device box", () => {
    const page = parseMfaPage(guarded("g05-mfa-auth-factorname-totp.html"))!;
    expect(page.factor).toBe("totp");
    expect(Object.keys(page.hiddenFields).sort()).toEqual(["_qf__tool_mfa_local_form_login_form", "factor", "sesskey"]);
    expect(page.hiddenFields._qf__tool_mfa_local_form_login_form).toBe("1");
    expect(page.hiddenFields.sesskey).toMatch(/^\w{10}$/);
    expect(page.hasTrustDevice).toBe(false);
    expect(page.error).toBeUndefined();
    expect(page.otherFactors).toEqual([]);
  });

  it("tells which factor the page asks for when the email factor comes first, and lists TOTP as another way", () => {
    const email = parseMfaPage(guarded("g37-mfa5-email-auth-get.html"))!;
    expect(email.factor).toBe("email");
    expect(email.otherFactors).toEqual(["totp"]);
    const totp = parseMfaPage(guarded("g38-mfa5-email-auth-factorname-totp.html"))!;
    expect(totp.factor).toBe("totp");
    expect(totp.otherFactors).toEqual(["email"]);
  });

  it.each([
    ["g08-mfa-post-wrong-code.html", "wrong", 9, /^Incorrect verification code\. You have 9 attempts left\.$/],
    ["g16-mfa2-post-code-already-used.html", "used", 9, /^This code has already been used/],
    ["g17-mfa2-post-old-code.html", "clock", 8, /^This code is too old/],
    ["g18-mfa2-post-future-code.html", "clock", 7, /^This code is invalid\. Please verify the time/],
    ["g23-mfa3-post-wrong-1.html", "wrong", 2, /^Incorrect verification code/],
    ["g24-mfa3-post-wrong-2.html", "wrong", 1, /^Incorrect verification code\. You have 1 attempts left\.$/],
  ])("%s: the refused code's message, its reason (%s) and the attempts left (%i)", (file, reason, left, text) => {
    const page = parseMfaPage(guarded(file))!;
    expect(page.factor).toBe("totp");
    expect(page.error).toMatch(text);
    expect(classifyCodeRefusal(page.error!)).toBe(reason);
    expect(attemptsLeft(page.error!)).toBe(left);
  });

  it("finds no form on tool_mfa's \"Unable to authenticate\" page (the factor is locked)", () => {
    expect(parseMfaPage(guarded("g25-mfa3-post-wrong-3-locked.html"))).toBeUndefined();
    expect(parseMfaPage(guarded("g31-mfa4-auth-get-locked.html"))).toBeUndefined();
  });

  it("finds no MFA form on a login page or the dashboard", () => {
    expect(parseMfaPage(guarded("g01-mfa-login-get.html"))).toBeUndefined();
    expect(parseMfaPage(guarded("g10-mfa-passed-my.html"))).toBeUndefined();
  });

  it("attemptsLeft is undefined for a message without a count", () => {
    expect(attemptsLeft("Incorrect verification code.")).toBeUndefined();
  });
});

describe("login pages of guarded sites", () => {
  it("reads the locked account's answer to a right password: the form again, with Moodle's message", () => {
    const page = parseLoginPage(guarded("g56-lockout-post-right-password-locked.html"));
    expect(page.hasLoginForm).toBe(true);
    expect(page.errorMessage).toBe("Your account is locked. An unlock link has been sent via email.");
  });

  it("reads the form that loginredirect=0 shows on a site with an alternate login URL", () => {
    const page = parseLoginPage(guarded("g42-altlogin-login-get-loginredirect0.html"));
    expect(page.hasLoginForm).toBe(true);
    expect(page.logintoken).toMatch(/^\w{32}$/);
    expect(page.offersSingleSignOn).toBe(false);
  });
});

describe("the token report's Missing capabilities (Manage tokens, recorded with an ordinary user's token)", () => {
  it("lists, per row, the capability names the user lacks (in Moodle's order), and nothing for an admin's token", async () => {
    const { parseTokenReport } = await import("../../moodle/parsers/tokens");
    const rows = parseTokenReport(guarded("g62-tokens-list-two-tokens.html")).rows;
    const byName = Object.fromEntries(rows.map((r) => [r.name, r.missingCapabilities]));
    expect(byName["admin-probe"]).toEqual([]);
    expect(byName.probe).toEqual([
      "moodle/category:manage",
      "moodle/course:create",
      "moodle/course:visibility",
      "moodle/course:update",
      "moodle/course:changecategory",
      "moodle/course:changeshortname",
      "moodle/course:changeidnumber",
      "moodle/site:config",
      "enrol/self:config",
      "moodle/grade:manage",
    ]);
    // With percipio_progress_tracking taken out of the service, its capability is no longer asked for.
    const after = parseTokenReport(guarded("g77-tokens-list-after-fnremoved.html")).rows.find((r) => r.name === "probe")!;
    expect(after.missingCapabilities).toHaveLength(9);
    expect(after.missingCapabilities).not.toContain("moodle/grade:manage");
  });
});

describe("a service's functions page (admin/webservice/service_functions.php)", () => {
  it("names the functions of the built-in Percipio service", async () => {
    const { parseServiceFunctions } = await import("../../moodle/parsers/services");
    expect(parseServiceFunctions(guarded("g78-service-functions-builtin.html"))).toEqual(["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"]);
    expect(parseServiceFunctions("<html><body><div id=region-main><p>no table</p></div></body></html>")).toBeUndefined();
  });
});
