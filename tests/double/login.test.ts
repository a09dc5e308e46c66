import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { $, Browser, mcfg } from "./helpers";

describe("moodle double: login and sessions", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble({ sessionTimeoutSeconds: 2 });
  });
  afterAll(() => d.stop());
  beforeEach(() => d.control.reset());

  test("GET login page sets MoodleSession and has both forms with the same logintoken", async () => {
    const b = new Browser(d.url);
    const r = await b.get("/login/index.php");
    expect(r.status).toBe(200);
    expect(String(r.headers["set-cookie"])).toMatch(/MoodleSession=[a-z0-9]+; path=\/; HttpOnly/);
    const p = $(r.body);
    const t1 = p('form#login input[name="logintoken"]').attr("value");
    expect(t1).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(p('form#guestlogin input[name="logintoken"]').attr("value")).toBe(t1);
    expect(p('form#guestlogin input[name="username"]').attr("value")).toBe("guest");
    const cfg = mcfg(r.body);
    expect(cfg.userId).toBe(0);
    expect(String(cfg.sesskey)).toMatch(/^[A-Za-z0-9]{10}$/);
  });

  test("successful login: 303 testsession=2, new session id, then /my/ with userId 2 and a logout link", async () => {
    const b = new Browser(d.url);
    const page = await b.get("/login/index.php");
    const before = await b.sessionCookie();
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    const r = await b.post("/login/index.php", { anchor: "", logintoken: token, username: "admin", password: "Admin-Pass-1!" });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${d.url}/login/index.php?testsession=2`);
    const after = await b.sessionCookie();
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    const r2 = await b.get(r.location!);
    expect(r2.status).toBe(303);
    expect(r2.location).toBe(`${d.url}/my/`);
    const my = await b.get(r2.location!);
    expect(my.status).toBe(200);
    const cfg = mcfg(my.body);
    expect(cfg.userId).toBe(2);
    const sk = String(cfg.sesskey);
    expect($(my.body)(`a[href="${d.url}/login/logout.php?sesskey=${sk}"]`).length).toBeGreaterThan(0);
    expect(my.body).toContain("Version 5.0.6+ (Build: 20260403)");
  });

  test("sesskey is stable for the session", async () => {
    const b = new Browser(d.url);
    const sk = await b.login();
    const p1 = await b.get("/admin/settings.php?section=optionalsubsystems");
    const p2 = await b.get("/admin/webservice/tokens.php");
    expect(mcfg(p1.body).sesskey).toBe(sk);
    expect(mcfg(p2.body).sesskey).toBe(sk);
  });

  test("wrong password: 303 loginredirect=1, message shown once, new logintoken", async () => {
    const b = new Browser(d.url);
    const page = await b.get("/login/index.php");
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    const r = await b.post("/login/index.php", { logintoken: token, username: "admin", password: "wrong" });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${d.url}/login/index.php?loginredirect=1`);
    const shown = await b.get(r.location!);
    const p = $(shown.body);
    expect(p("div#loginerrormessage.alert-danger").text()).toBe("Invalid login, please try again");
    expect(p('form#login input[name="logintoken"]').attr("value")).not.toBe(token);
    const again = await b.get("/login/index.php");
    expect($(again.body)("#loginerrormessage").length).toBe(0);
  });

  test("wrong logintoken and no cookie at all both fail like a bad password", async () => {
    const b = new Browser(d.url);
    await b.get("/login/index.php");
    const r = await b.post("/login/index.php", { logintoken: "x".repeat(32), username: "admin", password: "Admin-Pass-1!" });
    expect(r.location).toContain("loginredirect=1");
    const fresh = new Browser(d.url);
    const r2 = await fresh.post("/login/index.php", { logintoken: "", username: "admin", password: "Admin-Pass-1!" });
    expect(r2.location).toContain("loginredirect=1");
  });

  test("admin URLs redirect to the login page when not logged in; wantsurl is honoured after login", async () => {
    const b = new Browser(d.url);
    for (const path of [
      "/admin/settings.php?section=optionalsubsystems",
      "/admin/webservice/tokens.php",
      "/admin/webservice/service.php?id=3",
      "/admin/webservice/protocols.php?sesskey=x&action=enable&webservice=rest",
    ]) {
      const r = await b.get(path);
      expect(r.status).toBe(303);
      expect(r.location).toBe(`${d.url}/login/index.php`);
    }
    const page = await b.get("/login/index.php");
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    const r = await b.post("/login/index.php", { logintoken: token, username: "admin", password: "Admin-Pass-1!" });
    const r2 = await b.get(r.location!);
    expect(r2.location).toBe(`${d.url}/admin/webservice/protocols.php?sesskey=x&action=enable&webservice=rest`);
  });

  test("logout with sesskey ends the session; without it shows a confirmation page", async () => {
    const b = new Browser(d.url);
    const sk = await b.login();
    const c = await b.get("/login/logout.php?sesskey=wrong");
    expect(c.status).toBe(200);
    expect(c.body).toContain("Do you really want to log out?");
    expect((await b.get("/admin/webservice/tokens.php")).status).toBe(200);
    const r = await b.get(`/login/logout.php?sesskey=${sk}`);
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${d.url}/`);
    expect((await b.get("/admin/webservice/tokens.php")).status).toBe(303);
  });

  test("idle timeout and control expiry end sessions", async () => {
    const b = new Browser(d.url);
    await b.login();
    d.control.expireSessions();
    expect((await b.get("/admin/webservice/tokens.php")).location).toBe(`${d.url}/login/index.php`);
    await b.login();
    await new Promise((r) => setTimeout(r, 2300));
    expect((await b.get("/admin/webservice/tokens.php")).location).toBe(`${d.url}/login/index.php`);
  });

  test("a user flagged forcePasswordChange lands on change_password.php", async () => {
    d.control.patchState({ users: [{ ...d.control.state().users[0], forcePasswordChange: true }] });
    const b = new Browser(d.url);
    const page = await b.get("/login/index.php");
    const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
    const r = await b.post("/login/index.php", { logintoken: token, username: "admin", password: "Admin-Pass-1!" });
    const landing = await b.get((await b.get(r.location!)).location!);
    expect(landing.status).toBe(303);
    expect(landing.location).toBe(`${d.url}/login/change_password.php`);
    const admin = await b.get("/admin/settings.php?section=optionalsubsystems");
    expect(admin.location).toBe(`${d.url}/login/change_password.php`);
    const cp = await b.get("/login/change_password.php");
    expect(cp.status).toBe(200);
    expect($(cp.body)('input[name="newpassword1"]').length).toBe(1);
  });

  test("4.5 markup: failed-login message on an sr-only link plus an id-less alert; section#region-main", async () => {
    const d45 = await startMoodleDouble({ moodleVersion: "4.5" });
    try {
      const b = new Browser(d45.url);
      const page = await b.get("/login/index.php");
      const token = $(page.body)('form#login input[name="logintoken"]').attr("value")!;
      const r = await b.post("/login/index.php", { logintoken: token, username: "admin", password: "nope" });
      const shown = $((await b.get(r.location!)).body);
      expect(shown("a#loginerrormessage.sr-only").text()).toBe("Invalid login, please try again");
      expect(shown("div#loginerrormessage").length).toBe(0);
      expect(shown("div.alert-danger").text()).toBe("Invalid login, please try again");
      await b.login();
      const admin = await b.get("/admin/settings.php?section=optionalsubsystems");
      expect($(admin.body)("section#region-main").length).toBe(1);
      expect(admin.body).toContain("Version 4.5+ (Build: 20241205)");
    } finally {
      await d45.stop();
    }
  });
});
