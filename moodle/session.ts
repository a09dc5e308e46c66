// The logged-in admin session: login with the form's logintoken, sesskey and user id from M.cfg,
// and one transparent re-login when Moodle answers an admin page with "go to the login page".
import type { MoodleConnection, MoodleVersion, SessionInfo } from "./types";
import { Form, HttpResponse, MoodleHttp } from "./http";
import {
  MoodleAccountLockedError,
  MoodleError,
  MoodleForcedPageError,
  MoodleLoginError,
  MoodleMfaError,
  MoodleSessionError,
  MoodleTransportError,
  stripQuery,
} from "./errors";
import { registerSecret } from "./redact";
import { parseErrorPage, parseMCfg } from "./parsers/common";
import { parseVersion } from "./parsers/version";
import { LOGIN_PATH, submitPassword } from "./login";
import { AUTOMATABLE_FACTORS, answerTotp, isMfaPage } from "./mfa";
import type { CodeLedger } from "./codeLedger";
import type { CarriedPage, CarriedRefusal, SessionCarry } from "./sessionCarry";

export interface SessionState extends SessionInfo {
  /**
   * From M.cfg of the first page read after login (every logged-in page carries it); undefined until
   * then. The login itself ends at the POST's redirect, which already names the user id.
   */
  sesskey?: string;
  /** The release shown to admins in the landing page's footer, when it is there (saves a page read). */
  landingVersion?: MoodleVersion;
}

/** Checks the first page read after each login before its reader sees it (the client refuses unsupported releases). */
export type LandingCheck = (version: MoodleVersion | undefined) => Promise<void>;

export interface PageRequest {
  step: string;
  method?: "GET" | "POST";
  /** A function when the URL itself carries the sesskey (protocols.php toggles, lib/ajax). */
  path: string | ((sesskey: string) => string);
  json?: unknown;
  /** Built per attempt so a retry after re-login carries the new sesskey. */
  form?: (sesskey: string) => Form;
  idempotent?: boolean;
  /** Follow same-site redirects (default: GET yes, POST no — the POST's 303 target is part of its answer). */
  follow?: boolean;
  /**
   * A page this client read since its last write will do: for the check right before a write, whose
   * outcome is read back from Moodle anyway. Other reads always go to Moodle.
   */
  reuse?: boolean;
  /**
   * For a write: the pages it can change (site paths; a path without a query also covers its queries),
   * so remembered pages of other admin pages stay usable. Default: every page.
   */
  invalidates?: string[];
}

/** Whether a write with this scope can change the page at `path`. */
export function affects(scope: string[] | undefined, path: string): boolean {
  if (!scope) return true;
  return scope.some((p) => path === p || path.startsWith(p.includes("?") ? `${p}&` : `${p}?`));
}

export interface Page {
  status: number;
  body: string;
  /** Site-relative path of the last response (after followed redirects). */
  path: string;
  /** Site-relative redirect target when the last response was a redirect that was not followed. */
  location?: string;
  response: HttpResponse;
}

/** Where Moodle sends an admin after login (core_login_get_return_url without a wantsurl). */
const DASHBOARD_PATH = "/my/";

function pathOf(req: PageRequest): string {
  return typeof req.path === "function" ? stripQuery(req.path("")) : req.path;
}
const MAX_HOPS = 6;
/**
 * How long a remembered page answers a repeated read. Reads repeat within one operation (check, then
 * write); the bound keeps a long-lived process from ever serving a page older than this.
 */
export const PAGE_MEMO_MS = 10_000;

/** A plain page read: a GET of a fixed path that follows redirects. Anything else may change the site. */
function isPlainRead(req: PageRequest): req is PageRequest & { path: string } {
  return (req.method ?? "GET") === "GET" && typeof req.path === "string" && req.follow !== false;
}

/** Scripts Moodle sends a user to before anything else (the query does not matter). */
const FORCED_SCRIPTS = new Map([
  ["/login/change_password.php", "change password (the account must set a new password first)"],
  ["/user/policy.php", "site policy agreement"],
  ["/user/edit.php", "complete the user profile"],
  ["/user/editadvanced.php", "complete the user profile"],
  ["/admin/upgradesettings.php", "new admin settings to review (admin/upgradesettings.php)"],
  ["/admin/index.php", "pending Moodle upgrade (admin/index.php)"],
  ["/admin/", "pending Moodle upgrade (admin/index.php)"],
  ["/admin/environment.php", "pending Moodle upgrade (admin/index.php)"],
]);
/** Plugins that force their own pages (every page under the folder). */
const FORCED_FOLDERS = new Map([
  ["/admin/tool/mfa/", "multi-factor authentication"],
  ["/admin/tool/policy/", "site policy agreement"],
]);

