// The HTTP channel's connections and failures: verified TLS (an extra CA is trusted, an unknown
// certificate is refused at once with its code), one connection per request, the Accept header,
// redirects without a target, how long each attempt is logged as taking, and which failures the HTTP
// library reports count as "no answer in time" (retried, named with the timeout) or as a connection
// error (retried, named with its code).
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import axios, { AxiosError } from "axios";
import { HttpRequest, MoodleHttp } from "../../moodle/http";
import { MoodleTransportError } from "../../moodle/errors";
import { selfSignedCert } from "../support/selfSignedCert";

// A throw-away self-signed certificate for 127.0.0.1, made per run (no key lives in the repository).
const TLS = selfSignedCert();
const TEST_CERT = TLS.cert;

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  port: number;
}

/** Plain and TLS servers with the same answers; each records the requests it got. */
function answer(seen: Seen[]) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ url: req.url!, headers: req.headers, port: req.socket.remotePort! });
    if (req.url === "/hang") return; // never answers
    if (req.url === "/empty-location") {
      res.statusCode = 303;
      res.setHeader("Location", "");
      res.end();
      return;
    }
    res.end("ok");
  };
}

const plainSeen: Seen[] = [];
const tlsSeen: Seen[] = [];
const plain = http.createServer(answer(plainSeen));
const secure = https.createServer({ cert: TLS.cert, key: TLS.key }, answer(tlsSeen));
let plainUrl = "";
let tlsUrl = "";

const listen = (s: http.Server) => new Promise<string>((r) => s.listen(0, "127.0.0.1", () => r(`127.0.0.1:${(s.address() as AddressInfo).port}`)));
beforeAll(async () => {
  plainUrl = `http://${await listen(plain)}`;
  tlsUrl = `https://${await listen(secure)}`;
});
afterAll(async () => {
  await new Promise((r) => plain.close(r));
  await new Promise((r) => secure.close(r));
  TLS.dispose();
});

const get = (path: string): HttpRequest => ({ step: "read page", method: "GET", path });

describe("TLS", () => {
  test("a site whose certificate is signed by the extra CA (caCertPem) is reached, still verified", async () => {
    const h = new MoodleHttp({ url: tlsUrl, caCertPem: TEST_CERT, retries: 0 });
    const r = await h.request(get("/echo"));
    expect(r).toMatchObject({ status: 200, body: "ok", url: `${tlsUrl}/echo` });
  });

  test("a certificate no trusted CA signed is refused at once: not retried, named with the host and the certificate error's code", async () => {
    const h = new MoodleHttp({ url: tlsUrl, retries: 3 }, { retryBaseMs: 1, retryMaxMs: 5 });
    const before = tlsSeen.length;
    const err = await h.request(get("/echo")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.code).toMatch(/SELF_SIGNED/);
    expect(err.message).toMatch(new RegExp(`^read page failed at /echo: GET ${new URL(tlsUrl).host}: .*self-signed certificate`));
    expect(err.message).not.toMatch(/attempt/);
    expect(tlsSeen.length).toBe(before);
  });
});

describe("connections", () => {
  test("plain http: every request opens its own connection and asks the server to close it", async () => {
    const h = new MoodleHttp({ url: plainUrl, allowHttp: true });
    await h.request(get("/one"));
    await h.request(get("/two"));
    const [one, two] = plainSeen.filter((s) => s.url === "/one" || s.url === "/two");
    expect([one.headers.connection, two.headers.connection]).toEqual(["close", "close"]);
    expect(one.port).not.toBe(two.port);
  });

  test("https: every request opens its own connection and asks the server to close it", async () => {
    const h = new MoodleHttp({ url: tlsUrl, caCertPem: TEST_CERT });
    await h.request(get("/one"));
    await h.request(get("/two"));
    const [one, two] = tlsSeen.filter((s) => s.url === "/one" || s.url === "/two");
    expect([one.headers.connection, two.headers.connection]).toEqual(["close", "close"]);
    expect(one.port).not.toBe(two.port);
  });

  test("asks for HTML first, JSON next, anything else last", async () => {
    await new MoodleHttp({ url: plainUrl, allowHttp: true }).request(get("/accept"));
    expect(plainSeen.find((s) => s.url === "/accept")!.headers.accept).toBe("text/html,application/json;q=0.9,*/*;q=0.8");
  });

  test("a redirect with an empty Location has no target", async () => {
    const r = await new MoodleHttp({ url: plainUrl, allowHttp: true }).request(get("/empty-location"));
    expect(r.status).toBe(303);
    expect(r.location).toBeUndefined();
  });
});

