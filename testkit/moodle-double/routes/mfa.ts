// tool_mfa over HTTP: the gate every page with a session passes while MFA is pending (manager::require_auth()
// from the after_config hook, so before the page runs) and admin/tool/mfa/auth.php.
import type { Express, NextFunction, Request, Response } from "express";
import type { DoubleUser } from "../state";
import type { Session } from "../sessions";
import { DoubleContext, errorHtml, html, param, redirect, renderCtx, requireLogin, session, sesskeyOk, setSessionCookie, userById } from "./common";
import { cannotLoginPage, mfaLogoutConfirmPage, verificationPage } from "../render/mfa";
import { paramBool } from "../sso";
import { pageLanguage, str } from "../lang";
import { phpJson } from "../render/layout";
import {
  Factor,
  emailCodeIfDue,
  factorState,
  hasInput,
  incrementLockCounter,
  isFactor,
  lockoutThreshold,
  loginFactors,
  mfaOf,
  mfaReady,
  mfaStatus,
  nextLoginFactor,
  obfuscateEmail,
  setFactorState,
  setPassState,
  validateCode,
} from "../mfa";

export const MFA_AUTH_PATH = "/admin/tool/mfa/auth.php";

/** should_require_mfa()'s own list (get_no_redirect_urls(): core pages, factor_email's link page). */
const NO_REDIRECT = ["/login/logout.php", "/admin/tool/mfa/guide.php", "/login/confirm.php", "/admin/tool/mfa/factor/email/email.php"];

/** manager::REDIR_LOOP_THRESHOLD. */
const REDIR_LOOP_THRESHOLD = 5;

/**
 * Scripts that run lib/setup.php with the session: the double's pages are *.php or end in "/". Web
 * service servers (WS_SERVER) and login/token.php define NO_MOODLE_COOKIES, so MFA never sees them.
 */
function gatedScript(path: string): boolean {
  if (!(path.endsWith(".php") || path.endsWith("/"))) return false;
  return !path.startsWith("/webservice/") && path !== "/login/token.php" && path !== "/lib/ajax/service-nologin.php";
}

/** get_local_referer(true): this site's referer without its query, else "". */
function localReferer(d: DoubleContext, req: Request): string {
  const ref = req.headers.referer ?? "";
  const local = ref.startsWith(d.base() + "/") || ref === d.base() || ref.startsWith("/");
  return local ? ref.replace(/\?.*$/, "") : "";
}

/** tool_mfa/redir_exclusions: one URL per line, compared without parameters (a line with some never matches). */
function exclusions(d: DoubleContext): string[] {
  const lines = (d.store.state.pluginConfig.tool_mfa?.redir_exclusions ?? "").split(/\r|\n/);
  return lines
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.includes("?"))
    .map((l) => (l.startsWith(d.base()) ? l.slice(d.base().length) : l));
}

/** should_require_mfa(), from the checks the double has a use for (admins mid-upgrade, policies, login-as: none). */
function shouldRequireMfa(d: DoubleContext, req: Request, s: Session, user: DoubleUser): "none" | "redirect" | "exception" {
  if (user.forcePasswordChange) return "none";
  if (req.path === "/lib/ajax/service.php") return "exception";
  if (NO_REDIRECT.includes(req.path) || exclusions(d).includes(req.path)) return "none";
  // The redirect-loop detector: more than 5 gated requests in a row from the same referer.
  const m = mfaOf(s);
  const referer = localReferer(d, req);
  if (m.redirReferer !== undefined && m.redirReferer !== MFA_AUTH_PATH) {
    if (m.redirReferer === referer) {
      m.redirCount = (m.redirCount ?? 0) + 1;
      if (m.redirCount > REDIR_LOOP_THRESHOLD) return "exception";
    } else {
      m.redirCount = 0;
    }
  }
  m.redirReferer = referer;
  return req.path === MFA_AUTH_PATH ? "none" : "redirect";
}

/**
 * moodle_exception('redirecterrordetected') thrown inside setup.php, so bootstrap_renderer::early_error()
 * answers: JSON with status 200 for an AJAX script, a plain 500 page for any other.
 */
