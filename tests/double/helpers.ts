// Minimal cookie-keeping HTTP client for the double's tests (axios + tough-cookie; not the project client).
import axios, { AxiosResponse } from "axios";
import * as http from "http";
import * as cheerio from "cheerio";
import { CookieJar } from "tough-cookie";

export type Form = Record<string, string | string[]>;

export function encode(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.append(k, v);
  }
  return p.toString();
}

export interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  location?: string;
  url: string;
}

/**
 * One connection per request: a reused idle socket that the server closes at the same moment (Node's
 * server drops idle sockets after 5 s) fails with ECONNRESET, and this client does not retry.
 */
const noKeepAlive = new http.Agent({ keepAlive: false });

export class Browser {
  readonly jar = new CookieJar();

  constructor(readonly base: string) {}

  private abs(path: string): string {
    return /^https?:/.test(path) ? path : this.base + path;
  }

  async request(method: "GET" | "POST", path: string, data?: string, contentType?: string): Promise<Resp> {
    const url = this.abs(path);
    const cookie = await this.jar.getCookieString(url);
    const r: AxiosResponse<string> = await axios.request({
      method,
      url,
      data,
      headers: { ...(cookie ? { Cookie: cookie } : {}), ...(contentType ? { "Content-Type": contentType } : {}) },
      maxRedirects: 0,
      httpAgent: noKeepAlive,
      validateStatus: () => true,
      responseType: "text",
      transformResponse: (x: unknown) => x,
    });
    const setCookie = r.headers["set-cookie"];
    for (const c of setCookie ?? []) await this.jar.setCookie(c, url);
    return {
      status: r.status,
      headers: r.headers as Record<string, string>,
      body: typeof r.data === "string" ? r.data : String(r.data ?? ""),
      location: r.headers.location as string | undefined,
      url,
    };
  }

  get(path: string): Promise<Resp> {
    return this.request("GET", path);
  }

  post(path: string, form: Form): Promise<Resp> {
    return this.request("POST", path, encode(form), "application/x-www-form-urlencoded");
  }

  /** Follows 303/302 redirects with GET. */
  async follow(first: Resp, max = 5): Promise<Resp> {
    let r = first;
    for (let i = 0; i < max && r.status >= 300 && r.status < 400 && r.location; i++) r = await this.get(r.location);
    return r;
  }

  async sessionCookie(): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.base + "/");
    return cookies.find((c) => c.key === "MoodleSession")?.value;
  }

  /** Logs in through the login form; returns the sesskey from M.cfg of the landing page. */
  async login(username = "admin", password = "Admin-Pass-1!"): Promise<string> {
    const page = await this.get("/login/index.php");
    const token = cheerio.load(page.body)('form#login input[name="logintoken"]').attr("value") ?? "";
    const r = await this.post("/login/index.php", { anchor: "", logintoken: token, username, password });
    if (!r.location?.includes("testsession=")) throw new Error(`login failed: ${r.status} ${r.location}`);
    const landing = await this.follow(r);
    return sesskeyOf(landing.body);
  }
}

export function sesskeyOf(html: string): string {
  const m = /M\.cfg = (\{.*?\});/.exec(html);
  if (!m) throw new Error("no M.cfg");
  return (JSON.parse(m[1]) as { sesskey: string }).sesskey;
}

export function mcfg(html: string): Record<string, unknown> {
  const m = /M\.cfg = (\{.*?\});/.exec(html);
  if (!m) throw new Error("no M.cfg");
  return JSON.parse(m[1]) as Record<string, unknown>;
}

export const $ = (html: string) => cheerio.load(html);

/**
 * A double started once per file and reset before each test, with a browser logged in as admin.
 * Read the fields inside tests (they are replaced before each one).
 */
export function loggedInDouble(): { d: import("../../testkit/moodle-double").MoodleDouble; b: Browser; sk: string } {
  const ctx = {} as { d: import("../../testkit/moodle-double").MoodleDouble; b: Browser; sk: string };
  beforeAll(async () => {
    const { startMoodleDouble } = await import("../../testkit/moodle-double");
    ctx.d = await startMoodleDouble();
  });
  afterAll(() => ctx.d.stop());
  beforeEach(async () => {
    ctx.d.control.reset();
    ctx.b = new Browser(ctx.d.url);
    ctx.sk = await ctx.b.login();
  });
  return ctx;
}
