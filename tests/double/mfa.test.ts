// tool_mfa with the TOTP factor (and the email factor that comes first on a fresh site), as the double
// answers it: /tmp/research/mfa.md §1-5, 8-10, from Moodle 5.0.6's admin/tool/mfa.
import axios from "axios";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import type { DoubleUser } from "../../testkit/moodle-double";
import { totpAt } from "../../testkit/moodle-double/totp";
import { $, Browser, Resp, mcfg } from "./helpers";

const SECRET = "JBSWY3DPEHPK3PXP";
/** A step boundary: T0 % 30 === 0. */
const T0 = 1_900_000_020;
const AUTH = "/admin/tool/mfa/auth.php";

/** A 6-digit code that is no step's code within 12 steps of `t`. */
function wrongCode(secret: string, t: number): string {
  const near = new Set(Array.from({ length: 25 }, (_, i) => totpAt(secret, t + (i - 12) * 30)));
  for (let n = 0; ; n++) {
    const c = String(n).padStart(6, "0");
    if (!near.has(c)) return c;
  }
}

describe("moodle double: tool_mfa with TOTP", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());
  beforeEach(() => d.control.reset());

  const admin = (): DoubleUser => d.control.state().users.find((u) => u.id === 2)!;

  /** MFA on with TOTP for the admin; email off unless asked (it is on, and first, on a fresh site). */
  function enableTotp(opts: { email?: boolean; lockout?: string; totp?: Partial<NonNullable<DoubleUser["mfa"]>["totp"]> | null } = {}): void {
    const totp = opts.totp === null ? undefined : { secret: SECRET, lastverified: 0, lockcounter: 0, ...opts.totp };
    d.control.patchState({
      pluginConfig: {
        tool_mfa: { enabled: "1", ...(opts.lockout ? { lockout: opts.lockout } : {}) },
        factor_totp: { enabled: "1" },
        factor_email: { enabled: opts.email ? "1" : "0" },
      },
      users: [{ ...admin(), mfa: totp ? { totp } : undefined }],
    });
  }

  /** Password login up to the MFA gate: the testsession page's answer. */
  async function passwordLogin(b: Browser): Promise<Resp> {
    const page = await b.get("/login/index.php");
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    const r = await b.post("/login/index.php", { anchor: "", logintoken: token, username: "admin", password: "Admin-Pass-1!" });
    expect(r.location).toBe(`${d.url}/login/index.php?testsession=2`);
    return b.get(r.location!);
  }

  async function submitCode(b: Browser, code: string, factor = "totp"): Promise<Resp> {
    const form = await b.get(`${AUTH}?factorname=${factor}`);
    const sesskey = $(form.body)('input[name="sesskey"]').first().attr("value")!;
    return b.post(AUTH, { sesskey, _qf__tool_mfa_local_form_login_form: "1", factor, verificationcode: code });
  }

  const fieldError = (r: Resp) => $(r.body)("#id_error_verificationcode").text().trim();
  const totpRow = () => admin().mfa!.totp!;

  test("the double's codes are RFC 6238's (Appendix B, SHA-1, truncated to 6 digits), and it accepts them", async () => {
    const rfc = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
    expect(totpAt(rfc, 59)).toBe("287082");
    expect(totpAt(rfc, 1111111109)).toBe("081804");
    expect(totpAt(rfc, 1111111111)).toBe("050471");
    expect(totpAt(rfc, 1234567890)).toBe("005924");
    expect(totpAt(rfc, 2000000000)).toBe("279037");
    expect(totpAt(rfc.toLowerCase() + "==", 20000000000)).toBe("353130");
    enableTotp({ totp: { secret: rfc } });
    d.control.setClock(59);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const r = await submitCode(b, "287082");
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${d.url}/my/`);
  });

  test("after the password: testsession goes to auth.php, and so does every page but the whitelist; AJAX gets JSON; REST is not gated", async () => {
    enableTotp();
    const b = new Browser(d.url);
    const t = await passwordLogin(b);
    expect(t.status).toBe(303);
    expect(t.location).toBe(`${d.url}${AUTH}`);
    expect(t.headers["x-redirect-by"]).toBe("Moodle");
    for (const path of ["/my/", "/", "/login/index.php", "/admin/settings.php?section=optionalsubsystems", "/admin/webservice/tokens.php"]) {
      const r = await b.get(path);
      expect([path, r.status, r.location]).toEqual([path, 303, `${d.url}${AUTH}`]);
      // Each visit to auth.php resets the redirect-loop detector (see the loop test below).
      expect((await b.get(AUTH)).status).toBe(200);
    }
    // A POST of credentials is not processed either.
    const again = await b.post("/login/index.php", { username: "admin", password: "Admin-Pass-1!" });
    expect(again.location).toBe(`${d.url}${AUTH}`);
    // login/logout.php is whitelisted: its confirmation page, not the gate.
    const logout = await b.get("/login/logout.php");
    expect(logout.status).toBe(200);
    expect(logout.body).toContain("Do you really want to log out?");
    const sesskey = mcfg((await b.get(AUTH)).body).sesskey as string;
    const ajax = await b.request("POST", `/lib/ajax/service.php?sesskey=${sesskey}&info=core_user_search_identity`, JSON.stringify([{ index: 0, methodname: "core_user_search_identity", args: { query: "a" } }]), "application/json");
    expect(ajax.status).toBe(200);
    expect(String(ajax.headers["content-type"])).toMatch(/^application\/json/);
    expect(JSON.parse(ajax.body)).toEqual({ error: "Unsupported redirect detected, script execution terminated", stacktrace: null, debuginfo: null, errorcode: "redirecterrordetected" });
    const rest = await b.get("/webservice/rest/server.php?wstoken=x&wsfunction=core_webservice_get_site_info");
    expect(rest.status).not.toBe(303);
    expect(rest.location).toBeUndefined();
  });

  test("auth.php shows the TOTP form: hidden factor, sesskey and form marker, the code field, Continue; the page says which factor", async () => {
    enableTotp();
    const b = new Browser(d.url);
    await passwordLogin(b);
    const r = await b.get(AUTH);
    expect(r.status).toBe(200);
    const p = $(r.body);
    const form = p(".mfa-verify-form form");
    expect(form.attr("action")).toBe(`${d.url}${AUTH}`);
    expect(form.attr("method")).toBe("post");
    expect(form.find('input[name="factor"]').attr("value")).toBe("totp");
    expect(form.find('input[name="sesskey"]').attr("value")).toBe(mcfg(r.body).sesskey);
    expect(form.find('input[name="_qf__tool_mfa_local_form_login_form"]').attr("value")).toBe("1");
    const code = form.find("input#id_verificationcode");
    expect(code.attr("name")).toBe("verificationcode");
    expect(code.attr("autocomplete")).toBe("one-time-code");
    expect(code.attr("maxlength")).toBe("6");
    expect(code.attr("value")).toBe("");
    expect(form.find('input[name="submitbutton"]').attr("value")).toBe("Continue");
    expect(form.find('input[name="factor_token_trust"]').length).toBe(0);
    expect(p("h2").first().text()).toBe("2-step verification");
    expect(p("strong").first().text()).toBe("Verify it's you by mobile app");
    expect(r.body).toContain("Verify it&#039;s you by mobile app");
    expect(p("i.fa-mobile-screen").length).toBeGreaterThan(0);
    expect(p("title").text()).toContain("Multi-factor authentication");
    expect(p('form#cancelmfa input[name="logout"]').attr("value")).toBe("true");
    expect(mcfg(r.body).userId).toBe(2);
    // One factor only: no "Try another way".
    expect(r.body).not.toContain("Try another way to verify:");
  });

  test("a good code: 303 to wantsurl (/my/), lastverified = now, counters zeroed, same session and sesskey; auth.php then goes home", async () => {
    enableTotp({ totp: { lockcounter: 4 } });
    const t = T0 + 7;
    d.control.setClock(t);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const cookie = await b.sessionCookie();
    const sesskey = mcfg((await b.get(AUTH)).body).sesskey;
    const r = await submitCode(b, totpAt(SECRET, t));
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${d.url}/my/`);
    expect(totpRow()).toMatchObject({ lastverified: t, lockcounter: 0 });
    expect(await b.sessionCookie()).toBe(cookie);
    const my = await b.get("/my/");
    expect(my.status).toBe(200);
    expect(mcfg(my.body)).toMatchObject({ userId: 2, sesskey });
    expect((await b.get("/admin/webservice/tokens.php")).status).toBe(200);
    const back = await b.get(AUTH);
    expect(back.status).toBe(303);
    expect(back.location).toBe(`${d.url}/`);
  });

  test("straight to auth.php after the password (never sent there): a good code answers the form again, 200, yet the session is through", async () => {
    enableTotp();
    d.control.setClock(T0);
    const b = new Browser(d.url);
    const page = await b.get("/login/index.php");
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    await b.post("/login/index.php", { logintoken: token, username: "admin", password: "Admin-Pass-1!" });
    const r = await submitCode(b, totpAt(SECRET, T0));
    expect(r.status).toBe(200);
    expect($(r.body)("#id_verificationcode").length).toBe(1);
    expect((await b.get("/my/")).status).toBe(200);
  });

  test("wantsurl survives MFA: a deep link asked before login is where the pass lands", async () => {
    enableTotp();
    d.control.setClock(T0);
    const b = new Browser(d.url);
    expect((await b.get("/admin/webservice/tokens.php")).location).toBe(`${d.url}/login/index.php`);
    await passwordLogin(b);
    const r = await submitCode(b, totpAt(SECRET, T0));
    expect(r.location).toBe(`${d.url}/admin/webservice/tokens.php`);
  });

  test("refused codes in Moodle's order: already used, too old, from the future, wrong; each counts and tells the attempts left", async () => {
    enableTotp({ totp: { lastverified: T0 + 3 } });
    const now = T0 + 10;
    d.control.setClock(now);
    const b = new Browser(d.url);
    await passwordLogin(b);
    // Valid now but in the step of the last accepted code: USED wins over VALID.
    const used = await submitCode(b, totpAt(SECRET, now));
    expect(used.status).toBe(200);
    expect(fieldError(used)).toBe("This code has already been used to authenticate. Please wait for a new code to be generated, and try again.\u00a0You have 9 attempts left.");
    expect(used.body).toContain("try again.&nbsp;You have 9 attempts left.");
    const old = await submitCode(b, totpAt(SECRET, now - 90));
    expect(fieldError(old)).toMatch(/^This code is too old\. Please verify the time on your authenticator device is correct and try again\.\n {4}Current system time is [ \d]\d:\d\d:\d\d [ap]m \S+\.\u00a0You have 8 attempts left\.$/);
    const future = await submitCode(b, totpAt(SECRET, now + 300));
    expect(fieldError(future)).toMatch(/^This code is invalid\. Please verify .*\n {4}Current system time is .*\u00a0You have 7 attempts left\.$/s);
    const wrong = await submitCode(b, wrongCode(SECRET, now));
    expect(fieldError(wrong)).toBe("Incorrect verification code.\u00a0You have 6 attempts left.");
    expect($(wrong.body)("#fitem_id_verificationcode").hasClass("has-danger")).toBe(true);
    // 12 steps away is beyond the skew check (10 steps, with the window): plain wrong.
    expect(fieldError(await submitCode(b, totpAt(SECRET, now - 12 * 30)))).toBe("Incorrect verification code.\u00a0You have 5 attempts left.");
    expect(totpRow()).toMatchObject({ lockcounter: 5, lastverified: T0 + 3 });
    // Still pending.
    expect((await b.get("/my/")).location).toBe(`${d.url}${AUTH}`);
  });

  test("the window: the previous step's code is accepted in the first 15 s of a step, too old after; window 0 accepts only the current step", async () => {
    enableTotp();
    const b = new Browser(d.url);
    await passwordLogin(b);
    d.control.setClock(T0 + 20);
    expect(fieldError(await submitCode(b, totpAt(SECRET, T0 - 1)))).toMatch(/^This code is too old/);
    d.control.setClock(T0 + 14);
    const r = await submitCode(b, totpAt(SECRET, T0 - 1));
    expect(r.status).toBe(303);

    d.control.reset();
    enableTotp();
    d.control.patchState({ pluginConfig: { factor_totp: { window: "0" } } });
    const b2 = new Browser(d.url);
    await passwordLogin(b2);
    d.control.setClock(T0 + 1);
    expect(fieldError(await submitCode(b2, totpAt(SECRET, T0 - 1)))).toMatch(/^This code is too old/);
    expect((await submitCode(b2, totpAt(SECRET, T0 + 29))).status).toBe(303);
  });

  test("after a pass 16 s into a step, that step's and the next step's codes are already used, even in a new session; the one after passes", async () => {
    enableTotp();
    d.control.setClock(T0 + 16);
    const b = new Browser(d.url);
    await passwordLogin(b);
    expect((await submitCode(b, totpAt(SECRET, T0 + 16))).status).toBe(303);
    // lastverified = T0+16: with the window, steps T0 and T0+30 count as used.
    d.control.setClock(T0 + 40);
    const b2 = new Browser(d.url);
    await passwordLogin(b2);
    expect(fieldError(await submitCode(b2, totpAt(SECRET, T0 + 40)))).toMatch(/^This code has already been used/);
    d.control.setClock(T0 + 60);
    expect((await submitCode(b2, totpAt(SECRET, T0 + 60))).status).toBe(303);
  });

  test("lockout: the failure that reaches it shows Unable to authenticate, now and after every later login; nothing unlocks it but a reset", async () => {
    enableTotp({ lockout: "3" });
    d.control.setClock(T0);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const bad = wrongCode(SECRET, T0);
    expect(fieldError(await submitCode(b, bad))).toBe("Incorrect verification code.\u00a0You have 2 attempts left.");
    expect(fieldError(await submitCode(b, bad))).toBe("Incorrect verification code.\u00a0You have 1 attempts left.");
    const locked = await submitCode(b, bad);
    expect(locked.status).toBe(200);
    const p = $(locked.body);
    expect(p("div.alert-danger h4").text()).toBe("Unable to authenticate");
    expect(p("div.alert-danger p").first().text()).toMatch(/^We couldn't confirm your identity sufficiently/);
    expect(p('form[action$="/admin/tool/mfa/auth.php"] input[name="logout"]').attr("value")).toBe("1");
    expect(p('form[action$="/admin/tool/mfa/auth.php"] input[name="sesskey"]').attr("value")).toBe(mcfg(locked.body).sesskey);
    expect(p("#id_verificationcode").length).toBe(0);
    expect(totpRow().lockcounter).toBe(3);
    // Even the right code is not looked at any more; other pages still go to auth.php.
    const right = await b.post(AUTH, { sesskey: mcfg(locked.body).sesskey as string, _qf__tool_mfa_local_form_login_form: "1", factor: "totp", verificationcode: totpAt(SECRET, T0) });
    expect($(right.body)("h4").text()).toBe("Unable to authenticate");
    expect((await b.get("/my/")).location).toBe(`${d.url}${AUTH}`);
    // A new login a day later lands on the same page.
    d.control.setClock(T0 + 86400);
    const b2 = new Browser(d.url);
    expect((await passwordLogin(b2)).location).toBe(`${d.url}${AUTH}`);
    expect($((await b2.get(AUTH)).body)("h4").text()).toBe("Unable to authenticate");
    expect(totpRow().lockcounter).toBe(3);
  });

  test("the default lockout is 10; an unset lockout locks at once (get_config false)", async () => {
    expect(d.control.state().pluginConfig.tool_mfa).toMatchObject({ enabled: "0", lockout: "10" });
    expect(d.control.state().pluginConfig.factor_totp).toMatchObject({ enabled: "0", window: "15" });
    enableTotp();
    d.control.patchState({ pluginConfig: { tool_mfa: { lockout: null } } });
    const b = new Browser(d.url);
    await passwordLogin(b);
    expect($((await b.get(AUTH)).body)("h4").text()).toBe("Unable to authenticate");
  });

  test("TOTP on but no TOTP row for the user (and no other factor): Unable to authenticate right after the password", async () => {
    enableTotp({ totp: null });
    const b = new Browser(d.url);
    expect((await passwordLogin(b)).location).toBe(`${d.url}${AUTH}`);
    const r = await b.get(AUTH);
    expect(r.status).toBe(200);
    expect($(r.body)("h4").text()).toBe("Unable to authenticate");
  });

  test("a bad sesskey is an error page and counts nothing; a POST without the form marker just shows the form", async () => {
    enableTotp();
    d.control.setClock(T0);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const bad = await b.post(AUTH, { sesskey: "nope", _qf__tool_mfa_local_form_login_form: "1", factor: "totp", verificationcode: "123456" });
    expect(bad.status).toBe(404);
    expect($(bad.body)("p.errormessage").text()).toMatch(/^Your session has most likely timed out/);
    const sesskey = mcfg((await b.get(AUTH)).body).sesskey as string;
    const unmarked = await b.post(AUTH, { sesskey, factor: "totp", verificationcode: wrongCode(SECRET, T0) });
    expect(unmarked.status).toBe(200);
    expect(fieldError(unmarked)).toBe("");
    expect(totpRow().lockcounter).toBe(0);
  });

  test("email first (a fresh site's order): showing it emails a code once per 30 min; ?factorname=totp or a direct POST with factor=totp mail nobody", async () => {
    enableTotp({ email: true });
    expect(d.control.state().pluginConfig.tool_mfa.factor_order).toBe("email");
    d.control.setClock(T0);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const shown = await b.get(AUTH);
    const p = $(shown.body);
    expect(p('.mfa-verify-form input[name="factor"]').attr("value")).toBe("email");
    expect(p("strong").first().text()).toBe("Verify it's you by email");
    expect(shown.body).toContain("We&#039;ve just sent a 6-digit code to your email: a\u00b7\u00b7\u00b7n@example.com");
    expect(p('input[name="factorname"]').attr("value")).toBe("totp");
    expect(p(".mfa-login-option").text()).toBe("Use Authenticator application");
    const outbox = () => d.control.state().outbox ?? [];
    expect(outbox()).toHaveLength(1);
    expect(outbox()[0]).toMatchObject({ to: "admin@example.com", subject: "Here's your verification code", time: T0 });
    await b.get(AUTH);
    expect(outbox()).toHaveLength(1);

    // The emailed code passes, and the pass deletes it (factor_email's post_pass_state).
    const emailed = admin().mfa!.email!.code!.secret;
    expect(outbox()[0].body).toContain(emailed);
    const r = await b.post(AUTH, { sesskey: mcfg(shown.body).sesskey as string, _qf__tool_mfa_local_form_login_form: "1", factor: "email", verificationcode: emailed });
    expect(r.location).toBe(`${d.url}/my/`);
    expect(admin().mfa!.email!.code).toBeUndefined();

    // Another client asks for TOTP by name, or posts it straight away: nobody is emailed.
    const b2 = new Browser(d.url);
    await passwordLogin(b2);
    const totpForm = await b2.get(`${AUTH}?factorname=totp`);
    expect($(totpForm.body)('.mfa-verify-form input[name="factor"]').attr("value")).toBe("totp");
    expect($(totpForm.body)(".mfa-login-option").text()).toBe("Have a code emailed to you");
    const ok = await b2.post(AUTH, { sesskey: mcfg(totpForm.body).sesskey as string, _qf__tool_mfa_local_form_login_form: "1", factor: "totp", verificationcode: totpAt(SECRET, T0) });
    expect(ok.location).toBe(`${d.url}/my/`);
    d.control.setClock(T0 + 60);
    const b3 = new Browser(d.url);
    await passwordLogin(b3);
    const sk3 = mcfg((await b3.get("/login/logout.php")).body).sesskey as string;
    const direct = await b3.post(AUTH, { sesskey: sk3, _qf__tool_mfa_local_form_login_form: "1", factor: "totp", verificationcode: totpAt(SECRET, T0 + 60) });
    expect(direct.location).toBe(`${d.url}/my/`);
    expect(outbox()).toHaveLength(1);
  });

  test("factor_order decides: totp,email shows TOTP first and mails nobody; email stays offered", async () => {
    enableTotp({ email: true });
    d.control.patchState({ pluginConfig: { tool_mfa: { factor_order: "totp,email" } } });
    const b = new Browser(d.url);
    await passwordLogin(b);
    const r = await b.get(AUTH);
    expect($(r.body)('.mfa-verify-form input[name="factor"]').attr("value")).toBe("totp");
    expect($(r.body)('input[name="factorname"]').attr("value")).toBe("email");
    expect(d.control.state().outbox ?? []).toEqual([]);
  });

  test("with TOTP alone nobody is emailed through a whole login", async () => {
    enableTotp();
    d.control.setClock(T0);
    const b = new Browser(d.url);
    await passwordLogin(b);
    await b.follow(await b.get(AUTH));
    expect((await submitCode(b, totpAt(SECRET, T0))).status).toBe(303);
    expect(d.control.state().outbox ?? []).toEqual([]);
  });

  test("TOTP locked while email is left: the TOTP form stays with 0 attempts left and a frozen field; email is next", async () => {
    enableTotp({ email: true, lockout: "2" });
    d.control.patchState({ pluginConfig: { tool_mfa: { factor_order: "totp,email" } } });
    d.control.setClock(T0);
    const b = new Browser(d.url);
    await passwordLogin(b);
    const bad = wrongCode(SECRET, T0);
    await submitCode(b, bad);
    const last = await b.post(AUTH, { sesskey: mcfg((await b.get(`${AUTH}?factorname=totp`)).body).sesskey as string, _qf__tool_mfa_local_form_login_form: "1", factor: "totp", verificationcode: bad });
    expect(last.status).toBe(200);
    expect(fieldError(last)).toBe("Incorrect verification code.\u00a0You have 0 attempts left.");
    expect($(last.body)("#id_verificationcode").attr("disabled")).toBeDefined();
    const next = await b.get(AUTH);
    expect($(next.body)('.mfa-verify-form input[name="factor"]').attr("value")).toBe("email");
    expect($(next.body)(".mfa-login-option").text()).toBe("Use Authenticator application (Unavailable)");
    expect($(next.body)("button.tool-mfa-factor-choose").hasClass("disabled")).toBe(true);
  });

  test("Cancel login: without the sesskey a confirmation, with it the session ends and wantsurl is next", async () => {
    enableTotp();
    const b = new Browser(d.url);
    await passwordLogin(b);
    const before = await b.sessionCookie();
    const confirm = await b.post(AUTH, { logout: "true" });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain("Do you really want to log out?");
    expect($(confirm.body)(`form[action="${d.url}${AUTH}"] input[name="logout"]`).attr("value")).toBe("1");
    const sesskey = $(confirm.body)(`form[action="${d.url}${AUTH}"] input[name="sesskey"]`).attr("value")!;
    const out = await b.post(AUTH, { logout: "true", sesskey });
    expect(out.status).toBe(303);
    expect(out.location).toBe(`${d.url}/my/`);
    expect(await b.sessionCookie()).not.toBe(before);
    expect((await b.get("/my/")).location).toBe(`${d.url}/login/index.php`);
  });

  test("sessions logged in before MFA was ready stay in; a forced password change is not gated", async () => {
    const b = new Browser(d.url);
    await b.login();
    enableTotp();
    expect((await b.get("/my/")).status).toBe(200);
    d.control.patchState({ users: [{ ...admin(), forcePasswordChange: true }] });
    const b2 = new Browser(d.url);
    const landing = await passwordLogin(b2);
    expect(landing.location).toBe(`${d.url}/my/`);
    expect((await b2.get("/my/")).location).toBe(`${d.url}/login/change_password.php`);
  });

  test("auth.php?lang= works like on any page", async () => {
    enableTotp();
    d.control.patchState({ languages: { fr: "Fran\u00e7ais \u200e(fr)\u200e" } });
    const b = new Browser(d.url);
    await passwordLogin(b);
    const en = await b.get(`${AUTH}?lang=en`);
    expect(en.status).toBe(200);
    expect(en.headers["content-language"]).toBe("en");
    const fr = await b.get(`${AUTH}?lang=fr`);
    expect(fr.status).toBe(200);
    expect(fr.headers["content-language"]).toBe("fr");
    expect($(fr.body)("html").attr("lang")).toBe("fr");
    expect($(fr.body)('.mfa-verify-form input[name="factor"]').attr("value")).toBe("totp");
    // The gate's redirect keeps the page language too.
    expect((await b.get("/my/?lang=en")).headers["content-language"]).toBe("en");
  });

  test("redirect loop detector: a 7th gated request in a row from the same referer is a 500; AJAX then names the referer", async () => {
    enableTotp();
    const b = new Browser(d.url);
    await passwordLogin(b);
    const referer = `${d.url}/admin/search.php?query=x`;
    const get = async (path: string) => {
      const cookie = await b.jar.getCookieString(d.url + path);
      return axios.get(d.url + path, { headers: { Cookie: cookie, Referer: referer }, maxRedirects: 0, validateStatus: () => true, responseType: "text", transformResponse: (x: unknown) => x });
    };
    // The testsession request recorded "no referer"; this one differs, so counting starts here.
    for (let i = 0; i < 6; i++) expect((await get("/my/")).status).toBe(303);
    const loop = await get("/my/");
    expect(loop.status).toBe(500);
    expect(String(loop.data)).toContain(`Redirection error occured between MFA and ${d.url}/admin/search.php.`);
    const sesskey = mcfg((await b.get("/login/logout.php")).body).sesskey as string;
    const ajax = await b.request("POST", `/lib/ajax/service.php?sesskey=${sesskey}`, "[]", "application/json");
    expect(JSON.parse(ajax.body).error).toBe(`Unsupported redirect detected, script execution terminated. Redirection error occured between MFA and ${d.url}/admin/search.php.`);
    // auth.php clears the detector.
    await b.get(AUTH);
    expect((await get("/my/")).status).toBe(303);
  });

  test("no Referer at all is one referer too: the 6th gated request after the testsession one, auth.php included, is the loop", async () => {
    enableTotp();
    const b = new Browser(d.url);
    await passwordLogin(b);
    for (let i = 0; i < 5; i++) expect((await b.get("/my/")).status).toBe(303);
    const loop = await b.get(AUTH);
    expect(loop.status).toBe(500);
    expect(loop.body).toContain("<div class='alert-danger'>Unsupported redirect detected, script execution terminated</div>");
  });
});