/** Pages Moodle forces on a user before anything else; the client cannot get past them. */
export function forcedPageFor(sitePath: string): string | undefined {
  const p = stripQuery(sitePath);
  return FORCED_SCRIPTS.get(p) ?? [...FORCED_FOLDERS].find(([folder]) => p.startsWith(folder))?.[1];
}

/** The error for a forced page: what it is, and for the MFA page what the stack config can do about it. */
function forcedPageError(step: string, path: string, target: string, forced: string, when: "after login" | ""): MoodleForcedPageError {
  const lead = when ? `${when} ` : "";
  if (isMfaPage(target)) {
    return new MoodleForcedPageError(
      step,
      path,
      forced,
      `${lead}Moodle asks the admin for a second factor (multi-factor authentication, ${stripQuery(target)}), and no moodle:adminTotpSecret is set; ` +
        `${AUTOMATABLE_FACTORS}`,
    );
  }
  return new MoodleForcedPageError(step, path, forced, `${lead}Moodle sends the admin to "${forced}" at ${stripQuery(target)}; finish that in a browser first`);
}

/** A refused login as the run's later processes get it (moodle/sessionCarry.ts). */
function refusalOf(e: MoodleLoginError): CarriedRefusal {
  const kind = e instanceof MoodleAccountLockedError ? "locked" : e instanceof MoodleMfaError ? "mfa" : "password";
  return { kind, step: e.step, path: e.path, detail: e.detail };
}

/** The same error again, in a later process of the run. */
function refusedLogin(r: CarriedRefusal): MoodleLoginError {
  const Refused = r.kind === "locked" ? MoodleAccountLockedError : r.kind === "mfa" ? MoodleMfaError : MoodleLoginError;
  return new Refused(r.step, r.path, r.detail);
}

/** A page as the session carry keeps it: the answer's body is the page's, so it is carried once (pages are 100-300 KB, kept after every change). */
function carriable(page: Page): Page {
  return { ...page, response: { ...page.response, body: "" } };
}

/** A carried page whole again. */
function uncarried(page: Page): Page {
  return { ...page, response: { ...page.response, body: page.body } };
}

export class MoodleSession {
  private current?: SessionState;
  private pending?: Promise<SessionState>;
  /** Bumped per login so concurrent callers that saw the same expiry log in only once. */
  private generation = 0;
  /**
   * Moodle checked the password and refused it. Kept for the client's lifetime: every later login fails
   * fast with this error, so a run costs one failed login (lockout policies count them), however many
   * resources and retries follow.
   */
  private rejected?: MoodleLoginError;
  /**
   * Pages read since this client's last write to them, so the check before a write costs no request
   * when the operation has just read the same page. A write (POST, or a GET carrying the sesskey)
   * forgets the pages it can change (PageRequest.invalidates; all by default), a login forgets them all,
   * and a read that overlapped a write that can change it is not remembered.
   */
  private readonly memo = new Map<string, { page: Page; at: number }>();
  /** Writes that are running, or ended while a read was running: a read they overlapped is not remembered. */
  private readonly writesSeen: { scope?: string[]; ended: boolean }[] = [];
  private readsInFlight = 0;
  private landingCheck?: LandingCheck;

  constructor(
    readonly http: MoodleHttp,
    private readonly conn: Pick<MoodleConnection, "username" | "password" | "totpKey">,
    private readonly log: (msg: string) => void = () => undefined,
    /** The TOTP steps this machine spent (moodle/codeLedger.ts); asked for only when a key is set. */
    private readonly codeLedger?: () => CodeLedger,
    /** The session other processes of this run logged in with (moodle/sessionCarry.ts). */
    private readonly carry?: SessionCarry,
  ) {
    registerSecret(conn.password);
    registerSecret(conn.totpKey);
  }

