// Page shell shared by all HTML pages: <title>, inline M.cfg, user menu logout link, region-main, footer.
import type { DoubleState, DoubleUser } from "../state";
import type { Session } from "../sessions";
import { VERSIONS, VersionInfo } from "../versions";
import { str } from "../lang";
import type { StringId } from "../lang-strings";

export interface RenderCtx {
  /** wwwroot, no trailing slash. */
  base: string;
  state: DoubleState;
  session?: Session;
  user?: DoubleUser;
  /** The page's language (testkit/moodle-double/lang.ts pageLanguage); "en" when absent. */
  lang?: string;
}

/** The page's language code. */
export function langOf(ctx: RenderCtx): string {
  return ctx.lang ?? "en";
}

/** get_string() in the page's language. */
export function t(ctx: RenderCtx, id: StringId, a?: string | number): string {
  return str(langOf(ctx), id, a);
}

export function vinfo(ctx: RenderCtx): VersionInfo {
  return VERSIONS[ctx.state.moodleVersion] ?? VERSIONS["5.0"];
}

export function esc(s: string | number): string {
  return String(s)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#039;");
}

/** PHP json_encode defaults: "/" escaped, non-ASCII as \uXXXX. */
export function phpJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/\//g, "\\/")
    .replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** Bootstrap 4 (4.5) vs 5 (5.0) spellings. */
export function bs(ctx: RenderCtx) {
  const b4 = vinfo(ctx).bs4;
  return {
    hidden: b4 ? "sr-only" : "visually-hidden",
    data: (name: string) => (b4 ? `data-${name}` : `data-bs-${name}`),
    select: b4 ? "custom-select" : "form-select",
    tableClass: (cls: string) => (b4 ? cls.replace(/ table table-hover$/, "") : cls),
    closeButton: b4
      ? `    <button type="button" class="btn-close" data-dismiss="alert">\n        <span aria-hidden="true">&times;</span>\n        <span class="sr-only">${t(ctx, "dismissnotification")}</span>\n    </button>`
      : `    <button type="button" class="btn-close" data-bs-dismiss="alert">\n        <span class="visually-hidden">${t(ctx, "dismissnotification")}</span>\n    </button>`,
  };
}

export function notification(ctx: RenderCtx, kind: "success" | "danger" | "info" | "warning", text: string, dismissible = true): string {
  if (!dismissible) {
    return `<div class="alert alert-${kind} alert-block fade in  "  role="alert" data-aria-autofocus="true">\n    ${text}\n</div>`;
  }
  return `<div class="alert alert-${kind} alert-block fade in  alert-dismissible"  role="alert" data-aria-autofocus="true">\n    ${text}\n${bs(ctx).closeButton}\n</div>`;
}

const THEMEREV = "1795770578";

function mcfg(ctx: RenderCtx, contextid: number): string {
  const cfg = {
    wwwroot: ctx.base,
    apibase: `${ctx.base}/r.php/api`,
    homeurl: {},
    sesskey: ctx.session?.sesskey ?? "",
    sessiontimeout: "28800",
    sessiontimeoutwarning: "1200",
    themerev: THEMEREV,
    slasharguments: 1,
    theme: "boost",
    iconsystemmodule: "core/icon_system_fontawesome",
    jsrev: THEMEREV,
    admin: "admin",
    svgicons: true,
    usertimezone: ctx.state.site.timezone,
    language: langOf(ctx),
    courseId: 1,
    courseContextId: 2,
    contextid: contextid,
    contextInstanceId: contextid === 5 ? 2 : 0,
    langrev: Number(THEMEREV),
    templaterev: THEMEREV,
    siteId: 1,
    userId: ctx.session?.userId ?? 0,
  };
  return `M.cfg = ${phpJson(cfg)};`;
}

export interface PageOptions {
  /** Left part of the title; " | <site shortname>" is appended. */
  title: string;
  bodyId: string;
  bodyClass?: string;
  /** Inside #user-notifications. */
  notifications?: string;
  /** Inside div[role=main], after span#maincontent. */
  main: string;
  /** Login page layout (no user menu, no version footer). */
  login?: boolean;
  contextid?: number;
  /** Extra inline script after the page (4.5 showhidesettings init). */
  footerJs?: string;
}

