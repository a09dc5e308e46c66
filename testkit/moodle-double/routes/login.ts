// login/index.php (with the SSO hooks, alternateloginurl and the lockout), login/unlock_account.php,
// login/logout.php, login/change_password.php, /my/ and /.
import type { Express, Request, Response } from "express";
import { Session, randomString } from "../sessions";
import { alreadyLoggedInPage, changePasswordPage, dashboardPage, homePage, loginPage, logoutConfirmPage } from "../render/login";
import { DoubleContext, errorHtml, html, param, redirect, renderCtx, requireLogin, session, sesskeyOk, setSessionCookie, ssoLoginHook } from "./common";
import { languageAtLogin, pageLanguage, str } from "../lang";
import { coreConfig } from "../state";
import { AUTH_LOGIN_LOCKOUT, authenticateUserLogin, loginUnlockAccount } from "../auth";
import { paramBool } from "../sso";

/** $CFG->alternateloginurl, "" when unset. */
function alternateLoginUrl(d: DoubleContext): string {
  return coreConfig(d.store.state, "alternateloginurl") ?? "";
}

/**
 * login/index.php:321-344: `loginredirect` (default 1) unless a failure finds one in the session; kept in
 * the session. With alternateloginurl set and loginredirect on, 303 there (with ?errorcode= after a
 * failure); true when answered.
 */
function toAlternateLogin(d: DoubleContext, req: Request, res: Response, s: Session, errorcode: number): boolean {
  let loginredirect = paramBool(param(req, "loginredirect")) ?? 1;
  if (errorcode && s.loginredirect !== undefined) loginredirect = s.loginredirect;
  s.loginredirect = loginredirect;
  const alt = alternateLoginUrl(d);
  if (!alt || !loginredirect) return false;
  const url = new URL(alt, d.base() + "/");
  // Never come back to the alternate page itself after logging in.
  if (s.wantsurl && s.wantsurl.startsWith(url.toString())) s.wantsurl = undefined;
  if (errorcode) url.searchParams.set("errorcode", String(errorcode));
  redirect(d, res, url.toString());
  return true;
}

/** $SESSION->loginerrormsg / logininfomsg queued by an earlier request, taken once. */
function queuedMessages(s: Session): { error?: string; info?: string } | undefined {
  const { loginError: error, loginInfo: info } = s.flash;
  if (!error && !info) return undefined;
  s.flash.loginError = undefined;
  s.flash.loginInfo = undefined;
  return { error, info };
}

