// The HTTP channel and the REST client at their edges, against a local server: what is sent (form and
// JSON bodies, cookies), what is retried and how long it waits (Retry-After, caps), what is never
// retried, and what errors and logs say (and never say).
import * as http from "http";
import type { AddressInfo } from "net";
import { encodeForm, HttpRequest, MoodleHttp } from "../../moodle/http";
import { flattenParams, MoodleRestClient } from "../../moodle/rest";
import { MoodleError, MoodleRestError, MoodleTransportError, MoodleWebServicesUnavailableError } from "../../moodle/errors";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string, count: number) => void;

/** A server whose answer per path is set by each test; it records every request. */
class Server {
  readonly seen: Seen[] = [];
  private handlers = new Map<string, Handler>();
  private server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      this.seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = req.url!.split("?")[0];
      const count = this.seen.filter((s) => s.url.split("?")[0] === path).length;
      const handler = this.handlers.get(path);
      if (!handler) {
        res.statusCode = 404;
        res.end("none");
        return;
      }
      handler(req, res, body, count);
    });
  });
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
  on(path: string, handler: Handler): void {
    this.handlers.set(path, handler);
  }
  to(path: string): Seen[] {
    return this.seen.filter((s) => s.url.split("?")[0] === path);
  }
}

const server = new Server();
beforeAll(() => server.start());
afterAll(() => server.stop());

function channel(extra: Partial<{ timeoutMs: number; retries: number }> = {}, opts: { retryBaseMs?: number; retryMaxMs?: number } = {}) {
  const lines: string[] = [];
  const h = new MoodleHttp({ url: server.url, allowHttp: true, timeoutMs: 2000, retries: 3, ...extra }, { retryBaseMs: 5, retryMaxMs: 40, log: (l) => lines.push(l), ...opts });
  return { h, lines };
}