  get username(): string {
    return this.conn.username;
  }

  async ensure(): Promise<SessionState> {
    if (this.current) return this.current;
    return this.relogin(this.generation);
  }

  /** Run on the first page after every login, before anyone parses it. */
  onLanding(check: LandingCheck): void {
    this.landingCheck = check;
  }

  /** The session with its sesskey: reads the dashboard when no page was read since the login. */
  async landed(): Promise<SessionState> {
    const state = await this.ensure();
    if (state.sesskey !== undefined) return state;
    const gen = this.generation;
    const page = await this.landing(DASHBOARD_PATH);
    await this.land(page, gen);
    return this.current ?? this.ensure();
  }

  /** Takes sesskey and release from a page read as this session's first; refuses a page without the logged-in user. */
  private async land(page: Page, gen: number): Promise<void> {
    const state = this.current;
    if (!state || state.sesskey !== undefined || gen !== this.generation) return;
    const cfg = parseMCfg(page.body);
    if (!cfg) return; // not an HTML page (an AJAX answer): the next page lands
    if (!cfg.userId) throw new MoodleSessionError("log in", page.path, `landed on a page without a logged-in user (HTTP ${page.status})`);
    const landingVersion = parseVersion(page.body);
    this.current = { ...state, sesskey: cfg.sesskey, landingVersion };
    await this.landingCheck?.(landingVersion);
    this.keepForRun(this.current);
  }

  /** The cookies of the carried session this client last took over: the one to skip when Moodle has dropped it. */
  private takenCookies?: string;

  /**
   * Hands the session to the run's next process (the update pass of a `pulumi up`), with the pages
   * remembered now: there they answer the check right before a write as they would here, within the
   * same PAGE_MEMO_MS of their read, so a first `up`'s update pass does not read again what its
   * preview pass's preflight read seconds ago. Kept again whenever the remembered pages change, so a
   * write forgets its pages for the run's later processes too.
   */
  private keepForRun(state: SessionState): void {
    if (!this.carry) return;
    const now = Date.now();
    const pages: CarriedPage<Page>[] = [];
    for (const [path, m] of this.memo) if (now - m.at < PAGE_MEMO_MS) pages.push({ path, at: m.at, page: carriable(m.page) });
    this.carry.keep({ cookies: this.http.exportCookies(), userId: state.userId, sesskey: state.sesskey, landingVersion: state.landingVersion, pages });
  }

  /** The remembered pages changed: the run's next process takes them as they are now (a landed session only). */
  private memoChanged(): void {
    if (this.current?.sesskey !== undefined) this.keepForRun(this.current);
  }

  /** The session another process of this run logged in with, unless it is the one that just turned out gone. */
  private takeOverRunSession(): SessionState | undefined {
    const carried = this.carry?.take();
    if (!carried) return undefined;
    const cookies = JSON.stringify(carried.cookies);
    if (cookies === this.takenCookies || !this.http.importCookies(carried.cookies)) return undefined;
    this.takenCookies = cookies;
    const now = Date.now();
    for (const p of (carried.pages ?? []) as CarriedPage<Page>[]) if (now - p.at < PAGE_MEMO_MS) this.memo.set(p.path, { page: uncarried(p.page), at: p.at });
    this.log(`using the session this run logged in with (user id ${carried.userId}): no login`);
    return { userId: carried.userId, sesskey: carried.sesskey, landingVersion: carried.landingVersion };
  }

  /** Logs in unless another caller already did so after generation `seen`. */
  private relogin(seen: number): Promise<SessionState> {
    if (this.rejected) return Promise.reject(this.rejected);
    if (this.generation !== seen && this.current) return Promise.resolve(this.current);
    if (!this.pending) {
      this.current = undefined;
      this.memo.clear();
      this.pending = this.login()
        .then((s) => {
          this.current = s;
          // Stryker disable next-line UpdateOperator: generations are only compared for equality; counting down changes nothing.
          this.generation++;
          return s;
        })
        .finally(() => {
          this.pending = undefined;
        });
    }
    return this.pending;
  }

