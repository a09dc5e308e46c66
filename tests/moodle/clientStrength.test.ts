// What the admin client does with each Moodle answer, above its session: a login through the MFA page
// answered from the machine's code ledger (or the one given), the release read once for a session taken
// over from another process of the run, token reads that go to Moodle unless reuse is asked for, and
// token probes that survive a server blip. Pages are recorded from the real 5.0.6+ (the plain and the
// guarded site); the probes go to a local HTTP server.
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type { AddressInfo } from "net";
import { clearClientCache, MoodleClient } from "../../moodle/client";
import { MoodleError, MoodleMfaError } from "../../moodle/errors";
import { HttpRequest, HttpResponse, MoodleHttp } from "../../moodle/http";
import { LEDGER_FOLDER, type CodeLedger } from "../../moodle/codeLedger";
import type { SessionCarry } from "../../moodle/sessionCarry";
import { guarded, page } from "./fixtures";

const RELEASE = "5.0.6+ (Build: 20260403)";
const KEY = "JBSW Y3DP EHPK 3PXP";
const conn = { url: "https://moodle.example.com", username: "admin", password: "Admin-Pass-1!" };
const MFA = "/admin/tool/mfa/auth.php";

const PAGES: Record<string, string> = {
  "/my/": "a6-my.html",
  "/admin/settings.php?section=optionalsubsystems": "b1-optionalsubsystems.html",
  "/admin/settings.php?section=webserviceprotocols": "c1-webserviceprotocols.html",
  "/admin/webservice/tokens.php": "e1-tokens-list-empty.html",
};

/**
 * Answers as the guarded site does: the login form, the password accepted, the testsession hop sent to
 * the MFA page, its TOTP form, and `onCode` for the posted code; then the recorded admin pages (or what
 * `pages` says for a path). Returns every request as "METHOD path".
 */
function standInMoodle(opts: { onCode?: () => "accepted" | "wrong"; pages?: Record<string, string> } = {}) {
  const requests: string[] = [];
  jest.spyOn(MoodleHttp.prototype, "request").mockImplementation(async function (this: MoodleHttp, req: HttpRequest): Promise<HttpResponse> {
    const url = this.absolute(req.path);
    const answer = (status: number, body: string, location?: string): HttpResponse => ({ status, headers: {}, body, url, location: location && this.absolute(location) });
    requests.push(`${req.method} ${req.path}`);
    const p = req.path.split("?")[0];
    if (p === "/login/index.php") {
      if (req.method === "POST") return answer(303, "", "/login/index.php?testsession=2");
      if (req.path.includes("testsession")) return answer(303, "", MFA);
      return answer(200, guarded("g01-mfa-login-get.html"));
    }
    if (p === MFA) {
      if (req.method === "GET") return answer(200, guarded("g06-mfa-auth-factorname-totp-lang-en.html"));
      return (opts.onCode?.() ?? "accepted") === "accepted" ? answer(303, "", "/my/") : answer(200, guarded("g08-mfa-post-wrong-code.html"));
    }
    const file = opts.pages?.[req.path] ?? PAGES[req.path];
    if (!file || req.method !== "GET") throw new Error(`unexpected request ${req.method} ${req.path}`);
    return answer(200, page("5.0", file));
  });
  return requests;
}

let cache: string;
const savedCache = process.env.MOODLE_PERCIPIO_CACHE;
beforeEach(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), "client-strength-"));
  process.env.MOODLE_PERCIPIO_CACHE = cache;
});
afterEach(() => {
  jest.restoreAllMocks();
  clearClientCache();
  if (savedCache === undefined) delete process.env.MOODLE_PERCIPIO_CACHE;
  else process.env.MOODLE_PERCIPIO_CACHE = savedCache;
  fs.rmSync(cache, { recursive: true, force: true });
});

describe("a login through the MFA page", () => {
  it("without a ledger in the options, uses this machine's: a key Moodle refused is not tried by the next client for the same admin", async () => {
    const requests = standInMoodle({ onCode: () => "wrong" });
    const first = new MoodleClient({ ...conn, totpKey: KEY });
    await expect(first.webServicesEnabled()).rejects.toThrow(/refused the code made from moodle:adminTotpSecret/);
    expect(fs.readdirSync(path.join(cache, LEDGER_FOLDER)).filter((f) => f.endsWith(".json"))).toHaveLength(1);
    const codesBefore = requests.filter((r) => r === `POST ${MFA}`).length;
    expect(codesBefore).toBe(1);
    const next = new MoodleClient({ ...conn, totpKey: KEY });
    const err = await next.webServicesEnabled().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toMatch(/Moodle refused this moodle:adminTotpSecret earlier/);
    expect(err.message).not.toContain("JBSW");
    expect(requests.filter((r) => r === `POST ${MFA}`)).toHaveLength(1);
  });

  it("with a ledger in the options, asks that one for the step to answer, and reads the operation's page once past the factor", async () => {
    const requests = standInMoodle();
    const claims: number[] = [];
    const ledger: CodeLedger = {
      claimStep: async (minStep) => {
        claims.push(minStep);
        return 59880152;
      },
      refuseKey: async () => undefined,
    };
    const c = new MoodleClient({ ...conn, totpKey: KEY }, { codeLedger: () => ledger });
    expect(await c.webServicesEnabled()).toBe(false);
    expect(claims).toEqual([0]);
    expect(requests.slice(-3)).toEqual([`GET ${MFA}?factorname=totp&lang=en`, `POST ${MFA}`, "GET /admin/settings.php?section=optionalsubsystems"]);
    expect(fs.existsSync(path.join(cache, LEDGER_FOLDER))).toBe(false);
  });
});