const get = (path: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({ step: "read page", method: "GET", path, ...extra });

describe("form encoding", () => {
  test("booleans as 1/0, arrays as repeated keys, undefined left out, numbers as text", () => {
    expect(encodeForm({ on: true, off: false, ids: [3, "x y"], skip: undefined, n: 7, s: "a&b=c" })).toBe("on=1&off=0&ids=3&ids=x+y&n=7&s=a%26b%3Dc");
  });

  test("REST params: nulls are left out like undefined; nested keys", () => {
    expect(flattenParams({ a: null, b: { c: false, d: { e: 1 } } })).toEqual({ "b[c]": "0", "b[d][e]": "1" });
  });
});

describe("construction", () => {
  test("defaults: 30 s timeout and 3 retries", () => {
    const h = new MoodleHttp({ url: "https://moodle.example.com" });
    expect(h.timeoutMs).toBe(30_000);
    expect(h.retries).toBe(3);
  });

  test("a URL that does not parse is named in the error", () => {
    expect(() => new MoodleHttp({ url: "not a url" })).toThrow('connect failed at /: moodle url "not a url" is not a valid URL');
  });

  test("another scheme is refused with the scheme named", () => {
    expect(() => new MoodleHttp({ url: "ftp://moodle.example.com" })).toThrow("connect failed at /: moodle url must be https:// (got ftp:)");
  });

  test("plain http names the host and the config key", () => {
    expect(() => new MoodleHttp({ url: "http://moodle.example.com:8080" })).toThrow(
      /refusing plain http to moodle\.example\.com:8080: .*set the config key moodle:allowHttp to true/,
    );
  });

  test("trailing slashes do not change the site's paths", () => {
    const h = new MoodleHttp({ url: "https://m.example.com/moodle///" });
    expect(h.absolute("//admin/index.php")).toBe("https://m.example.com/moodle/admin/index.php");
    expect(h.base.toString()).toBe("https://m.example.com/moodle/");
  });

  test("sitePath: only URLs on this site under its folder", () => {
    const h = new MoodleHttp({ url: "https://m.example.com/moodle" });
    expect(h.sitePath("/moodle/my/")).toBe("/my/");
    expect(h.sitePath("https://m.example.com/other/x.php")).toBeUndefined();
    expect(h.sitePath("http://m.example.com/moodle/x.php")).toBeUndefined();
    expect(h.sitePath("https://m.example.com:8443/moodle/x.php")).toBeUndefined();
  });
});

describe("what is sent", () => {
  beforeAll(() => {
    server.on("/echo", (_req, res) => res.end("ok"));
    server.on("/login", (_req, res) => {
      res.setHeader("Set-Cookie", ["MoodleSession=s1; path=/", "bad=1; Domain=other.example.com"]);
      res.statusCode = 303;
      res.setHeader("Location", "/my/?x=1");
      res.end();
    });
  });

  test("a form POST is url-encoded and a JSON body is JSON, each with its content type", async () => {
    const { h } = channel();
    await h.request({ step: "s", method: "POST", path: "/echo", form: { a: "1", b: true } });
    await h.request({ step: "s", method: "POST", path: "/echo", json: [{ index: 0 }] });
    const [form, json] = server.to("/echo").slice(-2);
    expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(form.body).toBe("a=1&b=1");
    expect(json.headers["content-type"]).toBe("application/json");
    expect(json.body).toBe('[{"index":0}]');
  });

  test("a GET has no body and no content type", async () => {
    const { h } = channel();
    await h.request(get("/echo"));
    const last = server.to("/echo").at(-1)!;
    expect(last.headers["content-type"]).toBeUndefined();
    expect(last.body).toBe("");
  });

  test("cookies Moodle sets are sent back (a refused one is dropped), except on cookie-less requests; resetCookies forgets them", async () => {
    const { h } = channel();
    const r = await h.request(get("/login"));
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${server.url}/my/?x=1`);
    await h.request(get("/echo"));
    expect(server.to("/echo").at(-1)!.headers.cookie).toBe("MoodleSession=s1");
    await h.request(get("/echo", { cookies: false }));
    expect(server.to("/echo").at(-1)!.headers.cookie).toBeUndefined();
    h.resetCookies();
    await h.request(get("/echo"));
    expect(server.to("/echo").at(-1)!.headers.cookie).toBeUndefined();
  });

  test("a cookie-less request does not store the cookies of its answer", async () => {
    const { h } = channel();
    await h.request(get("/login", { cookies: false }));
    await h.request(get("/echo"));
    expect(server.to("/echo").at(-1)!.headers.cookie).toBeUndefined();
  });

  test("the answer: status, body, absolute URL; no location without a redirect", async () => {
    const { h } = channel();
    const r = await h.request(get("/echo?a=1"));
    expect(r).toMatchObject({ status: 200, body: "ok", url: `${server.url}/echo?a=1`, location: undefined });
  });
});

describe("retries and waiting", () => {
  beforeAll(() => {
    server.on("/busy-once", (_req, res, _b, n) => {
      if (n === 1) {
        res.statusCode = 503;
        res.setHeader("Retry-After", "0.03");
        res.end("busy");
      } else res.end("ok");
    });
    server.on("/busy-dated", (_req, res, _b, n) => {
      if (n === 1) {
        res.statusCode = 429;
        res.setHeader("Retry-After", new Date(Date.now() + 3_600_000).toUTCString());
        res.end("later");
      } else res.end("ok");
    });
    server.on("/busy-past", (_req, res, _b, n) => {
      if (n === 1) {
        res.statusCode = 503;
        res.setHeader("Retry-After", new Date(Date.now() - 60_000).toUTCString());
        res.end("later");
      } else res.end("ok");
    });
    server.on("/busy-junk", (_req, res, _b, n) => {
      if (n === 1) {
        res.statusCode = 503;
        res.setHeader("Retry-After", "soon");
        res.end("later");
      } else res.end("ok");
    });
    server.on("/down", (_req, res) => {
      res.statusCode = 500;
      res.end("down");
    });
    server.on("/not-found", (_req, res) => {
      res.statusCode = 404;
      res.end("missing");
    });
  });

  test("Retry-After in seconds is honoured", async () => {
    const { h, lines } = channel({}, { retryBaseMs: 1, retryMaxMs: 1000 });
    expect((await h.request(get("/busy-once"))).body).toBe("ok");
    expect(lines).toContain("retrying GET /busy-once in 30 ms (attempt 2 of 4)");
  });

  test("a Retry-After date is capped at the longest wait", async () => {
    const { h, lines } = channel({}, { retryBaseMs: 1, retryMaxMs: 50 });
    expect((await h.request(get("/busy-dated"))).body).toBe("ok");
    expect(lines).toContain("retrying GET /busy-dated in 50 ms (attempt 2 of 4)");
  });

  test("a Retry-After date in the past or junk falls back to the backoff", async () => {
    const { h, lines } = channel({}, { retryBaseMs: 7, retryMaxMs: 1000 });
    await h.request(get("/busy-past"));
    await h.request(get("/busy-junk"));
    expect(lines).toContain("retrying GET /busy-past in 7 ms (attempt 2 of 4)");
    expect(lines).toContain("retrying GET /busy-junk in 7 ms (attempt 2 of 4)");
  });

  test("the backoff doubles per attempt up to the cap; the log never shows the query", async () => {
    const { h, lines } = channel({ retries: 4 }, { retryBaseMs: 10, retryMaxMs: 30 });
    const err = await h.request(get("/down?sesskey=AbCdEfGhIj")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.message).toBe(`read page failed at /down: GET ${new URL(server.url).host}: HTTP 500 after 5 attempt(s)`);
    expect(lines.filter((l) => l.startsWith("retrying"))).toEqual([
      "retrying GET /down in 10 ms (attempt 2 of 5)",
      "retrying GET /down in 20 ms (attempt 3 of 5)",
      "retrying GET /down in 30 ms (attempt 4 of 5)",
      "retrying GET /down in 30 ms (attempt 5 of 5)",
    ]);
    expect(lines.join("\n")).not.toContain("AbCdEfGhIj");
    expect(lines.filter((l) => l.startsWith("GET /down?sesskey=[REDACTED] -> 500 ("))).toHaveLength(5);
  });

  test("no retries at all: one attempt", async () => {
    const { h } = channel({ retries: 0 });
    const before = server.to("/down").length;
    await expect(h.request(get("/down"))).rejects.toThrow("HTTP 500 after 1 attempt(s)");
    expect(server.to("/down").length - before).toBe(1);
  });

  test("a 4xx answer is an answer, not retried", async () => {
    const { h } = channel();
    const r = await h.request(get("/not-found"));
    expect(r.status).toBe(404);
    expect(server.to("/not-found")).toHaveLength(1);
  });

  test("a POST is not retried by default and the error says it may have been applied", async () => {
    const { h } = channel();
    const before = server.to("/down").length;
    const err = await h.request({ step: "save", method: "POST", path: "/down", form: {} }).catch((e) => e);
    expect(err.message).toBe(`save failed at /down: POST ${new URL(server.url).host}: HTTP 500 (not retried: the request may have been applied)`);
    expect(err.status).toBe(500);
    expect(server.to("/down").length - before).toBe(1);
  });

  test("a GET marked not idempotent is not retried either", async () => {
    const { h } = channel();
    const before = server.to("/down").length;
    await expect(h.request(get("/down", { idempotent: false }))).rejects.toThrow(/not retried/);
    expect(server.to("/down").length - before).toBe(1);
  });
});

describe("transport failures", () => {
  test("a refused connection is retried and then named with its code", async () => {
    const closed = new Server();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const lines: string[] = [];
    const h = new MoodleHttp({ url, allowHttp: true, retries: 1 }, { retryBaseMs: 1, retryMaxMs: 5, log: (l) => lines.push(l) });
    const err = await h.request(get("/x")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.status).toBeUndefined();
    expect(err.message).toBe(`read page failed at /x: GET ${new URL(url).host}: connection error ECONNREFUSED after 2 attempt(s)`);
    expect(lines.some((l) => /^GET \/x -> connection error ECONNREFUSED \(\d+ ms\)$/.test(l))).toBe(true);
  });

  test("a timeout says how long it waited", async () => {
    server.on("/hang", () => undefined);
    const { h } = channel({ timeoutMs: 150, retries: 0 });
    await expect(h.request(get("/hang"))).rejects.toThrow(`GET ${new URL(server.url).host}: no answer within 150 ms after 1 attempt(s)`);
  });

  test("an error retrying cannot fix (TLS to a plain-http server) fails at once, naming the host", async () => {
    server.on("/tls", (_req, res) => res.end("ok"));
    const h = new MoodleHttp({ url: server.url.replace("http:", "https:"), retries: 3 }, { retryBaseMs: 1, retryMaxMs: 5 });
    const before = server.seen.length;
    const err = await h.request(get("/tls")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.message).toMatch(new RegExp(`^read page failed at /tls: GET ${new URL(server.url).host}: .+`));
    expect(err.message).not.toMatch(/attempt/);
    expect(server.seen.length).toBe(before);
  });
});

describe("REST client answers", () => {
  const TOKEN = "0123456789abcdef0123456789abcdef";
  const rest = () => new MoodleRestClient({ url: server.url, token: TOKEN, allowHttp: true, retries: 2 }, { retryBaseMs: 1, retryMaxMs: 5 });
  let answer: { status: number; body: string };
  beforeAll(() => {
    server.on("/webservice/rest/server.php", (_req, res) => {
      res.statusCode = answer.status;
      res.end(answer.body);
    });
  });

  test("an empty 200 answer is null (functions without a return value)", async () => {
    answer = { status: 200, body: "" };
    await expect(rest().call("percipio_image_upload")).resolves.toBeNull();
  });

  test("a 403 that has a body is Moodle speaking, not web services being off", async () => {
    answer = { status: 403, body: '{"exception":"webservice_access_exception","errorcode":"accessexception","message":"Access control exception"}' };
    const err = (await rest().call("x").catch((e: unknown) => e)) as MoodleRestError;
    expect(err).toBeInstanceOf(MoodleRestError);
    expect(err).not.toBeInstanceOf(MoodleWebServicesUnavailableError);
    expect(err.exception).toBe("webservice_access_exception");
    expect(err.moodleMessage).toBe("Access control exception");
  });

  test("a 403 with only whitespace is web services or REST switched off", async () => {
    answer = { status: 403, body: "  \n" };
    await expect(rest().call("x")).rejects.toThrow(
      "call x failed at /webservice/rest/server.php: HTTP 403 with an empty body: web services (enablewebservices) or the REST protocol are switched off",
    );
  });

  test("an answer that is not JSON shows its start", async () => {
    answer = { status: 200, body: "<html>" + "x".repeat(200) };
    await expect(rest().call("f")).rejects.toThrow(`call f failed at /webservice/rest/server.php: HTTP 200, answer is not JSON (<html>${"x".repeat(74)})`);
  });

  test("an exception with debug info and without a message", async () => {
    answer = { status: 200, body: '{"exception":"moodle_exception","errorcode":"invalidparameter","debuginfo":"data missing"}' };
    const err = (await rest().call("f").catch((e: unknown) => e)) as MoodleRestError;
    expect(err.message).toBe("call f failed at /webservice/rest/server.php: invalidparameter:  (data missing)");
    expect(err.debuginfo).toBe("data missing");
  });

  test("JSON that is not an exception but not a 200 either is an error with the status", async () => {
    answer = { status: 404, body: '{"ok":true}' };
    await expect(rest().call("f")).rejects.toThrow("call f failed at /webservice/rest/server.php: HTTP 404");
    answer = { status: 200, body: '{"exception":"only"}' };
    await expect(rest().call("f")).resolves.toEqual({ exception: "only" });
  });

  test("calls are single POSTs without cookies, retried only when marked idempotent; the token never shows in errors", async () => {
    answer = { status: 502, body: "bad gateway" };
    const before = server.to("/webservice/rest/server.php").length;
    const err = (await rest().call("percipio_write").catch((e: unknown) => e)) as MoodleTransportError;
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(server.to("/webservice/rest/server.php").length - before).toBe(1);
    await expect(rest().siteInfo()).rejects.toThrow(/after 3 attempt/);
    expect(server.to("/webservice/rest/server.php").length - before).toBe(4);
    expect(String(err.message)).not.toContain(TOKEN);
    const sent = server.to("/webservice/rest/server.php").at(-1)!;
    expect(sent.method).toBe("POST");
    expect(sent.headers.cookie).toBeUndefined();
    expect(new URLSearchParams(sent.body).get("wsfunction")).toBe("core_webservice_get_site_info");
  });

  test("a token that is a secret is registered for redaction wherever it appears", () => {
    rest();
    expect(new MoodleError("s", "/p", `value ${TOKEN.toUpperCase()} and ${TOKEN}`).message).not.toContain(TOKEN);
  });
});
