// Helpers shared by the route modules: sessions from cookies, redirects, params, admin gate.
import type { Request, Response } from "express";
import type { DoubleUser, StateStore } from "../state";
import { SESSION_COOKIE, Session, SessionStore } from "../sessions";
import { RenderCtx, errorPage } from "../render/layout";
import { pageLanguage, setupLanguage, str } from "../lang";
import { SsoRedirect, samlRedirectBody, ssoRedirect } from "../sso";

export interface DoubleContext {
  /** wwwroot, e.g. http://127.0.0.1:8080 (known once listening). */
  base(): string;
  store: StateStore;
  sessions: SessionStore;
  /** Unix seconds of the double's clock (testkit/moodle-double/clock.ts): MFA codes and the login lockout. */
  now(): number;
}

export function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

export function setSessionCookie(res: Response, s: Session): void {
  res.append("Set-Cookie", `${SESSION_COOKIE}=${s.id}; path=/; HttpOnly`);
}

/** Requests whose session already went through lib/setup.php's language handling. */
const languageSetUp = new WeakSet<Request>();

/**
 * The request's session; a new one (with Set-Cookie) when absent or expired and `create` is set. The
 * first call per request applies setup.php's ?lang= / ?forcelang= / browser language to it.
 */
export function session(d: DoubleContext, req: Request, res: Response, create = true): Session | undefined {
  const existing = d.sessions.get(cookie(req, SESSION_COOKIE));
  let s = existing;
  if (!s && create) {
    s = d.sessions.create();
    setSessionCookie(res, s);
  }
  if (s && !languageSetUp.has(req)) {
    languageSetUp.add(req);
    const body = typeof req.body === "object" && req.body ? (req.body as Record<string, unknown>) : undefined;
    setupLanguage(d.store.state, s, { method: req.method, query: req.query as Record<string, unknown>, body, acceptLanguage: req.headers["accept-language"] });
  }
  res.locals.lang = pageLanguage(d.store.state, s);
  return s;
}

export function userById(d: DoubleContext, id: number): DoubleUser | undefined {
  return d.store.state.users.find((u) => u.id === id);
}

export function renderCtx(d: DoubleContext, s?: Session): RenderCtx {
  const user = s && s.userId > 1 ? userById(d, s.userId) : undefined;
  return { base: d.base(), state: d.store.state, session: s, user, lang: pageLanguage(d.store.state, s) };
}

const NO_CACHE = {
  Expires: "Thu, 19 Nov 1981 08:52:00 GMT",
  "Cache-Control": "no-store, no-cache, must-revalidate",
  Pragma: "no-cache",
};

/** The page's language (set by session()) for Content-Language, as Moodle's send_headers() does. */
function language(res: Response): string {
  return typeof res.locals.lang === "string" ? res.locals.lang : "en";
}

export function html(res: Response, status: number, body: string): void {
  res.status(status);
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Language": language(res),
    "Cache-Control": "no-store, no-cache, must-revalidate, no-transform",
    Pragma: "no-cache",
    Expires: "Mon, 20 Aug 1969 09:23:00 GMT",
    "Accept-Ranges": "none",
    "X-Frame-Options": "sameorigin",
  });
  res.send(body);
}

export function errorHtml(d: DoubleContext, res: Response, s: Session | undefined, message: string, errorcode: string): void {
  const body = errorPage(renderCtx(d, s), message, errorcode);
  res.status(404);
  res.set({
    "Content-Type": "text/html; charset=utf-8",
    "Content-Language": language(res),
    "Cache-Control": "private, pre-check=0, post-check=0, max-age=0, no-transform",
    Pragma: "no-cache",
    Expires: "",
    "Accept-Ranges": "none",
    "X-Frame-Options": "sameorigin",
  });
  res.send(body);
}

