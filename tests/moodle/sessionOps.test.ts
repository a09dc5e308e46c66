// The admin session on recorded pages, without a server: what the login sends and how each of Moodle's
// answers to it is read, when a session counts as lost and what one re-login repeats, forced pages,
// redirects, and which pages a later read may take from memory. The HTTP layer is scripted: each
// request gets the next answer, and every request is recorded.
import { MoodleHttp, type HttpRequest, type HttpResponse } from "../../moodle/http";
import { MoodleSession, PAGE_MEMO_MS, affects, forcedPageFor } from "../../moodle/session";
import { MANUAL_LOGIN_PATH } from "../../moodle/login";
import {
  MoodleAccountLockedError,
  MoodleError,
  MoodleForcedPageError,
  MoodleLoginError,
  MoodleSessionError,
  MoodleTransportError,
} from "../../moodle/errors";
import { redact } from "../../moodle/redact";
import { parseMCfg } from "../../moodle/parsers/common";
import { page } from "./fixtures";

const SITE = "https://m.example.com/moodle";
const LOGIN_FORM = page("5.0", "a1-login-get.html");
const LOGIN_REFUSED = page("5.0", "a3-login-bad-follow.html");
const DASHBOARD = page("5.0", "a6-my.html");
const ADMIN_PAGE = page("5.0", "b1-optionalsubsystems.html");
const ADMIN_INDEX = page("5.0", "h1-admin-index.html");
const BAD_SESSKEY = page("5.0", "e12-token-create-bad-sesskey.html");
const sesskeyOf = (html: string) => parseMCfg(html)!.sesskey;
const LOGINTOKEN = "PJnMbMV7xAWPRmJb6AsWEVrxzoK6HY12";
const PASSWORD = "Adm1n-Pa55word!";

type Answer = { status: number; body?: string; location?: string; headers?: HttpResponse["headers"] } | Error;
type Script = Answer | ((req: HttpRequest) => Answer | Promise<Answer>);

