// One HTTP channel to one Moodle site: cookie jar, redirects made visible, timeouts, bounded retries,
// TLS always verified. Knows nothing about Moodle pages; session.ts and the operations build on it.
import axios, { AxiosInstance, AxiosError } from "axios";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import { CookieJar } from "tough-cookie";
import type { MoodleConnection } from "./types";
import { MoodleError, MoodleTransportError, stripQuery } from "./errors";
import { redact } from "./redact";

export type FormValue = string | number | boolean | undefined | Array<string | number>;
export type Form = Record<string, FormValue>;

export interface HttpRequest {
  /** Human name of the manual step, used in errors and logs ("enable web services"). */
  step: string;
  method: "GET" | "POST";
  /** Site-relative path with optional query, e.g. "/admin/settings.php?section=optionalsubsystems". */
  path: string;
  form?: Form;
  json?: unknown;
  /**
   * Only idempotent requests are retried after a network error, a timeout, 5xx or 429.
   * Default: true for GET, false for POST (a lost POST answer may still have been applied).
   */
  idempotent?: boolean;
  /** false for the REST endpoint: web-service calls are stateless and must not carry the admin session. */
  cookies?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Absolute URL that was requested. */
  url: string;
  /** Absolute Location of a redirect, resolved against the request URL. */
  location?: string;
}

export interface HttpOptions {
  log?: (msg: string) => void;
  /** First backoff delay; doubles per attempt (default 500 ms). Tests make it small. */
  retryBaseMs?: number;
  /** Upper bound of one backoff delay, also caps Retry-After (default 10 s). */
  retryMaxMs?: number;
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
  "ERR_CANCELED",
]);

export function encodeForm(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, String(item));
    else p.append(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  return p.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Names the tool and its process in the site's logs (a run's passes are separate processes). */
export const USER_AGENT = `moodle-percipio-iac (node ${process.version}; pid ${process.pid})`;

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 3;

export class MoodleHttp {
  readonly base: URL;
  readonly timeoutMs: number;
  readonly retries: number;
  private jar = new CookieJar();
  private readonly ax: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly log: (msg: string) => void;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(conn: Pick<MoodleConnection, "url" | "allowHttp" | "caCertPem" | "timeoutMs" | "retries">, opts: HttpOptions = {}) {
    let base: URL;
    try {
      base = new URL(conn.url.replace(/\/+$/, "") + "/");
    } catch {
      throw new MoodleError("connect", "", `moodle url "${conn.url}" is not a valid URL`);
    }
    if (base.protocol !== "https:" && base.protocol !== "http:") {
      throw new MoodleError("connect", "", `moodle url must be https:// (got ${base.protocol})`);
    }
    if (base.protocol === "http:" && !conn.allowHttp) {
      throw new MoodleError(
        "connect",
        "",
        `refusing plain http to ${base.host}: the admin password and session would travel unencrypted. ` +
          "Use https, or for a loopback/test site set the config key moodle:allowHttp to true",
      );
    }
    this.base = base;
    this.timeoutMs = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = conn.retries ?? DEFAULT_RETRIES;
    this.log = opts.log ?? (() => undefined);
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    // Verification stays on; an extra CA is added to (not substituted for) the public roots.
    this.agents = {
      // Stryker disable next-line ObjectLiteral: keepAlive false is also http.Agent's default, so an empty options object is the same agent
      http: new http.Agent({ keepAlive: false }),
      https: new https.Agent({
        keepAlive: false,
        rejectUnauthorized: true,
        ca: conn.caCertPem ? [...tls.rootCertificates, conn.caCertPem] : undefined,
      }),
    };
    this.ax = axios.create({
      maxRedirects: 0, // 303 Locations carry the login outcome and session expiry; we follow by hand
      timeout: this.timeoutMs,
      validateStatus: () => true,
      responseType: "text",
      // Stryker disable next-line ArrayDeclaration: no transform at all leaves the text as it is, exactly like the identity transform
      transformResponse: [(d) => d],
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      proxy: false,
    });
  }

  /** Absolute URL for a site-relative path (works for sites in a subdirectory). */
  absolute(path: string): string {
    return new URL(path.replace(/^\/+/, ""), this.base).toString();
  }

  /** Site-relative path ("/login/index.php?x") of an absolute URL on this site, or undefined when it is elsewhere. */
  sitePath(url: string): string | undefined {
    const u = new URL(url, this.base);
    if (u.origin !== this.base.origin || !u.pathname.startsWith(this.base.pathname)) return undefined;
    return "/" + u.pathname.slice(this.base.pathname.length) + u.search;
  }