function redirectErrorDetected(d: DoubleContext, req: Request, res: Response, s: Session): void {
  const referer = s.mfa?.redirReferer;
  const message = referer ? str("en", "tool_mfa/redirecterrordetected", referer) : str("en", "redirecterrordetected");
  if (req.path === "/lib/ajax/service.php") {
    res.status(200).set("Content-Type", "application/json; charset=utf-8");
    res.send(phpJson({ error: message, stacktrace: null, debuginfo: null, errorcode: "redirecterrordetected" }));
    return;
  }
  res.status(500).set({ "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store, no-cache, must-revalidate", Pragma: "no-cache" });
  res.send(`<!DOCTYPE html>\n<html>\n    <head>\n        <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n        <title>Error</title>\n    </head>\n    <body>\n<div class='alert-danger'>${message}</div>    </body>\n</html>\n`);
}

/**
 * manager::resolve_mfa_status(): true when it answered. A pass goes to wantsurl once the session was sent
 * to auth.php; a failure shows "Unable to authenticate" (from auth.php only); a pending state with
 * `reload` goes to auth.php.
 */
function resolveMfaStatus(d: DoubleContext, req: Request, res: Response, s: Session, user: DoubleUser, reload: boolean): boolean {
  const status = mfaStatus(d.store.state, s, user);
  const m = mfaOf(s);
  if (status === "pass") {
    setPassState(d.store.state, s, user);
    d.store.save();
    if (!m.redirected) return false;
    const to = s.wantsurl || "/";
    s.wantsurl = undefined;
    redirect(d, res, to);
    return true;
  }
  if (status === "fail") {
    if (req.path !== MFA_AUTH_PATH) redirect(d, res, MFA_AUTH_PATH);
    else html(res, 200, cannotLoginPage(renderCtx(d, s)));
    m.redirected = true;
    return true;
  }
  if (!reload) return false;
  m.redirected = true;
  redirect(d, res, MFA_AUTH_PATH);
  return true;
}

/** manager::require_auth() on every page with a logged-in (non-guest) session. */
export function mfaGate(d: DoubleContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!gatedScript(req.path)) return next();
    const s = session(d, req, res, false);
    const user = s && s.userId > 1 ? userById(d, s.userId) : undefined;
    if (!s || !user) return next();
    // Not ready: the session counts as authenticated, so enabling MFA later does not gate it.
    if (!mfaReady(d.store.state)) {
      mfaOf(s).authenticated = true;
      return next();
    }
    if (s.mfa?.authenticated) return next();
    const verdict = shouldRequireMfa(d, req, s, user);
    if (verdict === "none") return next();
    if (verdict === "exception") return redirectErrorDetected(d, req, res, s);
    // From the hook wantsurl is the front page, not the page asked for, when none was set before.
    if (!s.wantsurl) s.wantsurl = d.base() + "/";
    if (!resolveMfaStatus(d, req, res, s, user, true)) next();
  };
}

/** PARAM_ALPHA. */
const alpha = (v: string | undefined) => (v ?? "").replace(/[^a-zA-Z]/g, "");

/**
 * auth.php:80-92: `factorname` when that factor takes input and is still unknown, else the form's
 * `factor`, else the next factor to ask. Names of factors the double does not model are ignored.
 */
function pickFactor(d: DoubleContext, req: Request, s: Session, user: DoubleUser): Factor | undefined {
  const picked = alpha(param(req, "factorname"));
  if (isFactor(picked) && hasInput(user, picked) && factorState(s, user, picked) === "unknown") return picked;
  const fromForm = alpha(param(req, "factor"));
  if (isFactor(fromForm)) return fromForm;
  return nextLoginFactor(d.store.state, s, user);
}

/** auth.php?logout=1: a confirmation without a good sesskey, else mfa_logout() and wantsurl (or the front page). */
function mfaLogout(d: DoubleContext, req: Request, res: Response, s: Session): void {
  if (!sesskeyOk(req, s)) {
    html(res, 200, mfaLogoutConfirmPage(renderCtx(d, s)));
    return;
  }
  const to = s.wantsurl || d.base() + "/";
  d.sessions.destroy(s.id);
  setSessionCookie(res, d.sessions.create());
  redirect(d, res, to);
}