describe("what the log says each attempt took", () => {
  const took = (lines: string[], prefix: string) =>
    lines.filter((l) => l.startsWith(prefix)).map((l) => Number(/\((\d+) ms\)$/.exec(l)?.[1]));

  test("an answer is logged with the milliseconds it took", async () => {
    const lines: string[] = [];
    const started = Date.now();
    await new MoodleHttp({ url: plainUrl, allowHttp: true }, { log: (l) => lines.push(l) }).request(get("/timed"));
    const [ms] = took(lines, "GET /timed -> 200 (");
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(Date.now() - started);
  });

  test("an attempt that timed out is logged with the time it waited, and the error carries the timeout's code", async () => {
    const lines: string[] = [];
    const started = Date.now();
    const h = new MoodleHttp({ url: plainUrl, allowHttp: true, timeoutMs: 100, retries: 0 }, { log: (l) => lines.push(l) });
    const err = await h.request(get("/hang")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.code).toBe("ECONNABORTED");
    expect(err.message).toContain("no answer within 100 ms after 1 attempt(s)");
    const [ms] = took(lines, "GET /hang -> no answer within 100 ms (");
    expect(ms).toBeGreaterThanOrEqual(90);
    expect(ms).toBeLessThanOrEqual(Date.now() - started);
  });
});

describe("failures the HTTP library reports", () => {
  // Failures a local server cannot produce (an OS connect timeout, an abort), reported the way the
  // HTTP library reports them.
  let create: jest.SpyInstance;
  function failingWith(...errors: Error[]) {
    const request = jest.fn();
    for (const e of errors) request.mockRejectedValueOnce(e);
    request.mockResolvedValue({ status: 200, headers: {}, data: "ok" });
    create = jest.spyOn(axios, "create").mockReturnValue({ request } as never);
    return request;
  }
  afterEach(() => create?.mockRestore());
  const channel = (retries: number) =>
    new MoodleHttp({ url: "https://moodle.example.com", timeoutMs: 1234, retries }, { retryBaseMs: 1, retryMaxMs: 2 });

  test.each([
    ["an aborted request", new AxiosError("Request aborted", "ECONNABORTED"), "ECONNABORTED"],
    ["an OS connect timeout", new AxiosError("connect ETIMEDOUT 10.0.0.1:443", "ETIMEDOUT"), "ETIMEDOUT"],
    ["a socket that timed out connecting", new AxiosError("Socket connection timeout", "ERR_SOCKET_CONNECTION_TIMEOUT"), "ERR_SOCKET_CONNECTION_TIMEOUT"],
  ])("%s is no answer in time: retried, then named with the timeout", async (_what, error, code) => {
    const request = failingWith(error, error);
    const err = await channel(1).request(get("/x")).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.message).toBe("read page failed at /x: GET moodle.example.com: no answer within 1234 ms after 2 attempt(s)");
    expect(err.code).toBe(code);
    expect(request).toHaveBeenCalledTimes(2);
  });

  test("a failure whose code is only on its cause is recognised by it: a reset connection is retried", async () => {
    const reset = Object.assign(new Error("socket hang up"), { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
    const request = failingWith(reset);
    expect((await channel(1).request(get("/x"))).body).toBe("ok");
    expect(request).toHaveBeenCalledTimes(2);
    failingWith(reset, reset);
    await expect(channel(1).request(get("/x"))).rejects.toThrow("GET moodle.example.com: connection error ECONNRESET after 2 attempt(s)");
  });

  test("a failure with no code and no timeout is not retried and says what broke", async () => {
    const request = failingWith(new Error("unexpected end of stream"));
    const err = await channel(3).request(get("/x")).catch((e) => e);
    expect(err.message).toBe("read page failed at /x: GET moodle.example.com: unexpected end of stream");
    expect(err.code).toBeUndefined();
    expect(request).toHaveBeenCalledTimes(1);
  });
});