/** A MoodleHttp for a site in a subdirectory whose requests are answered from a script. */
function scripted(answers: Script[], opts: { retries?: number } = {}) {
  const http = new MoodleHttp({ url: SITE, retries: opts.retries ?? 1 });
  const sent: HttpRequest[] = [];
  let cookieResets = 0;
  http.request = async (req: HttpRequest) => {
    sent.push(req);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${req.method} ${req.path}`);
    const a = typeof next === "function" ? await next(req) : next;
    if (a instanceof Error) throw a;
    const url = http.absolute(req.path);
    return { headers: {}, body: "", url, ...a, location: a.location ? new URL(a.location, url).toString() : undefined };
  };
  http.resetCookies = () => {
    cookieResets++;
  };
  const logs: string[] = [];
  const s = new MoodleSession(http, { username: "admin", password: PASSWORD }, (m) => logs.push(m));
  const paths = () => sent.map((r) => `${r.method} ${r.path}`);
  return { s, http, sent, logs, paths, cookieResets: () => cookieResets, answers };
}

const ok = (body: string) => ({ status: 200, body });
const to = (location: string, headers: HttpResponse["headers"] = {}) => ({ status: 303, location, headers });
/** Moodle's answer to an accepted password: a new session and a redirect naming the user id. */
const accepted = (userId = 2) => to(`/moodle/login/index.php?testsession=${userId}`, { "set-cookie": ["MoodleSession=n3w; path=/moodle/"] });
const login = (userId = 2) => [ok(LOGIN_FORM), accepted(userId)];
/** A held answer: the request waits until release() is called. */
function held(answer: Answer) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const began = new Promise<void>((r) => (started = r));
  const script = async () => {
    started();
    await gate;
    return answer;
  };
  return { script, release, began };
}

describe("what a write can change (affects)", () => {
  test("no scope: every page", () => {
    expect(affects(undefined, "/admin/settings.php?section=webservices")).toBe(true);
  });
  test("a path without a query covers itself and all of its queries, nothing else", () => {
    const scope = ["/admin/settings.php"];
    expect(affects(scope, "/admin/settings.php")).toBe(true);
    expect(affects(scope, "/admin/settings.php?section=webservices")).toBe(true);
    expect(affects(scope, "/admin/settings.phpx")).toBe(false);
    expect(affects(scope, "/admin/webservice/tokens.php")).toBe(false);
  });
  test("a path with a query covers that query and longer ones, not another value of the same parameter", () => {
    const scope = ["/admin/settings.php?section=webservice"];
    expect(affects(scope, "/admin/settings.php?section=webservice")).toBe(true);
    expect(affects(scope, "/admin/settings.php?section=webservice&x=1")).toBe(true);
    expect(affects(scope, "/admin/settings.php?section=webserviceprotocols")).toBe(false);
    expect(affects(scope, "/admin/settings.php")).toBe(false);
  });
  test("any path of the scope is enough", () => {
    expect(affects(["/admin/webservice/tokens.php", "/admin/settings.php"], "/admin/settings.php?section=x")).toBe(true);
  });
});

describe("pages Moodle forces on the admin (forcedPageFor)", () => {
  test.each([
    ["/login/change_password.php?id=2", /change password/],
    ["/admin/tool/mfa/auth.php", /multi-factor/],
    ["/user/policy.php", /site policy/],
    ["/admin/tool/policy/index.php?policyid=1", /site policy/],
    ["/user/edit.php?id=2", /user profile/],
    ["/user/editadvanced.php?id=2", /user profile/],
    ["/admin/upgradesettings.php", /new admin settings/],
    ["/admin/index.php", /pending Moodle upgrade/],
    ["/admin/index.php?cache=1", /pending Moodle upgrade/],
    ["/admin/", /pending Moodle upgrade/],
    ["/admin/environment.php", /pending Moodle upgrade/],
  ])("%s is named", (path, what) => {
    expect(forcedPageFor(path)).toMatch(what);
  });
  test.each(["/my/", "/admin/settings.php?section=webservices", "/admin/search.php", "/user/profile.php?id=2", "/admin/tool/task/"])(
    "%s is an ordinary page",
    (path) => {
      expect(forcedPageFor(path)).toBeUndefined();
    },
  );
});

describe("logging in", () => {
  test("one form read and one POST with the form's logintoken; the redirect names the user, nothing else is read", async () => {
    const t = scripted(login(7));
    await expect(t.s.ensure()).resolves.toEqual({ userId: 7 });
    expect(t.paths()).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php"]);
    expect(t.sent[1].form).toEqual({ anchor: "", logintoken: LOGINTOKEN, username: "admin", password: PASSWORD });
    // A lost answer to the login POST must not be replayed blindly by the HTTP layer (the login is redone from the form).
    expect(t.sent[1].idempotent).toBe(false);
    expect(t.cookieResets()).toBe(1);
    expect(t.logs).toEqual(["logged in to m.example.com as admin (user id 7)"]);
  });

  test("the password is registered as a secret as soon as the session exists", () => {
    scripted([]);
    expect(redact(`password ${PASSWORD} in a message`)).not.toContain(PASSWORD);
  });

  test("concurrent callers share one login", async () => {
    const t = scripted(login());
    const [a, b] = await Promise.all([t.s.ensure(), t.s.ensure()]);
    expect(a).toBe(b);
    expect(t.paths()).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php"]);
  });

  test("a refused password (no new session, back to the login page) is a login error with Moodle's words, and is never tried again", async () => {
    const t = scripted([ok(LOGIN_FORM), to("/moodle/login/index.php?loginredirect=1"), ok(LOGIN_REFUSED)]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleLoginError);
    expect(err.message).toContain('Moodle said "Invalid login, please try again" for user "admin"');
    expect(t.paths()).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /login/index.php?loginredirect=1"]);
    await expect(t.s.request({ step: "read", path: "/admin/search.php" })).rejects.toBe(err);
    expect(t.sent).toHaveLength(3);
  });

  test("a login page answered at once with Moodle's message (no redirect) is a locked account: reported as locked, never tried again", async () => {
    // Moodle redirects every refused password; only AUTH_LOGIN_LOCKOUT renders the login page in the POST's own answer.
    const t = scripted([ok(LOGIN_FORM), ok(LOGIN_REFUSED)]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleAccountLockedError);
    expect(err).toBeInstanceOf(MoodleLoginError);
    expect(err.message).toMatch(/with "Invalid login, please try again": the account is locked/);
    expect(err.message).toMatch(/Unlock account/);
    expect(err.message).not.toContain("check moodle:adminUser");
    await expect(t.s.ensure()).rejects.toBe(err);
    expect(t.sent).toHaveLength(2);
  });

  test.each([
    ["a list of cookies", ["MoodleSessionharness=fresh; path=/"]],
    ["a single cookie", "MoodleSession=fresh; path=/"],
  ])(
    "a login form whose session ended before the POST (Moodle sets a new session cookie, %s) is redone once from a fresh form",
    async (_what, cookie) => {
      const t = scripted([ok(LOGIN_FORM), to("/moodle/login/index.php?loginredirect=1", { "set-cookie": cookie }), ...login()]);
      await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
      expect(t.paths()).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", `GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php"]);
      expect(t.cookieResets()).toBe(2);
      expect(t.logs[0]).toMatch(/^log in: the login form's session ended before the form was sent .*; starting the login again$/);
    },
  );

  test("another cookie on the refusal does not make it a lost session", async () => {
    const t = scripted([ok(LOGIN_FORM), to("/moodle/login/index.php?loginredirect=1", { "set-cookie": ["MOODLEID1_=x; path=/"] }), ok(LOGIN_REFUSED)]);
    await expect(t.s.ensure()).rejects.toBeInstanceOf(MoodleLoginError);
  });

  test("a session lost twice in a row is an error after the one retry", async () => {
    const lost = () => to("/moodle/login/index.php?loginredirect=1", { "set-cookie": "MoodleSession=x" });
    const t = scripted([ok(LOGIN_FORM), lost(), ok(LOGIN_FORM), lost()], { retries: 3 });
    await expect(t.s.ensure()).rejects.toBeInstanceOf(MoodleSessionError);
    expect(t.sent).toHaveLength(4);
  });

  test("a transport failure restarts the login from the form, up to the HTTP retries (at least once)", async () => {
    const down = () => new MoodleTransportError("log in", "/login/index.php", "connection reset", { code: "ECONNRESET" });
    const t = scripted([down(), down(), ...login()], { retries: 2 });
    await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
    expect(t.logs.slice(0, 2)).toEqual([
      "log in: connection reset; starting the login again",
      "log in: connection reset; starting the login again",
    ]);
    const none = scripted([down(), ...login()], { retries: 0 });
    await expect(none.s.ensure()).resolves.toEqual({ userId: 2 });
    const exhausted = scripted([down(), down(), down()], { retries: 2 });
    await expect(exhausted.s.ensure()).rejects.toBeInstanceOf(MoodleTransportError);
    expect(exhausted.sent).toHaveLength(3);
  });

  test("the retries after a transport failure wait 100 ms, then 200 ms", async () => {
    const down = () => new MoodleTransportError("log in", "/login/index.php", "timeout");
    const at: number[] = [];
    const stamp = (a: Script): Script => () => {
      at.push(Date.now());
      return typeof a === "function" ? a({} as HttpRequest) : a;
    };
    const t = scripted([stamp(down()), stamp(down()), stamp(ok(LOGIN_FORM)), accepted()], { retries: 2 });
    await t.s.ensure();
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(95);
    expect(at[1] - at[0]).toBeLessThan(190);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(195);
    expect(at[2] - at[1]).toBeLessThan(390);
  });

  test("another error is not retried", async () => {
    const t = scripted([new MoodleError("log in", "/login/index.php", "boom")], { retries: 3 });
    await expect(t.s.ensure()).rejects.toThrow("boom");
    expect(t.sent).toHaveLength(1);
  });

  test("only a 3xx login page is a redirect: a 200 form carrying a Location header is used", async () => {
    const t = scripted([{ status: 200, body: LOGIN_FORM, location: "/moodle/auth/x.php" }, accepted()]);
    await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
    await expect(scripted([{ status: 300, location: "/moodle/auth/x.php" }]).s.ensure()).rejects.toThrow(/the login page redirects to \/auth\/x.php/);
    const notFound = await scripted([{ status: 400, body: "", location: "/moodle/auth/x.php" }]).s.ensure().catch((e) => e);
    expect(notFound.message).toContain("no login form (HTTP 400)");
  });

  test("a 300 answer to the POST naming a testsession is a login too", async () => {
    await expect(scripted([ok(LOGIN_FORM), { status: 300, location: "/moodle/login/index.php?testsession=5" }]).s.ensure()).resolves.toEqual({ userId: 5 });
  });

  test("a new session cookie on a redirect elsewhere is not a lost login form", async () => {
    const t = scripted([ok(LOGIN_FORM), to("/moodle/course/view.php?id=1", { "set-cookie": "MoodleSession=x" })]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).not.toBeInstanceOf(MoodleSessionError);
    expect(err.message).toContain("unexpected answer HTTP 303 redirecting to /course/view.php");
    expect(t.sent).toHaveLength(2);
  });

  test("a login error shown on a non-200 answer is not taken for a refused password", async () => {
    const err = await scripted([ok(LOGIN_FORM), { status: 500, body: LOGIN_REFUSED }]).s.ensure().catch((e) => e);
    expect(err).not.toBeInstanceOf(MoodleLoginError);
    expect(err.message).toContain("unexpected answer HTTP 500");
  });

  test("the login form is asked for past single sign-on (Moodle's bypasses), and a page that still redirects names where it goes and what was tried", async () => {
    const local = scripted([to("/moodle/auth/saml2/login.php?wants=x")]);
    const err = await local.s.ensure().catch((e) => e);
    expect(local.paths()).toEqual(["GET /login/index.php?loginredirect=0&saml=off&noredirect=1"]);
    expect(err).toBeInstanceOf(MoodleForcedPageError);
    expect(err.message).toContain("the login page redirects to /auth/saml2/login.php even with Moodle's own ways to show the manual login form");
    expect(err.message).toMatch(/loginredirect=0 .*saml=off .*noredirect=1/);
    const away = scripted([to("https://idp.example.com/sso")]);
    await expect(away.s.ensure()).rejects.toThrow("the login page redirects to idp.example.com");
  });

  test.each([
    ["not a 200", { status: 500, body: LOGIN_FORM }],
    ["no login form", ok(ADMIN_PAGE)],
    ["a form without its logintoken", ok(LOGIN_FORM.replace(/name="logintoken" value="[^"]*"/, 'name="logintoken" value=""'))],
  ])("a login page that is %s is not a Moodle login: no POST", async (_what, answer) => {
    const t = scripted([answer]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.message).toContain(`no login form (HTTP ${answer.status}); is https://m.example.com/moodle/ a Moodle site?`);
    expect(t.sent).toHaveLength(1);
  });

  test("a POST answered with a forced page after login names the page", async () => {
    const t = scripted([ok(LOGIN_FORM), to("/moodle/login/change_password.php")]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleForcedPageError);
    expect(err.message).toMatch(/after login Moodle sends the admin to "change password/);
  });

  test("an answer that is neither a login nor a refusal is reported as it is", async () => {
    await expect(scripted([ok(LOGIN_FORM), to("/moodle/course/view.php?id=1")]).s.ensure()).rejects.toThrow(
      "unexpected answer HTTP 303 redirecting to /course/view.php",
    );
    await expect(scripted([ok(LOGIN_FORM), ok("<html>maintenance</html>")]).s.ensure()).rejects.toThrow(/unexpected answer HTTP 200$/);
    // Only a redirect carries the outcome: a 200 whose Location header names a testsession is not a login.
    await expect(scripted([ok(LOGIN_FORM), { status: 200, body: "", location: "/moodle/login/index.php?testsession=2" }]).s.ensure()).rejects.toThrow(
      /unexpected answer HTTP 200/,
    );
    await expect(scripted([ok(LOGIN_FORM), { status: 400, body: "", location: "/moodle/login/index.php?testsession=2" }]).s.ensure()).rejects.toThrow(
      /unexpected answer HTTP 400/,
    );
  });
});

describe("the first page after login", () => {
  test("a plain read lands the session: its sesskey and release are taken, and the landing check sees the release", async () => {
    const t = scripted([...login(), ok(ADMIN_PAGE), ok(ADMIN_INDEX)]);
    const check = jest.fn(async () => undefined);
    t.s.onLanding(check);
    await t.s.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" });
    expect(t.s.peek()).toEqual({ userId: 2, sesskey: sesskeyOf(ADMIN_PAGE), landingVersion: { release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0 } });
    expect(check).toHaveBeenCalledTimes(1);
    expect(check).toHaveBeenCalledWith({ release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0 });
    await t.s.request({ step: "read", path: "/admin/search.php" });
    expect(check).toHaveBeenCalledTimes(1);
  });

  test("a landing check that refuses the site fails the request", async () => {
    const t = scripted([...login(), ok(ADMIN_PAGE)]);
    t.s.onLanding(async () => {
      throw new MoodleError("read version", "/", "unsupported");
    });
    await expect(t.s.request({ step: "read", path: "/admin/search.php" })).rejects.toThrow("unsupported");
  });

  test("a first page without the logged-in user (user id 0) is a session error", async () => {
    const t = scripted([...login(), ok(LOGIN_FORM)]);
    const err = await t.s.request({ step: "read", path: "/admin/search.php" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleSessionError);
    expect(err.message).toContain("landed on a page without a logged-in user (HTTP 200)");
  });

  test("an answer without M.cfg (JSON) leaves the landing to the next page", async () => {
    const t = scripted([...login(), ok('{"ok":true}'), ok(ADMIN_PAGE)]);
    await t.s.request({ step: "ajax", path: "/lib/ajax/service.php" });
    expect(t.s.peek()?.sesskey).toBeUndefined();
    await t.s.request({ step: "read", path: "/admin/search.php" });
    expect(t.s.peek()?.sesskey).toBe(sesskeyOf(ADMIN_PAGE));
  });

  test("a write first reads the dashboard for the sesskey and sends it", async () => {
    const t = scripted([...login(), ok(DASHBOARD), to("/moodle/admin/search.php")]);
    const res = await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: (sesskey) => ({ sesskey }) });
    expect(t.paths()).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /my/", "POST /admin/settings.php"]);
    expect(t.sent[3].form).toEqual({ sesskey: sesskeyOf(DASHBOARD) });
    // A POST's redirect is its answer: not followed.
    expect(res).toMatchObject({ status: 303, path: "/admin/settings.php", location: "/admin/search.php" });
  });

  test("the dashboard read follows redirects on the site", async () => {
    const t = scripted([...login(), to("/moodle/my/courses.php"), ok(DASHBOARD), ok("")]);
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: (sesskey) => ({ sesskey }) });
    expect(t.paths().slice(2)).toEqual(["GET /my/", "GET /my/courses.php", "POST /admin/settings.php"]);
  });

  test.each([
    ["a forced page", to("/moodle/user/policy.php"), MoodleForcedPageError, /sends the admin to "site policy agreement"/],
    ["an off-site page", to("https://idp.example.com/x"), MoodleForcedPageError, /after login Moodle redirects to idp.example.com/],
    ["the login page", to("/moodle/login/index.php"), MoodleSessionError, /the session cookie did not stick/],
    ["a page without M.cfg", ok("<html></html>"), MoodleSessionError, /landed on a page without a logged-in user \(HTTP 200\)/],
  ])("a dashboard that turns out to be %s stops the write before it is sent", async (_what, answer, type, message) => {
    const t = scripted([...login(), answer]);
    const err = await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) }).catch((e) => e);
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
    expect(t.sent.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  test("only a 3xx dashboard answer is a redirect", async () => {
    const withLocation = scripted([...login(), { status: 200, body: DASHBOARD, location: "/moodle/login/index.php" }, ok("")]);
    await withLocation.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: (sesskey) => ({ sesskey }) });
    expect(withLocation.sent[3].form).toEqual({ sesskey: sesskeyOf(DASHBOARD) });
    const three = scripted([...login(), { status: 300, location: "/moodle/my/courses.php" }, ok(DASHBOARD), ok("")]);
    await three.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    expect(three.paths()[3]).toBe("GET /my/courses.php");
    const bad = scripted([...login(), { status: 400, body: "", location: "/moodle/my/courses.php" }]);
    await expect(bad.s.landed()).rejects.toThrow("landed on a page without a logged-in user (HTTP 400)");
  });

  test("a page read under a session that was replaced meanwhile does not land the new session", async () => {
    const slowRead = held(ok(ADMIN_INDEX));
    const t = scripted([...login(), slowRead.script, ...login(), ok(DASHBOARD), ok("")]);
    const reading = t.s.request({ step: "read", path: "/admin/search.php" });
    await slowRead.began;
    await t.s.forceRelogin();
    slowRead.release();
    await reading;
    expect(t.s.peek()?.sesskey).toBeUndefined();
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: (sesskey) => ({ sesskey }) });
    expect(t.sent[6].form).toEqual({ sesskey: sesskeyOf(DASHBOARD) });
  });

  test("a dashboard that redirects in a loop gives up after six hops", async () => {
    const loop = Array.from({ length: 10 }, (_, i) => to(`/moodle/my/?hop=${i}`));
    const t = scripted([...login(), ...loop]);
    const err = await t.s.landed().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.message).toContain("too many redirects after login");
    expect(t.sent).toHaveLength(2 + 6);
  });
});