export function loginRoutes(app: Express, d: DoubleContext): void {
  app.get("/login/index.php", (req, res) => {
    const s = session(d, req, res, true)!;
    const testsession = param(req, "testsession");
    let error: string | undefined;
    let errorcode = 0;
    if (testsession !== undefined) {
      if (s.userId > 0 && String(s.userId) === testsession) {
        const to = s.wantsurl ?? "/my/";
        s.wantsurl = undefined;
        redirect(d, res, to);
        return;
      }
      error = str(pageLanguage(d.store.state, s), "cookiesenabled");
      errorcode = 1;
    }
    // Every enabled auth plugin's loginpage_hook(): auth_saml2 / auth_oidc may leave for the IdP.
    if (ssoLoginHook(d, req, res, s, false)) return;
    if (toAlternateLogin(d, req, res, s, errorcode)) return;
    const queued = queuedMessages(s);
    if (s.userId > 1) {
      html(res, 200, alreadyLoggedInPage(renderCtx(d, s)));
      return;
    }
    // The username field: ?username= (GET only), as login/index.php:350-355 fills it.
    const username = typeof req.query.username === "string" ? req.query.username : undefined;
    html(res, 200, loginPage(renderCtx(d, s), queued ? queued.error : error, { username, info: queued?.info }));
  });

  app.post("/login/index.php", (req, res) => {
    const s = session(d, req, res, true)!;
    // With an alternate login page the token is not checked (session manager::validate_login_token()).
    const tokenOk = !!alternateLoginUrl(d) || param(req, "logintoken") === s.logintoken;
    s.logintoken = randomString(32);
    const username = (param(req, "username") ?? "").trim().toLowerCase();
    const password = param(req, "password") ?? "";
    const attempt = authenticateUserLogin(d.store.state, username, password, tokenOk, d.now(), d.base());
    d.store.save();
    if (!attempt.userId) {
      failedLogin(d, req, res, s, username, attempt.reason);
      return;
    }
    const userId = attempt.userId;
    const loggedIn = d.store.state.users.find((u) => u.id === userId);
    if (loggedIn) languageAtLogin(s, loggedIn);
    // core_login_get_return_url(): where the user was going, else the dashboard; the testsession page
    // and a pending MFA check both send the user there.
    s.wantsurl ??= d.base() + "/my/";
    const ns = d.sessions.regenerate(s, userId);
    res.locals.lang = pageLanguage(d.store.state, ns);
    setSessionCookie(res, ns);
    res.append("Set-Cookie", "MOODLEID1_=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly");
    res.append("Set-Cookie", `MOODLEID1_=sodium%3A${encodeURIComponent(randomString(40))}; Max-Age=5184000; path=/; HttpOnly`);
    redirect(d, res, `/login/index.php?testsession=${userId}`);
  });

  /**
   * login/unlock_account.php: the lockout email's link. A good secret unlocks and says so on the next
   * login page (or goes home for the same user); anything else is lockouterrorunlock.
   */
  app.get("/login/unlock_account.php", (req, res) => {
    const s = session(d, req, res, true)!;
    s.wantsurl = d.base() + "/";
    const id = Number(param(req, "u") ?? 0);
    const user = d.store.state.users.find((u) => u.id === id && !u.deleted && !u.suspended);
    const secret = param(req, "s") ?? "";
    if (!user || !user.lockout?.secret || secret !== user.lockout.secret) {
      errorHtml(d, res, s, str(pageLanguage(d.store.state, s), "lockouterrorunlock"), "admin/lockouterrorunlock");
      return;
    }
    loginUnlockAccount(user);
    d.store.save();
    s.flash.loginInfo = str(pageLanguage(d.store.state, s), "accountunlocked");
    redirect(d, res, s.userId === user.id ? "/" : "/login/index.php");
  });

  const logout = (req: Request, res: Response) => {
    const s = session(d, req, res, false);
    if (!s || s.userId === 0) {
      redirect(d, res, "/");
      return;
    }
    if (!sesskeyOk(req, s)) {
      html(res, 200, logoutConfirmPage(renderCtx(d, s)));
      return;
    }
    d.sessions.destroy(s.id);
    const fresh = d.sessions.create();
    setSessionCookie(res, fresh);
    redirect(d, res, "/");
  };
  app.get("/login/logout.php", logout);
  app.post("/login/logout.php", logout);

  app.get("/login/change_password.php", (req, res) => {
    const a = requireLogin(d, req, res, true);
    if (!a) return;
    html(res, 200, changePasswordPage(renderCtx(d, a.s)));
  });

  app.post("/login/change_password.php", (req, res) => {
    const a = requireLogin(d, req, res, true);
    if (!a) return;
    const n1 = param(req, "newpassword1") ?? "";
    const ok =
      sesskeyOk(req, a.s) && param(req, "_qf__login_change_password_form") !== undefined && param(req, "password") === a.user.password && n1 !== "" && n1 === param(req, "newpassword2") && n1 !== a.user.password;
    if (!ok) {
      html(res, 200, changePasswordPage(renderCtx(d, a.s)));
      return;
    }
    a.user.password = n1;
    a.user.forcePasswordChange = false;
    d.store.save();
    const to = a.s.wantsurl ?? "/my/";
    a.s.wantsurl = undefined;
    redirect(d, res, to);
  });

  app.get("/my/", (req, res) => {
    const a = requireLogin(d, req, res, false);
    if (!a) return;
    html(res, 200, dashboardPage(renderCtx(d, a.s)));
  });

  app.get("/", (req, res) => {
    const s = session(d, req, res, true)!;
    html(res, 200, homePage(renderCtx(d, s)));
  });
}

/**
 * login/index.php after a refused POST: every cause reads "Invalid login" (errorcode 3) and goes through
 * the alternate login page when one applies; then a message already queued in the session (a locked
 * account's, set by authenticate_user_login()) is shown at once, 200, else the message is queued and the
 * browser sent back to the form.
 */
function failedLogin(d: DoubleContext, req: Request, res: Response, s: Session, username: string, reason: number): void {
  const lang = pageLanguage(d.store.state, s);
  if (reason === AUTH_LOGIN_LOCKOUT) s.flash.loginError = str(lang, "accountlocked");
  if (toAlternateLogin(d, req, res, s, 3)) return;
  const queued = queuedMessages(s);
  if (queued) {
    html(res, 200, loginPage(renderCtx(d, s), queued.error, { username, info: queued.info }));
    return;
  }
  s.flash.loginError = str(lang, "invalidlogin");
  redirect(d, res, `/login/index.php?loginredirect=${s.loginredirect ?? 1}`);
}
