// login/index.php, login/logout.php, login/change_password.php, /my/ and /.
import type { Express, Request, Response } from "express";
import { randomString } from "../sessions";
import { alreadyLoggedInPage, changePasswordPage, dashboardPage, homePage, loginPage, logoutConfirmPage } from "../render/login";
import { DoubleContext, html, param, redirect, renderCtx, requireLogin, session, sesskeyOk, setSessionCookie } from "./common";
import { languageAtLogin, pageLanguage, str } from "../lang";

export function loginRoutes(app: Express, d: DoubleContext): void {
  app.get("/login/index.php", (req, res) => {
    const s = session(d, req, res, true)!;
    const testsession = param(req, "testsession");
    if (testsession !== undefined) {
      if (s.userId > 0 && String(s.userId) === testsession) {
        const to = s.wantsurl ?? "/my/";
        s.wantsurl = undefined;
        redirect(d, res, to);
        return;
      }
      html(res, 200, loginPage(renderCtx(d, s), str(pageLanguage(d.store.state, s), "cookiesenabled")));
      return;
    }
    if (s.userId > 1) {
      html(res, 200, alreadyLoggedInPage(renderCtx(d, s)));
      return;
    }
    const error = s.flash.loginError;
    s.flash.loginError = undefined;
    html(res, 200, loginPage(renderCtx(d, s), error));
  });

  app.post("/login/index.php", (req, res) => {
    const s = session(d, req, res, true)!;
    const tokenOk = param(req, "logintoken") === s.logintoken;
    s.logintoken = randomString(32);
    const username = (param(req, "username") ?? "").trim().toLowerCase();
    const password = param(req, "password") ?? "";
    let userId = 0;
    if (tokenOk) {
      if (username === "guest" && password === "guest") userId = 1;
      const user = d.store.state.users.find((u) => u.username === username && u.password === password && !u.suspended);
      if (user) userId = user.id;
    }
    if (!userId) {
      // Moodle queues the message in the session's language and shows it on the next login page.
      s.flash.loginError = str(pageLanguage(d.store.state, s), "invalidlogin");
      redirect(d, res, "/login/index.php?loginredirect=1");
      return;
    }
    const loggedIn = d.store.state.users.find((u) => u.id === userId);
    if (loggedIn) languageAtLogin(s, loggedIn);
    const ns = d.sessions.regenerate(s, userId);
    res.locals.lang = pageLanguage(d.store.state, ns);
    setSessionCookie(res, ns);
    res.append("Set-Cookie", "MOODLEID1_=deleted; expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; path=/; HttpOnly");
    res.append("Set-Cookie", `MOODLEID1_=sodium%3A${encodeURIComponent(randomString(40))}; Max-Age=5184000; path=/; HttpOnly`);
    redirect(d, res, `/login/index.php?testsession=${userId}`);
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