/** Moodle redirect(): 303 with an absolute Location and a small "Redirect" page. */
export function redirect(d: DoubleContext, res: Response, pathOrUrl: string): void {
  const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : d.base() + pathOrUrl;
  res.status(303);
  res.set({ ...NO_CACHE, "Content-Type": "text/html; charset=utf-8", "X-Redirect-By": "Moodle", Location: url, "Content-Language": language(res) });
  res.send(
    `<!DOCTYPE html>\n<html  lang="en" xml:lang="en">\n    <head>\n        <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n                <title>Redirect</title>\n    </head>\n    <body>\n        <div id="page"><div id="redirect">This page should automatically redirect. If nothing is happening please use the continue link below.<br /><a href="${url.replace(
      /&/g,
      "&amp;",
    )}">Continue</a></div></div>\n    </body>\n</html>\n`,
  );
}

type Bag = Record<string, unknown> | undefined;

function last(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  if (v === undefined || v === null) return undefined;
  return String(v);
}

/** optional_param(): $_POST first, then $_GET; repeated keys behave like PHP (last one wins). */
export function param(req: Request, name: string): string | undefined {
  const body = (typeof req.body === "object" ? req.body : undefined) as Bag;
  const fromBody = body ? last(body[name]) : undefined;
  if (fromBody !== undefined) return fromBody;
  return last((req.query as Bag)?.[name]);
}

/** Array parameter such as addselect[]. */
export function paramArray(req: Request, name: string): string[] {
  const body = (typeof req.body === "object" ? req.body : undefined) as Bag;
  const v = body?.[name] ?? (req.query as Bag)?.[name];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

export function sesskeyOk(req: Request, s: Session | undefined): boolean {
  return !!s && param(req, "sesskey") === s.sesskey;
}

/**
 * The SSO plugins' login-page hook for this request (testkit/moodle-double/sso.ts); true when it answered with
 * their redirect. `pre` = require_login()'s pre_loginpage_hook.
 */
export function ssoLoginHook(d: DoubleContext, req: Request, res: Response, s: Session, pre: boolean): boolean {
  const query = req.query as Bag;
  const r = ssoRedirect(d.store.state, d.base(), s, { method: req.method, param: (n) => param(req, n), query: (n) => last(query?.[n]), url: d.base() + req.originalUrl, remoteIp: req.socket.remoteAddress ?? "" }, pre);
  if (!r) return false;
  answerSso(d, res, r);
  return true;
}

function answerSso(d: DoubleContext, res: Response, r: SsoRedirect): void {
  if (r.status === 303) {
    redirect(d, res, r.location);
    return;
  }
  res.status(302).set({ ...NO_CACHE, "Content-Type": "text/html; charset=utf-8", Location: r.location });
  res.send(samlRedirectBody(r.location));
}

/**
 * require_login(): the session and its user, or undefined after answering (303 to the login page, or to
 * an SSO plugin's IdP for a visitor who is not logged in, or to change_password.php unless `allowForced`).
 */
export function requireLogin(d: DoubleContext, req: Request, res: Response, allowForced = false): { s: Session; user: DoubleUser } | undefined {
  const s = session(d, req, res, true)!;
  const user = s.userId > 1 ? userById(d, s.userId) : undefined;
  if (!user || user.suspended) {
    if (req.method === "GET") s.wantsurl = d.base() + req.originalUrl;
    if (s.userId === 0 && ssoLoginHook(d, req, res, s, true)) return undefined;
    redirect(d, res, "/login/index.php");
    return undefined;
  }
  if (user.forcePasswordChange && !allowForced) {
    if (req.method === "GET") s.wantsurl = d.base() + req.originalUrl;
    redirect(d, res, "/login/change_password.php");
    return undefined;
  }
  return { s, user };
}

/** require_login() + site admin check for an admin page (404 permission error for others). */
export function requireAdmin(d: DoubleContext, req: Request, res: Response): { s: Session; user: DoubleUser } | undefined {
  const login = requireLogin(d, req, res);
  if (!login) return undefined;
  if (!login.user.siteAdmin) {
    errorHtml(d, res, login.s, str(pageLanguage(d.store.state, login.s), "nopermissions", "Change site configuration"), "nopermissions");
    return undefined;
  }
  return login;
}