export function page(ctx: RenderCtx, o: PageOptions): string {
  const v = vinfo(ctx);
  const b = bs(ctx);
  const loggedIn = !!ctx.session && ctx.session.userId > 1 && !!ctx.user;
  const logout = ctx.session ? `${ctx.base}/login/logout.php?sesskey=${ctx.session.sesskey}` : "";
  const fullname = ctx.user ? `${ctx.user.firstname} ${ctx.user.lastname}` : "";
  const usermenu = loggedIn
    ? `<div class="usermenu"><div class="dropdown show">
    <a href="#" role="button" id="user-menu-toggle" ${b.data("toggle")}="dropdown" aria-label="${esc(t(ctx, "usermenu"))}" aria-haspopup="true" aria-controls="user-action-menu" aria-expanded="false">${esc(fullname)}</a>
    <div id="user-action-menu" class="dropdown-menu ${v.bs4 ? "dropdown-menu-right" : "dropdown-menu-end"}">
        <div id="usermenu-carousel" class="carousel slide" data-touch="false" data-interval="false" data-keyboard="false">
            <div class="carousel-inner">
                <div id="carousel-item-main" class="carousel-item active" role="menu" tabindex="-1" aria-label="User">
                    <a href="${ctx.base}/user/profile.php" class="dropdown-item" role="menuitem" tabindex="-1">${t(ctx, "profile")}</a>
                    <div class="dropdown-divider"></div>
                    <a href="${logout}" class="dropdown-item" role="menuitem" tabindex="-1">${t(ctx, "logout")}</a>
                </div>
            </div>
        </div>
    </div>
</div></div>`
    : `<div class="usermenu"><span class="login ps-2">${t(ctx, "loggedinnot")}</span></div>`;
  const logininfo = loggedIn
    ? `${t(ctx, "loggedinas", `<a href="${ctx.base}/user/profile.php?id=${ctx.user!.id}"${v.bs4 ? ' title="View profile"' : ""}>${esc(fullname)}</a>`)} (<a href="${logout}">${t(ctx, "logout")}</a>)`
    : t(ctx, "loggedinnot");
  // Moodle's redirect notifications are queued in the session and shown by the next page that prints a header.
  let notifications = o.notifications ?? "";
  if (!o.login && ctx.session?.flash.changesSaved) {
    ctx.session.flash.changesSaved = undefined;
    notifications = notification(ctx, "success", t(ctx, "changessaved")) + notifications;
  }
  const region = o.login
    ? `<div id="region-main-box" class="col-12">
                <${v.bs4 ? 'section id="region-main" class="col-12 h-100" aria-label="Content"' : 'div id="region-main" class="col-12 h-100"'}>
                <div class="login-wrapper">
                    <div class="login-container">
                    <div role="main"><span id="maincontent"></span>${o.main}</div>
                    </div>
                </div>
                </${v.bs4 ? "section" : "div"}>
            </div>`
    : `<div id="region-main-box">
                    <${v.bs4 ? 'section id="region-main" aria-label="Content"' : 'div id="region-main"'}>
                        <span class="notifications" id="user-notifications">${notifications}</span>
                        <div role="main"><span id="maincontent"></span>${o.main}</div>
                    </${v.bs4 ? "section" : "div"}>
                </div>`;
  const versionFooter = o.login
    ? ""
    : `
                <div class="footer-section p-3">
                    <div>${t(ctx, "poweredbymoodle")}</div>
                        <div>
                            ${t(ctx, "version")} ${esc(v.release === ctx.state.release ? v.release : ctx.state.release)}
                        </div>
                </div>`;
  return `<!DOCTYPE html>

<html  dir="ltr" lang="${langOf(ctx)}" xml:lang="${langOf(ctx)}">
<head>
    <title>${esc(o.title)} | ${esc(ctx.state.site.shortname)}</title>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
    <meta name="moodle-double" content="1" />
<script>
//<![CDATA[
var M = {}; M.yui = {};
M.pageloadstarttime = new Date();
${mcfg(ctx, o.contextid ?? 1)}
//]]>
</script>
</head>
<body  id="${o.bodyId}" class="${o.bodyClass ?? ""}">
<div id="page-wrapper" class="d-print-block">
    <nav class="navbar fixed-top ${v.bs4 ? "navbar-light bg-white" : "bg-body"} navbar-expand" aria-label="Site navigation">
        <a href="${ctx.base}/" class="navbar-brand d-none d-md-flex align-items-center m-0 me-4 p-0 aabtn">${esc(ctx.state.site.shortname)}</a>
        <div id="usernavigation" class="navbar-nav ms-auto h-100">
            ${usermenu}
        </div>
    </nav>
    <div id="page" data-region="mainpage" data-usertour="scroller" class="drawers">
        <div id="topofscroll" class="main-inner">
            <div id="page-content" class="pb-3 d-print-block">
                ${region}
            </div>
        </div>
        <footer id="page-footer" class="footer-popover bg-white">
            <div class="footer-content-popover container" data-region="footer-content-popover">
                <div class="footer-section p-3 border-bottom">
                    <div class="logininfo">
                        <div class="logininfo">${logininfo}</div>
                    </div>
                </div>${versionFooter}
            </div>
        </footer>
    </div>
</div>${o.footerJs ? `\n<script>\n//<![CDATA[\n${o.footerJs}\n//]]>\n</script>` : ""}
</body></html>
`;
}

/**
 * Moodle error page: HTTP 404, <title>Error | shortname</title>, p.errormessage. `errorcode` is the
 * string id, of core unless given as "<module>/<id>" (the documentation link names the module).
 */
export function errorPage(ctx: RenderCtx, message: string, errorcode: string, bodyId = "page-admin"): string {
  const v = vinfo(ctx);
  const doc = errorcode.includes("/") ? errorcode : `moodle/${errorcode}`;
  const main = `<div data-rel="fatalerror" class="box py-3 errorbox alert alert-danger"><p class="errormessage">${esc(message)}</p><p class="errorcode"><a href="https://docs.moodle.org/${v.docs}/${langOf(ctx)}/error/${doc}">${t(ctx, "moreinformation")}</a></p></div><div class="continuebutton">
    <form method="get" action="${ctx.base}/" >
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >${t(ctx, "continue")}</button>
    </form>
</div>`;
  return page(ctx, { title: t(ctx, "error"), bodyId, bodyClass: "format-site admin path-admin pagelayout-admin", main });
}

let buttonCounter = 0;
export function singleButtonId(): string {
  buttonCounter++;
  return `6b0${Date.now().toString(16).slice(-7)}${buttonCounter}`;
}

/** Moodle's userdate() for the two formats seen in the token report. */
export function userDate(unixSeconds: number, timezone: string, withWeekday: boolean): string {
  const d = new Date(unixSeconds * 1000);
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "numeric",
    minute: "2-digit",
    hour12: true,
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const ampm = get("dayPeriod").toUpperCase().replace(/\./g, "");
  const hour = String(Number(get("hour")) || 12);
  const body = `${get("day")} ${get("month")} ${get("year")}, ${hour}:${get("minute")} ${ampm}`;
  return withWeekday ? `${get("weekday")}, ${body}` : body;
}

/** Offset (ms) of `timezone` from UTC at instant `utcMs`. */
function tzOffsetMs(utcMs: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(utcMs));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return asUtc - utcMs;
}

/** Midnight of a calendar date in `timezone`, as unix seconds (mktime semantics: day overflow rolls over). */
export function midnightIn(year: number, month: number, day: number, timezone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const off = tzOffsetMs(guess, timezone);
  const t = guess - off;
  const off2 = tzOffsetMs(t, timezone);
  return Math.floor((guess - off2) / 1000);
}

/** Calendar date (y, m, d) of an instant in `timezone`. */
export function dateIn(unixSeconds: number, timezone: string): { year: number; month: number; day: number } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: timezone, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(
    new Date(unixSeconds * 1000),
  );
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return { year: n("year"), month: n("month"), day: n("day") };
}