describe("a session taken over from another process of the run", () => {
  /** The run's session as another process kept it: its landing page showed no release. */
  function carried(): SessionCarry {
    const cookies = new MoodleHttp(conn).exportCookies();
    return {
      take: () => ({ cookies, userId: 2, sesskey: "abcdefghij", landingVersion: undefined, pages: [] }),
      keep: () => undefined,
      refusal: () => undefined,
      refuse: () => undefined,
      inTurn: (login) => login(),
    };
  }

  it("logs in with no request, reads the release once for the first operation, and never again", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn, { sessionCarry: carried() });
    expect(await c.webServicesEnabled()).toBe(false);
    expect(await c.webServicesEnabled()).toBe(false);
    expect((await c.version()).release).toBe(RELEASE);
    expect(requests).toEqual([
      "GET /admin/settings.php?section=webserviceprotocols",
      "GET /admin/settings.php?section=optionalsubsystems",
      "GET /admin/settings.php?section=optionalsubsystems",
    ]);
  });
});

describe("tokens", () => {
  it("the token list is read from Moodle on every call, unless reuse is asked for", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    expect(await c.listTokens()).toEqual([]);
    expect(await c.listTokens()).toEqual([]);
    const reads = () => requests.filter((r) => r === "GET /admin/webservice/tokens.php");
    expect(reads()).toHaveLength(2);
    await c.listTokens(true);
    expect(reads()).toHaveLength(2);
  });

  it("counting the tokens of services on a page that is no token list says it was counting tokens of services", async () => {
    standInMoodle({ pages: { "/admin/webservice/tokens.php": "b1-optionalsubsystems.html" } });
    const c = new MoodleClient(conn);
    const err = await c.tokensOnServices(["Percipio-API"]).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.step).toBe("count tokens of services");
    expect(err.message).toBe("count tokens of services failed at /admin/webservice/tokens.php: no token list on the page (HTTP 200)");
  });
});

describe("checking a token", () => {
  let server: http.Server;
  const calls: Record<string, string>[] = [];
  let failFirst: boolean;

  beforeEach(async () => {
    calls.length = 0;
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        calls.push({ ...form, cookie: req.headers.cookie ?? "" });
        const tries = calls.filter((c) => c.wsfunction === form.wsfunction).length;
        if (failFirst && tries === 1) {
          res.statusCode = 503;
          res.end("busy");
          return;
        }
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ exception: "invalid_parameter_exception", errorcode: "invalidparameter", message: "Invalid parameter value detected" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  });
  afterEach(() => new Promise<void>((r) => server.close(() => r())));

  const FACTS = { serviceName: "Percipio-API", tokenUser: "percipio", ipRestriction: "", userIsAdmin: false };
  const client = () =>
    new MoodleClient(
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, username: "admin", password: "Admin-Pass-1!", allowHttp: true, retries: 2 },
      { retryBaseMs: 1, retryMaxMs: 5 },
    );

  it("calls each function with the token and a parameter none declares, without the admin session: let through means accepted", async () => {
    failFirst = false;
    const verdict = await client().checkToken("0123456789abcdef0123456789abcdef", ["percipio_asset_import", "percipio_image_upload"], FACTS);
    expect(verdict).toEqual({ kind: "accepted" });
    expect(calls.map((c) => c.wsfunction).sort()).toEqual(["percipio_asset_import", "percipio_image_upload"]);
    for (const c of calls) {
      expect(c).toMatchObject({ wstoken: "0123456789abcdef0123456789abcdef", moodle_percipio_iac_probe: "1", moodlewsrestformat: "json", cookie: "" });
    }
  });

  it("a probe Moodle answered with a server error is sent again: it runs no function, so retrying is safe", async () => {
    failFirst = true;
    const verdict = await client().checkToken("0123456789abcdef0123456789abcdef", ["percipio_asset_import", "percipio_image_upload"], FACTS);
    expect(verdict).toEqual({ kind: "accepted" });
    expect(calls.filter((c) => c.wsfunction === "percipio_asset_import")).toHaveLength(2);
    expect(calls.filter((c) => c.wsfunction === "percipio_image_upload")).toHaveLength(2);
  });
});