  /** Drops every cookie: the next login starts a fresh MoodleSession. */
  resetCookies(): void {
    this.jar = new CookieJar();
  }

  /** The cookie jar as data (tough-cookie's serialized form), to hand a session to another process. */
  exportCookies(): unknown {
    return this.jar.serializeSync();
  }

  /** Takes over a jar exportCookies() gave; false (and no cookies) when it cannot be read. */
  importCookies(data: unknown): boolean {
    try {
      this.jar = CookieJar.deserializeSync(data as Parameters<typeof CookieJar.deserializeSync>[0]);
      return true;
    } catch {
      this.jar = new CookieJar();
      return false;
    }
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? req.method === "GET";
    const url = this.absolute(req.path);
    const safePath = stripQuery(req.path);
    let attempt = 0;
    for (;;) {
      const started = Date.now();
      let failure: { detail: string; status?: number; code?: string; retryAfterMs?: number };
      try {
        const res = await this.once(req, url);
        this.log(redact(`${req.method} ${req.path} -> ${res.status} (${Date.now() - started} ms)`));
        if (res.status < 500 && res.status !== 429) return res;
        failure = {
          detail: `HTTP ${res.status}`,
          status: res.status,
          retryAfterMs: retryAfter(res.headers["retry-after"]),
        };
      } catch (e) {
        const err = e as AxiosError;
        const code = err.code ?? (err.cause as { code?: string } | undefined)?.code;
        const isTimeout = code === "ECONNABORTED" || code === "ETIMEDOUT" || /timeout/i.test(err.message ?? "");
        if (!isTimeout && !(code && TRANSIENT_CODES.has(code))) {
          // TLS failures, DNS misses and the like: retrying cannot help, say what broke.
          throw new MoodleTransportError(req.step, safePath, `${req.method} ${this.base.host}: ${err.message ?? String(e)}`, { code });
        }
        failure = { detail: isTimeout ? `no answer within ${this.timeoutMs} ms` : `connection error ${code}`, code };
        this.log(redact(`${req.method} ${req.path} -> ${failure.detail} (${Date.now() - started} ms)`));
      }
      if (!idempotent || attempt >= this.retries) {
        const tries = attempt + 1;
        throw new MoodleTransportError(
          req.step,
          safePath,
          `${req.method} ${this.base.host}: ${failure.detail}${idempotent ? ` after ${tries} attempt(s)` : " (not retried: the request may have been applied)"}`,
          { status: failure.status, code: failure.code },
        );
      }
      const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt);
      const delay = Math.min(this.retryMaxMs, Math.max(backoff, failure.retryAfterMs ?? 0));
      attempt++;
      this.log(`retrying ${req.method} ${safePath} in ${delay} ms (attempt ${attempt + 1} of ${this.retries + 1})`);
      await sleep(delay);
    }
  }

  private async once(req: HttpRequest, url: string): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: "text/html,application/json;q=0.9,*/*;q=0.8", "User-Agent": USER_AGENT };
    const useCookies = req.cookies ?? true;
    if (useCookies) {
      const cookie = await this.jar.getCookieString(url);
      if (cookie) headers.Cookie = cookie;
    }
    let data: string | undefined;
    if (req.json !== undefined) {
      data = JSON.stringify(req.json);
      headers["Content-Type"] = "application/json";
    } else if (req.form) {
      data = encodeForm(req.form);
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const res = await this.ax.request<string>({ method: req.method, url, data, headers });
    if (useCookies) {
      const set = res.headers["set-cookie"];
      // Stryker disable next-line ArrayDeclaration: Node (and axios after it) always hands set-cookie over as an array, and a made-up entry is refused by the jar and skipped
      for (const c of Array.isArray(set) ? set : set ? [set] : []) {
        try {
          await this.jar.setCookie(c, url);
        } catch {
          // A cookie the jar refuses (bad domain) is not one Moodle needs from us.
        }
      }
    }
    const loc = res.headers["location"];
    return {
      status: res.status,
      headers: res.headers as Record<string, string | string[] | undefined>,
      // Stryker disable next-line ConditionalExpression,EqualityOperator,LogicalOperator,StringLiteral: with responseType "text" axios always returns a string (also for 204, 304 and empty bodies), so the fallback never runs
      body: typeof res.data === "string" ? res.data : String(res.data ?? ""),
      url,
      location: typeof loc === "string" && loc ? new URL(loc, url).toString() : undefined,
    };
  }
}

function retryAfter(h: unknown): number | undefined {
  if (typeof h !== "string") return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return s * 1000;
  const d = Date.parse(h);
  return Number.isFinite(d) ? Math.max(0, d - Date.now()) : undefined;
}