  /** Requests an admin page as the logged-in user; re-logs in once when the session turns out to be gone. */
  async request(req: PageRequest): Promise<Page> {
    if (!isPlainRead(req)) {
      const write = { scope: req.invalidates, ended: false };
      this.writesSeen.push(write);
      this.forget(write.scope);
      try {
        return await this.send(req);
      } finally {
        write.ended = true;
        this.forget(write.scope);
        this.prune();
      }
    }
    // Taking over the run's session (no request) also takes the pages its processes read.
    if (req.reuse && !this.current) await this.ensure();
    const hit = req.reuse ? this.memo.get(req.path) : undefined;
    if (hit && Date.now() - hit.at < PAGE_MEMO_MS) return hit.page;
    // Only writes that ended before the read started cannot have changed it behind Moodle's answer: one
    // running at the start may land after Moodle answered, even when it ends first. (No pruning while a read runs.)
    const endedBefore = this.writesSeen.filter((w) => w.ended);
    this.readsInFlight++;
    try {
      const page = await this.send(req);
      const overlapped = this.writesSeen.some((w) => !endedBefore.includes(w) && affects(w.scope, req.path));
      if (page.status === 200 && !overlapped) {
        this.memo.set(req.path, { page, at: Date.now() });
        this.memoChanged();
      }
      return page;
    } finally {
      this.readsInFlight--;
      this.prune();
    }
  }

  private forget(scope: string[] | undefined): void {
    let forgot = false;
    for (const path of [...this.memo.keys()]) {
      if (affects(scope, path) && this.memo.delete(path)) forgot = true;
    }
    if (forgot) this.memoChanged();
  }

  /** Ended writes matter only to reads that overlapped them. */
  private prune(): void {
    if (this.readsInFlight > 0) return;
    for (let i = this.writesSeen.length - 1; i >= 0; i--) if (this.writesSeen[i].ended) this.writesSeen.splice(i, 1);
  }

  private async send(req: PageRequest): Promise<Page> {
    // A write carries the sesskey, which only a page read after the login shows.
    let state = isPlainRead(req) ? await this.ensure() : await this.landed();
    let gen = this.generation;
    let reloggedIn = false;
    for (;;) {
      // Stryker disable next-line StringLiteral: only writes use the sesskey, and they went through landed(), which sets it.
      const outcome = await this.attempt(req, state.sesskey ?? "");
      if (outcome.kind === "page") {
        await this.land(outcome.page, gen);
        return outcome.page;
      }
      if (reloggedIn) {
        const hint = state.sesskey === undefined ? " (cookies blocked, or wwwroot differs from the configured url?)" : "";
        throw new MoodleSessionError(req.step, pathOf(req), `${outcome.why} even right after a fresh login${hint}`);
      }
      this.log(`${req.step}: ${outcome.why}; logging in again`);
      reloggedIn = true;
      state = await this.relogin(gen);
      if (!isPlainRead(req)) state = await this.landed();
      gen = this.generation;
    }
  }

  private async attempt(req: PageRequest, sesskey: string): Promise<{ kind: "page"; page: Page } | { kind: "expired"; why: string }> {
    const method = req.method ?? "GET";
    const follow = req.follow ?? method === "GET";
    const reqPath = typeof req.path === "function" ? req.path(sesskey) : req.path;
    let res = await this.http.request({
      step: req.step,
      method,
      path: reqPath,
      form: req.form?.(sesskey),
      json: req.json,
      idempotent: req.idempotent,
    });
    let path = reqPath;
    for (let hop = 0; ; hop++) {
      if (res.status >= 300 && res.status < 400 && res.location) {
        const target = this.http.sitePath(res.location);
        if (target === undefined) {
          throw new MoodleForcedPageError(req.step, path, "off-site redirect", `Moodle redirected to ${new URL(res.location).host} (single sign-on or a proxy in front of the site?)`);
        }
        if (stripQuery(target) === LOGIN_PATH) return { kind: "expired", why: "Moodle redirected to the login page (session expired)" };
        const forced = forcedPageFor(target);
        if (forced) throw forcedPageError(req.step, path, target, forced, "");
        if (!follow) return { kind: "page", page: { status: res.status, body: res.body, path, location: target, response: res } };
        if (hop >= MAX_HOPS) throw new MoodleError(req.step, path, "too many redirects");
        path = target;
        res = await this.http.request({ step: req.step, method: "GET", path: target });
        continue;
      }
      break;
    }
    if (res.status === 404) {
      const err = parseErrorPage(res.body);
      // Moodleforms answer a stale sesskey with this error page; nothing was written.
      if (err?.errorcode === "invalidsesskey" || err?.errorcode === "requireloginerror") {
        return { kind: "expired", why: `Moodle said "${err.message}"` };
      }
    }
    return { kind: "page", page: { status: res.status, body: res.body, path, response: res } };
  }

