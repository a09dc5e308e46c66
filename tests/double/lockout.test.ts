// Moodle's login lockout (lib/authlib.php; login/index.php; admin/user.php's unlock action;
// login/unlock_account.php), as /tmp/research/sso-lockout.md §5-6 describes it.
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import type { DoubleUser } from "../../testkit/moodle-double";
import { $, Browser, Resp } from "./helpers";

const T0 = 1_900_000_000;
const LOCKED = "Your account is locked. An unlock link has been sent via email.";

describe("moodle double: login lockout", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());
  beforeEach(() => {
    d.control.reset();
    d.control.setClock(T0);
  });

  const user = (id: number): DoubleUser => d.control.state().users.find((u) => u.id === id)!;
  const token = (r: Resp) => $(r.body)('form#login input[name="logintoken"]').attr("value") ?? "";

  /** A fresh client's attempt with the form's token. */
  async function attempt(username: string, password: string, b = new Browser(d.url)): Promise<Resp> {
    const form = await b.get("/login/index.php");
    return b.post("/login/index.php", { anchor: "", logintoken: token(form), username, password });
  }

  function lockout(threshold: string, extra: Record<string, string> = {}): void {
    d.control.patchState({ config: { lockoutthreshold: threshold, ...extra } });
  }

  test("a fresh site has no lockout: 20 wrong passwords, then the right one logs in", async () => {
    expect(d.control.state().config).toMatchObject({ lockoutthreshold: "0", lockoutwindow: "1800", lockoutduration: "1800" });
    for (let i = 0; i < 20; i++) expect((await attempt("admin", "wrong")).location).toBe(`${d.url}/login/index.php?loginredirect=1`);
    expect((await attempt("admin", "Admin-Pass-1!")).location).toBe(`${d.url}/login/index.php?testsession=2`);
    expect(user(2).lockout?.lockedAt).toBeUndefined();
  });

  test("the failure that reaches the threshold still reads Invalid login; later POSTs, right password too, answer 200 with the locked box and count nothing", async () => {
    lockout("3");
    for (let i = 1; i <= 3; i++) {
      const b = new Browser(d.url);
      const r = await attempt("admin", "wrong", b);
      expect(r.status).toBe(303);
      expect(r.location).toBe(`${d.url}/login/index.php?loginredirect=1`);
      expect($((await b.get(r.location!)).body)("#loginerrormessage").text()).toBe("Invalid login, please try again");
      expect(user(2).lockout?.failedCount).toBe(i);
    }
    // Site admins are not exempt.
    expect(user(2).lockout).toMatchObject({ failedCount: 3, failedLast: T0, lockedAt: T0 });
    const mail = d.control.state().outbox ?? [];
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({ to: "admin@example.com", subject: `Your account on ${d.control.state().site.fullname} was locked out` });
    expect(mail[0].body).toContain(`${d.url}/login/unlock_account.php?u=2&s=`);

    d.control.setClock(T0 + 60);
    for (const password of ["Admin-Pass-1!", "wrong"]) {
      const b = new Browser(d.url);
      const form = await b.get("/login/index.php");
      expect($(form.body)("#loginerrormessage").length).toBe(0);
      const r = await b.post("/login/index.php", { anchor: "", logintoken: token(form), username: " Admin ", password });
      expect(r.status).toBe(200);
      expect(r.location).toBeUndefined();
      expect(r.body).toContain(`<div class="alert alert-danger" id="loginerrormessage" role="alert">${LOCKED}</div>`);
      const p = $(r.body);
      expect(p('form#login input[name="username"]').attr("value")).toBe("admin");
      expect(token(r)).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(token(r)).not.toBe(token(form));
      // Shown once: the next form has no message.
      expect($((await b.get("/login/index.php")).body)("#loginerrormessage").length).toBe(0);
    }
    expect(user(2).lockout).toMatchObject({ failedCount: 3, lockedAt: T0 });
    expect(d.control.state().outbox).toHaveLength(1);
  });

  test("lockoutduration: still locked a second before, unlocked by the next attempt after; 0 = until unlocked", async () => {
    lockout("2");
    await attempt("admin", "wrong");
    await attempt("admin", "wrong");
    d.control.setClock(T0 + 1799);
    expect((await attempt("admin", "Admin-Pass-1!")).status).toBe(200);
    d.control.setClock(T0 + 1800);
    expect((await attempt("admin", "Admin-Pass-1!")).location).toBe(`${d.url}/login/index.php?testsession=2`);
    expect(user(2).lockout?.lockedAt).toBeUndefined();
    expect(user(2).lockout?.failedCount).toBeUndefined();

    d.control.reset();
    d.control.setClock(T0);
    lockout("2", { lockoutduration: "0" });
    await attempt("admin", "wrong");
    await attempt("admin", "wrong");
    d.control.setClock(T0 + 365 * 86400);
    expect((await attempt("admin", "Admin-Pass-1!")).status).toBe(200);
  });

  test("lockoutwindow: the count starts again when the last failure is older than the window (it slides from the last failure)", async () => {
    lockout("3", { lockoutwindow: "600" });
    await attempt("admin", "wrong");
    d.control.setClock(T0 + 500);
    await attempt("admin", "wrong");
    d.control.setClock(T0 + 1050);
    await attempt("admin", "wrong");
    expect(user(2).lockout).toMatchObject({ failedCount: 3, lockedAt: T0 + 1050 });

    d.control.reset();
    d.control.setClock(T0);
    lockout("3", { lockoutwindow: "600" });
    await attempt("admin", "wrong");
    await attempt("admin", "wrong");
    d.control.setClock(T0 + 601);
    await attempt("admin", "wrong");
    expect(user(2).lockout).toMatchObject({ failedCount: 1, failedLast: T0 + 601 });
    expect(user(2).lockout?.lockedAt).toBeUndefined();
  });

  test("a successful login clears the counters", async () => {
    lockout("3");
    await attempt("admin", "wrong");
    await attempt("admin", "wrong");
    expect(user(2).lockout?.failedCount).toBe(2);
    expect((await attempt("admin", "Admin-Pass-1!")).location).toBe(`${d.url}/login/index.php?testsession=2`);
    expect(user(2).lockout?.failedCount).toBeUndefined();
    await attempt("admin", "wrong");
    expect(user(2).lockout?.failedCount).toBe(1);
  });

  test("what counts: a wrong password and an enabled SSO plugin's account; not nologin, suspended, a disabled plugin, an unknown user or a bad token", async () => {
    const base = d.control.state().users[0];
    const u = (id: number, username: string, auth: string, extra: Partial<DoubleUser> = {}): DoubleUser => ({ ...base, id, username, auth, siteAdmin: false, password: "Right-1!", email: `${username}@example.com`, ...extra });
    d.control.patchState({
      config: { lockoutthreshold: "5", auth: "email,saml2,oidc" },
      users: [base, u(10, "samluser", "saml2"), u(11, "oidcuser", "oidc"), u(12, "nologinuser", "nologin"), u(13, "suspendeduser", "manual", { suspended: true }), u(14, "casuser", "cas")],
    });
    for (const name of ["samluser", "oidcuser", "nologinuser", "suspendeduser", "casuser", "nosuchuser"]) await attempt(name, "Right-1!");
    await attempt("admin", "wrong");
    const b = new Browser(d.url);
    await b.get("/login/index.php");
    await b.post("/login/index.php", { logintoken: "stale", username: "admin", password: "wrong" });
    const counts = Object.fromEntries(d.control.state().users.map((x) => [x.username, x.lockout?.failedCount ?? 0]));
    expect(counts).toEqual({ admin: 1, samluser: 1, oidcuser: 1, nologinuser: 0, suspendeduser: 0, casuser: 0 });
  });

  test("a locked account behind alternateloginurl: 303 to it with errorcode=3; the locked message waits for the next form", async () => {
    lockout("1", { alternateloginurl: "https://portal.example.test/login" });
    const b = new Browser(d.url);
    await b.post("/login/index.php", { logintoken: "", username: "admin", password: "wrong" });
    expect(user(2).lockout?.lockedAt).toBe(T0);
    const r = await b.post("/login/index.php", { logintoken: "", username: "admin", password: "Admin-Pass-1!" });
    expect(r.status).toBe(303);
    expect(r.location).toBe("https://portal.example.test/login?errorcode=3");
    const shown = await b.get("/login/index.php?loginredirect=0");
    expect($(shown.body)("#loginerrormessage").text()).toBe(LOCKED);
  });

  test("admin unlock: GET admin/user.php?unlock=<id>&sesskey= (303 back to the list); a wrong sesskey just shows the list", async () => {
    const base = d.control.state().users[0];
    d.control.patchState({ config: { lockoutthreshold: "2" }, users: [base, { ...base, id: 5, username: "jdoe", firstname: "Jane", lastname: "Doe", email: "jdoe@example.com", siteAdmin: false, password: "Jane-1!" }] });
    await attempt("jdoe", "wrong");
    await attempt("jdoe", "wrong");
    expect(user(5).lockout?.lockedAt).toBe(T0);
    const admin = new Browser(d.url);
    const sk = await admin.login();
    const list = await admin.get("/admin/user.php");
    expect(list.status).toBe(200);
    const link = $(list.body)('tr[data-userid="5"] a.action-unlock');
    expect(link.text()).toBe("Unlock account");
    expect(link.attr("href")).toBe(`${d.url}/admin/user.php?unlock=5&sesskey=${sk}`);
    expect($(list.body)('tr[data-userid="2"] a.action-unlock').length).toBe(0);
    const bad = await admin.get("/admin/user.php?unlock=5&sesskey=wrong");
    expect(bad.status).toBe(200);
    expect(user(5).lockout?.lockedAt).toBe(T0);
    const ok = await admin.get(`/admin/user.php?unlock=5&sesskey=${sk}`);
    expect(ok.status).toBe(303);
    expect(ok.location).toBe(`${d.url}/admin/user.php`);
    expect(user(5).lockout?.lockedAt).toBeUndefined();
    expect((await attempt("jdoe", "Jane-1!")).location).toBe(`${d.url}/login/index.php?testsession=5`);
    // Not for a user without moodle/user:update.
    const jane = new Browser(d.url);
    await jane.login("jdoe", "Jane-1!");
    expect((await jane.get(`/admin/user.php?unlock=5&sesskey=x`)).status).toBe(404);
  });

  test("the emailed link unlocks and says so on the login page; a wrong secret is lockouterrorunlock; the link keeps working", async () => {
    lockout("1");
    await attempt("admin", "wrong");
    const link = /unlock_account\.php\?u=2&s=([A-Za-z0-9]+)/.exec(d.control.state().outbox![0].body)!;
    const b = new Browser(d.url);
    const bad = await b.get("/login/unlock_account.php?u=2&s=nope");
    expect(bad.status).toBe(404);
    expect($(bad.body)("p.errormessage").text()).toBe("Invalid account unlock information supplied.");
    const ok = await b.get(`/login/unlock_account.php?u=2&s=${link[1]}`);
    expect(ok.status).toBe(303);
    expect(ok.location).toBe(`${d.url}/login/index.php`);
    const form = await b.get(ok.location!);
    expect(form.body).toContain('<div class="alert alert-info" id="logininfomessage" role="status">Your account is unlocked. You can log in.</div>');
    expect(user(2).lockout?.lockedAt).toBeUndefined();
    expect((await b.post("/login/index.php", { logintoken: token(form), username: "admin", password: "Admin-Pass-1!" })).location).toBe(`${d.url}/login/index.php?testsession=2`);
    expect((await new Browser(d.url).get(`/login/unlock_account.php?u=2&s=${link[1]}`)).status).toBe(303);
  });
});