interface Submission {
  error?: string;
  counter?: number;
  /** The code as posted: a refused code is shown again in the field (recorded g08: value="000000"). */
  value?: string;
}

/** moodleform::_process_submission(): the form's marker in the POST body (== 1). */
function submitted(req: Request): boolean {
  const body = typeof req.body === "object" && req.body ? (req.body as Record<string, unknown>) : {};
  return req.method === "POST" && body._qf__tool_mfa_local_form_login_form === "1";
}

/**
 * auth.php:95-124 for a posted form: a refused code counts toward the factor's lockout; an accepted one
 * passes the factor. Undefined when the request was answered.
 */
function submit(d: DoubleContext, req: Request, res: Response, s: Session, user: DoubleUser, factor: Factor): Submission | undefined {
  const posted = param(req, "verificationcode") ?? "";
  const code = posted.replace(/[^a-zA-Z0-9]/g, "");
  const error = validateCode(d.store.state, user, factor, code, d.now());
  if (error) {
    const counter = incrementLockCounter(d.store.state, s, user, factor);
    d.store.save();
    return resolveMfaStatus(d, req, res, s, user, false) ? undefined : { error, counter, value: posted };
  }
  d.store.save();
  setFactorState(s, user, factor, "pass");
  return resolveMfaStatus(d, req, res, s, user, true) ? undefined : {};
}

/** renderer::verification_form(): the error gets "You have N attempts left." and no attempt left freezes the field. */
function renderForm(d: DoubleContext, res: Response, s: Session, user: DoubleUser, factor: Factor, result: Submission): void {
  const lockout = lockoutThreshold(d.store.state);
  const remaining = result.counter === undefined ? lockout : lockout - result.counter;
  // The form template prints the error unescaped ({{{error}}}), the &nbsp; included.
  let errorHtml = result.error;
  if (errorHtml && remaining < lockout) errorHtml += "&nbsp;" + str("en", "tool_mfa/lockoutnotification", remaining);
  const others = loginFactors(d.store.state, user)
    .filter((f) => f !== factor)
    .map((f) => ({ factor: f, locked: factorState(s, user, f) === "locked" }));
  const descArg = factor === "email" ? obfuscateEmail(user.email) : undefined;
  html(res, 200, verificationPage(renderCtx(d, s), { factor, others, errorHtml, value: result.value, frozen: remaining <= 0, descArg }));
}

export function mfaRoutes(app: Express, d: DoubleContext): void {
  const handler = (req: Request, res: Response) => {
    const a = requireLogin(d, req, res, false);
    if (!a) return;
    const { s, user } = a;
    if (paramBool(param(req, "logout"))) return mfaLogout(d, req, res, s);
    if (resolveMfaStatus(d, req, res, s, user, false)) return;
    delete mfaOf(s).redirReferer;
    delete mfaOf(s).redirCount;
    const factor = pickFactor(d, req, s, user);
    if (!factor) {
      // The fallback factor has no form of its own (Moodle renders a broken one); only reachable with
      // MFA passed or not ready, so the double sends the session on.
      redirect(d, res, s.wantsurl || "/");
      return;
    }
    const posted = submitted(req);
    // A bad sesskey throws while the form is built: nothing is counted and no code is emailed.
    if (posted && !sesskeyOk(req, s)) {
      errorHtml(d, res, s, str(pageLanguage(d.store.state, s), "invalidsesskey"), "invalidsesskey");
      return;
    }
    // The email factor mails a code whenever its form is finalised, to check a code as much as to show it.
    if (factor === "email") {
      emailCodeIfDue(d.store.state, user, d.now(), d.base());
      d.store.save();
    }
    let result: Submission = {};
    if (posted) {
      const r = submit(d, req, res, s, user, factor);
      if (!r) return;
      result = r;
    }
    renderForm(d, res, s, user, factor, result);
  };
  app.get(MFA_AUTH_PATH, handler);
  app.post(MFA_AUTH_PATH, handler);
}