  /** Forgets the session so the next request logs in again (used when an AJAX answer says the session is gone). */
  async forceRelogin(): Promise<SessionState> {
    return this.relogin(this.generation);
  }

  /** Current state without logging in. */
  peek(): SessionState | undefined {
    return this.current;
  }

  /** A session of this run if another process has one (no request), else a login whose session the run's next processes take over. */
  private async login(): Promise<SessionState> {
    if (!this.carry) return this.passwordLogin();
    const carry = this.carry;
    return carry.inTurn(async () => {
      const refused = carry.refusal();
      if (refused) throw (this.rejected = refusedLogin(refused));
      const carried = this.takeOverRunSession();
      if (carried) return carried;
      try {
        const state = await this.passwordLogin();
        this.keepForRun(state);
        return state;
      } catch (e) {
        if (e instanceof MoodleLoginError) carry.refuse(refusalOf(e));
        throw e;
      }
    });
  }

  private async passwordLogin(): Promise<SessionState> {
    const retries = this.http.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.loginOnce();
      } catch (e) {
        if (e instanceof MoodleLoginError) {
          this.rejected = e;
          throw e;
        }
        // The whole login is safe to redo from a fresh GET: a lost POST answer only cost a session id.
        // A session that vanished between form and POST (Moodle then never checked the password) or between
        // login and landing (server restart, expiry race) warrants one more try.
        const lostSession = e instanceof MoodleSessionError && attempt === 0;
        if ((e instanceof MoodleTransportError || lostSession) && attempt < Math.max(retries, 1)) {
          this.log(`log in: ${e.detail}; starting the login again`);
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
          continue;
        }
        throw e;
      }
    }
  }

  private async loginOnce(): Promise<SessionState> {
    const { userId } = await submitPassword(this.http, this.conn, forcedPageFor);
    if (this.conn.totpKey) await this.secondFactor(userId);
    // The testsession hop and the dashboard are not read: the first page the caller reads carries the
    // sesskey and the release (land()), and shows a login redirect there when the cookie did not stick.
    this.log(`logged in to ${this.http.base.host} as ${this.conn.username} (user id ${userId})`);
    return { userId };
  }

  /**
   * With a TOTP key configured: Moodle shows its MFA page on the first page after the password, which
   * is the login's own testsession hop (one request); the MFA page is answered there.
   */
  private async secondFactor(userId: number): Promise<void> {
    const hop = await this.http.request({ step: "log in", method: "GET", path: `${LOGIN_PATH}?testsession=${userId}` });
    const target = hop.location ? this.http.sitePath(hop.location) : undefined;
    if (target === undefined || !isMfaPage(target)) return;
    await answerTotp(this.http, { key: this.conn.totpKey!, ledger: this.codeLedger!(), log: this.log });
  }

  /** Reads a landing page (following redirects), refusing forced pages. */
  private async landing(first: string): Promise<Page> {
    const step = "log in";
    let path = first;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const forced = forcedPageFor(path);
      if (forced) throw forcedPageError(step, path, path, forced, "after login");
      const res = await this.http.request({ step, method: "GET", path });
      if (res.status >= 300 && res.status < 400 && res.location) {
        const next = this.http.sitePath(res.location);
        if (next === undefined) throw new MoodleForcedPageError(step, path, "off-site redirect", `after login Moodle redirects to ${new URL(res.location).host}`);
        if (stripQuery(next) === LOGIN_PATH) {
          throw new MoodleSessionError(step, path, "the session cookie did not stick (cookies blocked, or wwwroot differs from the configured url?)");
        }
        path = next;
        continue;
      }
      if (!parseMCfg(res.body)) throw new MoodleSessionError(step, path, `landed on a page without a logged-in user (HTTP ${res.status})`);
      return { status: res.status, body: res.body, path, response: res };
    }
    throw new MoodleError(step, path, "too many redirects after login");
  }
}