describe("reading and writing admin pages", () => {
  const landed = () => [...login(), ok(ADMIN_PAGE)];

  test("a GET follows redirects on the site and reports the page it ended on", async () => {
    const t = scripted([...login(), to("/moodle/admin/settings.php?section=x"), ok(ADMIN_PAGE)]);
    const p = await t.s.request({ step: "read", path: "/admin/search.php" });
    expect(p).toMatchObject({ status: 200, path: "/admin/settings.php?section=x" });
    expect(t.paths().slice(2)).toEqual(["GET /admin/search.php", "GET /admin/settings.php?section=x"]);
  });

  test("a GET that asks not to follow gets the redirect itself", async () => {
    const t = scripted([...landed(), to("/moodle/admin/webservice/protocols.php")]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const p = await t.s.request({ step: "toggle", path: (k) => `/admin/webservice/protocols.php?sesskey=${k}&action=enable`, follow: false });
    expect(p).toMatchObject({ status: 303, location: "/admin/webservice/protocols.php" });
    expect(t.sent[3].path).toBe(`/admin/webservice/protocols.php?sesskey=${sesskeyOf(ADMIN_PAGE)}&action=enable`);
  });

  test("only 3xx answers are redirects, even with a Location header", async () => {
    const t = scripted([...landed(), { status: 200, body: ADMIN_PAGE, location: "/moodle/admin/other.php" }, { status: 400, body: "bad", location: "/moodle/admin/other.php" }]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await expect(t.s.request({ step: "read", path: "/admin/a.php" })).resolves.toMatchObject({ status: 200, path: "/admin/a.php" });
    await expect(t.s.request({ step: "read", path: "/admin/b.php" })).resolves.toMatchObject({ status: 400, path: "/admin/b.php" });
    expect(t.sent).toHaveLength(5);
  });

  test("a 300 answer is followed like a 303", async () => {
    const t = scripted([...landed(), { status: 300, location: "/moodle/admin/b.php" }, ok(ADMIN_PAGE)]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await expect(t.s.request({ step: "read", path: "/admin/a.php" })).resolves.toMatchObject({ status: 200, path: "/admin/b.php" });
  });

  test("a GET that does not follow redirects counts as a write: it needs the sesskey and forgets remembered pages", async () => {
    const t = scripted([...login(), ok(DASHBOARD), to("/moodle/admin/x.php"), ok(ADMIN_PAGE), ok(""), ok(ADMIN_PAGE)]);
    await t.s.request({ step: "toggle", path: "/admin/webservice/protocols.php?action=enable", follow: false });
    expect(t.paths().slice(2)).toEqual(["GET /my/", "GET /admin/webservice/protocols.php?action=enable"]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await t.s.request({ step: "toggle", path: "/admin/webservice/protocols.php?action=disable", follow: false });
    await t.s.request({ step: "read", path: "/admin/search.php", reuse: true });
    expect(t.sent).toHaveLength(7);
  });

  test("an error on a request whose URL carries the sesskey names the page without it", async () => {
    const t = scripted([...login(), ok(DASHBOARD), to("/moodle/login/index.php"), ...login(), ok(DASHBOARD), to("/moodle/login/index.php")]);
    const err = await t.s.request({ step: "toggle", path: (k) => `/admin/webservice/protocols.php?sesskey=${k}&action=enable`, follow: false }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleSessionError);
    expect(err.message).toMatch(/^toggle failed at \/admin\/webservice\/protocols.php: /);
  });

  test("a redirect loop stops after six hops", async () => {
    const loop = Array.from({ length: 10 }, (_, i) => to(`/moodle/admin/loop.php?n=${i}`));
    const t = scripted([...landed(), ...loop]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const err = await t.s.request({ step: "read loop", path: "/admin/loop.php" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.message).toContain("too many redirects");
    expect(t.sent).toHaveLength(3 + 7);
  });

  test("a redirect to a forced page or off the site is refused with its name", async () => {
    const t = scripted([...landed(), to("/moodle/admin/upgradesettings.php"), to("https://idp.example.com/sso")]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await expect(t.s.request({ step: "read", path: "/admin/a.php" })).rejects.toThrow(
      'Moodle sends the admin to "new admin settings to review (admin/upgradesettings.php)" at /admin/upgradesettings.php',
    );
    await expect(t.s.request({ step: "read", path: "/admin/b.php" })).rejects.toThrow("Moodle redirected to idp.example.com (single sign-on");
  });

  test("a read sent to the login page logs in again once and reads again", async () => {
    const t = scripted([...landed(), to("/moodle/login/index.php"), ...login(), ok(ADMIN_INDEX)]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const p = await t.s.request({ step: "read settings", path: "/admin/a.php" });
    expect(p.body).toBe(ADMIN_INDEX);
    // A plain read needs no sesskey: no dashboard read after the re-login; the read itself lands the session.
    expect(t.paths().slice(3)).toEqual(["GET /admin/a.php", `GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /admin/a.php"]);
    expect(t.s.peek()?.sesskey).toBe(sesskeyOf(ADMIN_INDEX));
    expect(t.logs).toContain("read settings: Moodle redirected to the login page (session expired); logging in again");
  });

  test.each([
    ["invalidsesskey", BAD_SESSKEY],
    ["requireloginerror", `<html><body><div data-rel="fatalerror"><p class="errormessage">You need to log in</p><p class="errorcode"><a href="https://docs.moodle.org/500/en/error/moodle/requireloginerror">More</a></p></div></body></html>`],
  ])("a write answered with Moodle's %s error page is sent again after one re-login, with the new sesskey", async (_code, body) => {
    const t = scripted([...login(), ok(DASHBOARD), { status: 404, body }, ...login(), ok(ADMIN_INDEX), to("/moodle/admin/done.php")]);
    const form = (sesskey: string) => ({ sesskey, name: "x" });
    const p = await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form });
    expect(p.status).toBe(303);
    expect(t.paths().slice(2)).toEqual(["GET /my/", "POST /admin/settings.php", `GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /my/", "POST /admin/settings.php"]);
    expect(t.sent[3].form).toEqual({ sesskey: sesskeyOf(DASHBOARD), name: "x" });
    expect(t.sent[7].form).toEqual({ sesskey: sesskeyOf(ADMIN_INDEX), name: "x" });
    expect(t.logs.join("\n")).toMatch(new RegExp(`save: Moodle said ".+"; logging in again`));
  });

  test("another 404 error page is the answer itself, not a lost session", async () => {
    const notFound = `<html><body><div data-rel="fatalerror"><p class="errormessage">Can't find data record</p><p class="errorcode"><a href="https://docs.moodle.org/500/en/error/moodle/invalidrecord">More</a></p></div></body></html>`;
    const t = scripted([...landed(), { status: 404, body: notFound }]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await expect(t.s.request({ step: "read", path: "/admin/webservice/service.php?id=99" })).resolves.toMatchObject({ status: 404 });
    expect(t.sent).toHaveLength(4);
  });

  test("the invalidsesskey page with another status is returned as it is", async () => {
    const t = scripted([...landed(), { status: 200, body: BAD_SESSKEY }]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    await expect(t.s.request({ step: "read", path: "/admin/a.php" })).resolves.toMatchObject({ status: 200 });
    expect(t.sent).toHaveLength(4);
  });

  test("a session lost again right after the re-login: the error hints at cookies when no page was ever read", async () => {
    const t = scripted([...login(), to("/moodle/login/index.php"), ...login(), to("/moodle/login/index.php")]);
    const err = await t.s.request({ step: "read", path: "/admin/a.php" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleSessionError);
    expect(err.message).toContain("even right after a fresh login (cookies blocked, or wwwroot differs from the configured url?)");
  });

  test("…and does not when the session had shown its sesskey", async () => {
    const t = scripted([...landed(), to("/moodle/login/index.php"), ...login(), ok(DASHBOARD), { status: 404, body: BAD_SESSKEY }]);
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const err = await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: (k) => ({ sesskey: k }) }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleSessionError);
    expect(err.message).toMatch(/even right after a fresh login$/);
  });
});

describe("remembered pages", () => {
  const READ = { step: "read", path: "/admin/settings.php?section=webservices", reuse: true };
  const landedOn = (...answers: Script[]) => scripted([...login(), ok(ADMIN_PAGE), ...answers]);
  const writes = (t: ReturnType<typeof scripted>) => t.sent.filter((r) => r.method === "POST").length;

  test("a read that may reuse gets the page read since the last write, without a request", async () => {
    const t = landedOn();
    const first = await t.s.request({ step: "read", path: READ.path });
    await expect(t.s.request(READ)).resolves.toBe(first);
    expect(t.sent).toHaveLength(3);
  });

  test("a read without reuse always goes to Moodle", async () => {
    const t = landedOn(ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: READ.path });
    await t.s.request({ step: "read", path: READ.path });
    expect(t.sent).toHaveLength(4);
  });

  test("only a 200 is remembered", async () => {
    const t = scripted([...login(), { status: 500, body: ADMIN_PAGE }, ok(ADMIN_PAGE)]);
    await t.s.request({ step: "read", path: READ.path });
    await expect(t.s.request(READ)).resolves.toMatchObject({ status: 200 });
    expect(t.sent).toHaveLength(4);
  });

  test(`a remembered page is used for less than ${PAGE_MEMO_MS / 1000} s`, async () => {
    const now = jest.spyOn(Date, "now");
    try {
      now.mockReturnValue(1_000_000);
      const t = landedOn(ok(ADMIN_PAGE));
      await t.s.request({ step: "read", path: READ.path });
      now.mockReturnValue(1_000_000 + PAGE_MEMO_MS - 1);
      await t.s.request(READ);
      expect(t.sent).toHaveLength(3);
      now.mockReturnValue(1_000_000 + PAGE_MEMO_MS);
      await t.s.request(READ);
      expect(t.sent).toHaveLength(4);
    } finally {
      now.mockRestore();
    }
  });

  test("a write forgets the pages in its scope and keeps the others; after it, reads are remembered again", async () => {
    const other = "/admin/webservice/tokens.php";
    const t = landedOn(ok(ADMIN_PAGE), to("/moodle/admin/x.php"), ok(ADMIN_PAGE), ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: READ.path });
    await t.s.request({ step: "read", path: other });
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}), invalidates: ["/admin/settings.php"] });
    await t.s.request({ ...READ, path: other });
    expect(t.sent).toHaveLength(5);
    await t.s.request(READ);
    expect(t.sent).toHaveLength(6);
    await t.s.request(READ);
    expect(t.sent).toHaveLength(6);
    expect(writes(t)).toBe(2);
  });

  test("a write without a scope forgets every page", async () => {
    const t = landedOn(ok(""), ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: READ.path });
    await t.s.request({ step: "toggle", path: (k) => `/admin/webservice/protocols.php?sesskey=${k}&action=enable` });
    await t.s.request(READ);
    expect(t.sent).toHaveLength(5);
  });

  test("a read that overlapped a write to its page is not remembered, whether the write started before or during the read", async () => {
    // The write starts and ends while the read is waiting for Moodle.
    const slowRead = held(ok(ADMIN_PAGE));
    const t = landedOn(slowRead.script, ok(""), ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const reading = t.s.request({ step: "read", path: READ.path });
    await slowRead.began;
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}), invalidates: ["/admin/settings.php"] });
    slowRead.release();
    await reading;
    await t.s.request(READ);
    expect(t.sent).toHaveLength(6);

    // The write is still running when the read ends.
    const slowWrite = held(ok(""));
    const u = landedOn(slowWrite.script, ok(ADMIN_PAGE), ok(ADMIN_PAGE));
    await u.s.request({ step: "read", path: "/admin/search.php" });
    const writing = u.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    await slowWrite.began;
    await u.s.request({ step: "read", path: READ.path });
    slowWrite.release();
    await writing;
    await u.s.request(READ);
    expect(u.sent).toHaveLength(6);
  });

  test("a read that overlapped a write elsewhere is remembered", async () => {
    const slowRead = held(ok(ADMIN_PAGE));
    const t = landedOn(slowRead.script, ok(""));
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const reading = t.s.request({ step: "read", path: READ.path });
    await slowRead.began;
    await t.s.request({ step: "save", method: "POST", path: "/admin/webservice/tokens.php", form: () => ({}), invalidates: ["/admin/webservice/tokens.php"] });
    slowRead.release();
    await reading;
    await t.s.request(READ);
    expect(t.sent).toHaveLength(5);
  });

  test("a read that started while a write to its page was running is not remembered, even when the write ends first", async () => {
    // Moodle may have answered the read before it applied the write.
    const slowWrite = held(to("/moodle/admin/x.php"));
    const slowRead = held(ok(ADMIN_PAGE));
    const t = landedOn(slowWrite.script, ok(ADMIN_PAGE), slowRead.script, ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const writing = t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    await slowWrite.began;
    // Another read ends while the write runs: the running write must still count for later reads.
    await t.s.request({ step: "read", path: "/admin/webservice/tokens.php" });
    const reading = t.s.request({ step: "read", path: READ.path });
    await slowRead.began;
    slowWrite.release();
    await writing;
    slowRead.release();
    await reading;
    await t.s.request(READ);
    expect(t.sent).toHaveLength(7);
  });

  test("a read that started after a write ended is remembered, though an earlier read still runs", async () => {
    const slowRead = held(ok(ADMIN_PAGE));
    const t = landedOn(slowRead.script, ok(""), ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const early = t.s.request({ step: "read", path: "/admin/webservice/tokens.php" });
    await slowRead.began;
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    await t.s.request({ step: "read", path: READ.path });
    await t.s.request(READ);
    expect(t.sent).toHaveLength(6);
    slowRead.release();
    await early;
  });

  test("ended writes are dropped once no read is running, so a long-lived client does not grow", async () => {
    const slowRead = held(ok(ADMIN_PAGE));
    const t = landedOn(slowRead.script, ok(""), ok(""));
    const seen = () => (t.s as unknown as { writesSeen: unknown[] }).writesSeen.length;
    await t.s.request({ step: "read", path: "/admin/search.php" });
    const reading = t.s.request({ step: "read", path: READ.path });
    await slowRead.began;
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    expect(seen()).toBe(1);
    slowRead.release();
    await reading;
    expect(seen()).toBe(0);
    await t.s.request({ step: "save", method: "POST", path: "/admin/settings.php", form: () => ({}) });
    expect(seen()).toBe(0);
  });

  test("a login forgets every remembered page", async () => {
    const t = landedOn(...login(), ok(ADMIN_PAGE));
    await t.s.request({ step: "read", path: READ.path });
    await t.s.forceRelogin();
    await t.s.request(READ);
    expect(t.paths().slice(3)).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", `GET ${READ.path}`]);
  });
});
