// Transport, session and secrecy rules against a tiny in-process HTTP server (ephemeral port).
import express from "express";
import type { AddressInfo } from "net";
import type { Server } from "http";
import { MoodleHttp } from "../../moodle/http";
import { MoodleSession } from "../../moodle/session";
import { MoodleError, MoodleForcedPageError, MoodleLoginError, MoodleSessionError, MoodleTransportError } from "../../moodle/errors";
import { redact } from "../../moodle/redact";
import { parseMCfg } from "../../moodle/parsers/common";
import { createToken, listTokens } from "../../moodle/tokens";
import { errorPage } from "./standInSession";
import { AJAX_OK, filteredByName } from "./tokenPages";
import { MoodleRestClient } from "../../moodle/rest";
import { MoodleRestError, MoodleWebServicesUnavailableError } from "../../moodle/errors";
import { page } from "./fixtures";

const PASSWORD = "S3cret-Pass-word!";
const SESSKEY = "AbCdEfGhIj";
const TOKEN = "0123456789abcdef0123456789abcdef";

function mcfgPage(userId: number, sesskey = SESSKEY): string {
  return `<html><head><script>
//<![CDATA[
var M = {}; M.yui = {};
M.cfg = {"wwwroot":"x","sesskey":"${sesskey}","userId":${userId}};
//]]>
</script></head><body><div id="region-main">ok</div></body></html>`;
}

const loginForm = `<html><body><form id="login" method="post"><input type="hidden" name="logintoken" value="LT0123456789abcdefLT0123456789ab"><input name="username"><input name="password"></form>${mcfgPage(0, "guestkey00")}</body></html>`;

interface Fake {
  url: string;
  hits: Record<string, number>;
  sessions: Set<string>;
  state: Record<string, unknown>;
  server: Server;
}

async function startFake(configure: (app: express.Express, f: Fake) => void): Promise<Fake> {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const f = { hits: {}, sessions: new Set<string>(), state: {} } as Fake;
  app.use((req, _res, next) => {
    const k = `${req.method} ${req.path}`;
    f.hits[k] = (f.hits[k] ?? 0) + 1;
    next();
  });
  let n = 0;
  const sessionOf = (req: express.Request) => /MoodleSession=([^;]+)/.exec(req.headers.cookie ?? "")?.[1];
  app.get("/login/index.php", (req, res) => {
    if (req.query.testsession) { res.redirect(303, "/my/"); return; }
    res.setHeader("Set-Cookie", `MoodleSession=guest${++n}; path=/; HttpOnly`);
    res.send(req.query.loginredirect ? loginForm.replace("<form", '<div id="loginerrormessage">Invalid login, please try again</div><form') : loginForm);
  });
  app.post("/login/index.php", (req, res) => {
    if (req.body.password !== PASSWORD || !req.body.logintoken) { res.redirect(303, "/login/index.php?loginredirect=1"); return; }
    const id = `sess${++n}`;
    f.sessions.add(id);
    res.setHeader("Set-Cookie", `MoodleSession=${id}; path=/; HttpOnly`);
    res.redirect(303, "/login/index.php?testsession=2");
  });
  app.get("/my/", (req, res) => {
    const s = sessionOf(req);
    if (!s || !f.sessions.has(s)) { res.redirect(303, "/login/index.php"); return; }
    if (f.state.forceChangePassword) { res.redirect(303, "/login/change_password.php"); return; }
    res.send(mcfgPage(2));
  });
  // Admin pages need a live session.
  app.use("/admin", (req, res, next) => {
    const s = sessionOf(req);
    if (!s || !f.sessions.has(s)) { res.redirect(303, "/login/index.php"); return; }
    next();
  });
  configure(app, f);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  f.server = server;
  f.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return f;
}

const stop = (f: Fake) => new Promise<void>((r) => f.server.close(() => r()));
const fast = { retryBaseMs: 5, retryMaxMs: 20 };
const conn = (f: Fake, extra: object = {}) => ({ url: f.url, username: "admin", password: PASSWORD, allowHttp: true, timeoutMs: 2000, retries: 3, ...extra });

describe("transport", () => {
  let f: Fake;
  beforeAll(async () => {
    f = await startFake((app, fake) => {
      app.get("/flaky", (_req, res) => {
        fake.state.flaky = ((fake.state.flaky as number) ?? 0) + 1;
        if ((fake.state.flaky as number) <= 2) { res.status(503).send("busy"); return; }
        res.send("ok");
      });
      app.get("/limited", (_req, res) => {
        fake.state.limited = ((fake.state.limited as number) ?? 0) + 1;
        if ((fake.state.limited as number) === 1) { res.status(429).set("Retry-After", "0").send("slow down"); return; }
        res.send("ok");
      });
      app.get("/reset", (req, res) => {
        fake.state.reset = ((fake.state.reset as number) ?? 0) + 1;
        if ((fake.state.reset as number) === 1) { req.socket.destroy(); return; }
        res.send("ok");
      });
      app.get("/slow", (_req, res) => {
        fake.state.slow = ((fake.state.slow as number) ?? 0) + 1;
        if ((fake.state.slow as number) === 1) return void setTimeout(() => res.send("late"), 600);
        res.send("ok");
      });
      app.get("/always503", (_req, res) => res.status(503).send("down"));
      app.post("/write", (_req, res) => res.status(503).send("down"));
      app.post("/write-reset", (req) => { req.socket.destroy(); });
    });
  });
  afterAll(() => stop(f));

  test("GET retried on 503 until it succeeds", async () => {
    const h = new MoodleHttp(conn(f), fast);
    const r = await h.request({ step: "t", method: "GET", path: "/flaky" });
    expect(r.body).toBe("ok");
    expect(f.hits["GET /flaky"]).toBe(3);
  });

  test("GET retried on 429", async () => {
    const r = await new MoodleHttp(conn(f), fast).request({ step: "t", method: "GET", path: "/limited" });
    expect(r.body).toBe("ok");
    expect(f.hits["GET /limited"]).toBe(2);
  });

  test("GET retried after a connection reset", async () => {
    const r = await new MoodleHttp(conn(f), fast).request({ step: "t", method: "GET", path: "/reset" });
    expect(r.body).toBe("ok");
    expect(f.hits["GET /reset"]).toBe(2);
  });

  test("GET retried after a timeout", async () => {
    const r = await new MoodleHttp(conn(f, { timeoutMs: 200 }), fast).request({ step: "t", method: "GET", path: "/slow" });
    expect(r.body).toBe("ok");
    expect(f.hits["GET /slow"]).toBe(2);
  });

  test("retries are bounded and the error says what happened", async () => {
    const err = await new MoodleHttp(conn(f, { retries: 2 }), fast).request({ step: "probe", method: "GET", path: "/always503?sesskey=AbCdEfGhIj" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleTransportError);
    expect(err.status).toBe(503);
    expect(f.hits["GET /always503"]).toBe(3);
    expect(err.message).toBe(`probe failed at /always503: GET ${new URL(f.url).host}: HTTP 503 after 3 attempt(s)`);
  });

  test("a non-idempotent POST is sent once, on 503 and on reset", async () => {
    const h = new MoodleHttp(conn(f), fast);
    await expect(h.request({ step: "w", method: "POST", path: "/write", form: { a: "1" } })).rejects.toThrow(/not retried/);
    expect(f.hits["POST /write"]).toBe(1);
    await expect(h.request({ step: "w", method: "POST", path: "/write-reset", form: { a: "1" } })).rejects.toBeInstanceOf(MoodleTransportError);
    expect(f.hits["POST /write-reset"]).toBe(1);
  });

  test("an idempotent POST is retried", async () => {
    const h = new MoodleHttp(conn(f, { retries: 1 }), fast);
    await expect(h.request({ step: "w", method: "POST", path: "/write", idempotent: true })).rejects.toThrow(/after 2 attempt/);
    expect(f.hits["POST /write"]).toBe(3);
  });

  test("plain http is refused unless allowed, naming the config key", () => {
    expect(() => new MoodleHttp({ url: "http://moodle.example.com" })).toThrow(/moodle:allowHttp/);
    expect(() => new MoodleHttp({ url: "ftp://moodle.example.com" })).toThrow(MoodleError);
    expect(() => new MoodleHttp({ url: "https://moodle.example.com/sub/" })).not.toThrow();
  });

  test("site in a subdirectory: paths resolve under it", () => {
    const h = new MoodleHttp({ url: "https://m.example.com/moodle" });
    expect(h.absolute("/login/index.php")).toBe("https://m.example.com/moodle/login/index.php");
    expect(h.sitePath("https://m.example.com/moodle/admin/x.php?a=1")).toBe("/admin/x.php?a=1");
    expect(h.sitePath("https://idp.example.com/saml")).toBeUndefined();
  });
});

describe("redaction", () => {
  test("sesskey, wstoken, 32-hex tokens and cookies are hidden", () => {
    const s = redact(`GET /a?sesskey=${SESSKEY}&wstoken=${TOKEN} token ${TOKEN} MoodleSession=abc123; "sesskey":"${SESSKEY}"`);
    expect(s).not.toContain(SESSKEY);
    expect(s).not.toContain(TOKEN);
    expect(s).not.toContain("abc123");
  });
  test("MoodleError messages never carry the query string", () => {
    const e = new MoodleError("x", `/admin/webservice/protocols.php?sesskey=${SESSKEY}&action=enable`, "boom");
    expect(e.message).toBe("x failed at /admin/webservice/protocols.php: boom");
  });
});

describe("session", () => {
  let f: Fake;
  beforeAll(async () => {
    f = await startFake((app, fake) => {
      app.get("/admin/page.php", (_req, res) => {
        fake.state.pageHits = ((fake.state.pageHits as number) ?? 0) + 1;
        if (fake.state.expireEveryTime) fake.sessions.clear();
        if (fake.state.expireOnce) {
          fake.state.expireOnce = false;
          fake.sessions.clear();
          return res.redirect(303, "/login/index.php");
        }
        if (fake.state.expireEveryTime) { res.redirect(303, "/login/index.php"); return; }
        res.send(mcfgPage(2));
      });
      app.get("/admin/forced", (_req, res) => res.redirect(303, "/admin/tool/mfa/auth.php"));
      app.get("/admin/sso", (_req, res) => res.redirect(303, "https://idp.example.com/login"));
    });
  });
  afterAll(() => stop(f));
  beforeEach(() => {
    f.state = {};
    f.hits = {};
  });

  test("logs in once, reads sesskey and user id, reuses the session", async () => {
    const logs: string[] = [];
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f), (m) => logs.push(m));
    // The login POST's redirect (testsession=2) names the user; the sesskey comes with the first page read.
    expect(await s.ensure()).toEqual({ userId: 2 });
    await s.request({ step: "read", path: "/admin/page.php" });
    expect(s.peek()).toMatchObject({ sesskey: SESSKEY, userId: 2 });
    await s.request({ step: "read", path: "/admin/page.php" });
    expect(f.hits["POST /login/index.php"]).toBe(1);
    expect(f.hits["GET /my/"]).toBeUndefined();
    expect(logs.join("\n")).not.toContain(PASSWORD);
    expect(logs.join("\n")).not.toContain(SESSKEY);
  });

  test("expired session: one fresh login, then the request is retried", async () => {
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    await s.ensure();
    f.state.expireOnce = true;
    const p = await s.request({ step: "read", path: "/admin/page.php" });
    expect(p.status).toBe(200);
    expect(f.hits["POST /login/index.php"]).toBe(2);
    expect(f.state.pageHits).toBe(2);
  });

  test("session lost again right after re-login: clear error, no loop", async () => {
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    await s.ensure();
    f.state.expireEveryTime = true;
    const err = await s.request({ step: "read page", path: "/admin/page.php" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleSessionError);
    expect(err.message).toMatch(/read page failed at \/admin\/page.php: .*even right after a fresh login/);
    expect(f.hits["POST /login/index.php"]).toBe(2);
  });

  test("bad password: MoodleLoginError with Moodle's words and no password", async () => {
    const bad = { ...conn(f), password: "Wrong-Pass-99" };
    const s = new MoodleSession(new MoodleHttp(bad, fast), bad);
    const err = await s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleLoginError);
    expect(err.message).toContain("Invalid login, please try again");
    expect(err.message).not.toContain("Wrong-Pass-99");
    // The session was alive (no new session cookie), so Moodle checked the password: no second attempt,
    // and none later either (lockout policies count failed logins).
    expect(f.hits["POST /login/index.php"]).toBe(1);
    await expect(s.ensure()).rejects.toBe(err);
    await expect(s.request({ step: "x", path: "/admin/settings.php" })).rejects.toBe(err);
    expect(f.hits["POST /login/index.php"]).toBe(1);
  });

  test("forced password change after login", async () => {
    f.state.forceChangePassword = true;
    const err = await new MoodleSession(new MoodleHttp(conn(f), fast), conn(f)).landed().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleForcedPageError);
    expect(err.message).toMatch(/change password/);
  });

  test("MFA and SSO redirects on admin pages are named", async () => {
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    await expect(s.request({ step: "x", path: "/admin/forced" })).rejects.toThrow(/multi-factor authentication/);
    await expect(s.request({ step: "x", path: "/admin/sso" })).rejects.toThrow(/idp\.example\.com/);
  });
});

describe("token creation is never replayed blindly", () => {
  let f: Fake;
  beforeAll(async () => {
    f = await startFake((app, fake) => {
      // The token list names the service: createToken reads the name from the service's edit form.
      app.get("/admin/webservice/service.php", (_req, res) => res.send(page("5.0", "p2-service-edit.html")));
      // The report's name filter, set and reset through lib/ajax/service.php as Moodle does.
      app.post("/lib/ajax/service.php", express.json({ type: () => true }), (req, res) => {
        const [call] = req.body as { methodname: string; args: { values?: string } }[];
        fake.state.filter = call.methodname === "core_reportbuilder_set_filters" ? JSON.parse(call.args.values!)["token:name_value"] : undefined;
        res.send(AJAX_OK);
      });
      app.get("/admin/webservice/tokens.php", (req, res) => {
        if (req.query.action === "create") { res.send(page("5.0", "p6-token-create-form.html")); return; }
        if (req.query.action === "delete") {
          const gone = ((fake.state.deleted as string[]) ?? []).includes(String(req.query.tokenid));
          if (gone) res.status(404).send(errorPage("Can't find data record in database.", "invalidrecordunknown"));
          else res.send(page("5.0", "e8-token-delete-confirm.html"));
          return;
        }
        // Each view, filtered by name or not, shows the next scripted list (these lists fit one page).
        const list = (fake.state.lists as string[]).shift() ?? "e1-tokens-list-empty.html";
        res.send(fake.state.filter === undefined ? page("5.0", list) : filteredByName(page("5.0", list), fake.state.filter as string));
      });
      app.post("/admin/webservice/tokens.php", (req, res) => {
        if (req.body.action === "create") {
          fake.state.createBody = req.body;
          if (fake.state.createFails === "503") { res.status(503).send(""); return; }
          if (fake.state.createFails === "reset") { req.socket.destroy(); return; }
          return res.redirect(303, "/admin/webservice/tokens.php");
        }
        fake.state.deleted = [...((fake.state.deleted as string[]) ?? []), req.body.tokenid];
        res.redirect(303, "/admin/webservice/tokens.php");
      });
    });
  });
  afterAll(() => stop(f));
  const req = { name: "percipio-token", userId: 2, serviceId: 3 };

  test("normal: one POST with the required fields, value captured from the next list view", async () => {
    f.state = { lists: ["e1-tokens-list-empty.html", "p8-tokens-list-new.html"] };
    f.hits = {};
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    const t = await createToken(s, req);
    expect(t.token).toBe("d0404eddcca13cc6e8cca357c682616b");
    expect(t.row.id).toBe(1);
    expect(f.state.createBody).toEqual({
      action: "create",
      // The sesskey of the session's first page read after login (the recorded service edit form).
      sesskey: parseMCfg(page("5.0", "p2-service-edit.html"))!.sesskey,
      _qf__core_webservice_token_form: "1",
      name: "percipio-token",
      user: "2",
      service: "3",
      iprestriction: "",
      submitbutton: "Save changes",
    });
  });

  test("expiry date is sent as validuntil[enabled]+day/month/year", async () => {
    f.state = { lists: ["e1-tokens-list-empty.html", "p8-tokens-list-new.html"] };
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    await createToken(s, { ...req, validUntil: "2027-03-09", ipRestriction: "10.0.0.0/8" });
    expect(f.state.createBody).toMatchObject({ "validuntil[enabled]": "1", "validuntil[day]": "9", "validuntil[month]": "3", "validuntil[year]": "2027", iprestriction: "10.0.0.0/8" });
  });

  test("503 on create, token absent: exactly one POST and a clear error", async () => {
    f.state = { lists: ["e1-tokens-list-empty.html", "e1-tokens-list-empty.html"], createFails: "503" };
    f.hits = {};
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toMatch(/no token was created \(POST .*HTTP 503 .*\); nothing to clean up/);
    expect(f.hits["POST /admin/webservice/tokens.php"]).toBe(1);
  });

  test("connection reset on create but Moodle did create it: value recovered from the list, no second POST", async () => {
    f.state = { lists: ["e1-tokens-list-empty.html", "p8-tokens-list-new.html"], createFails: "reset" };
    f.hits = {};
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    const t = await createToken(s, req);
    expect(t.token).toBe("d0404eddcca13cc6e8cca357c682616b");
    expect(f.hits["POST /admin/webservice/tokens.php"]).toBe(1);
  });

  test("created but value lost: the orphan is deleted and the error says so", async () => {
    f.state = { lists: ["e1-tokens-list-empty.html", "p9-tokens-list-again.html", "e1-tokens-list-empty.html"], createFails: "reset" };
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    const err = await createToken(s, req).catch((e) => e);
    expect(err.message).toMatch(/once-only display .* was lost .*deleted it again \(id 1\)/);
    expect(f.state.deleted).toEqual(["1"]);
    expect(err.message).not.toMatch(/[0-9a-f]{32}/);
  });

  test("refuses to create when the name already exists for that user and service", async () => {
    f.state = { lists: ["p9-tokens-list-again.html"] };
    f.hits = {};
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    await expect(createToken(s, req)).rejects.toThrow(/already exists .*token id 1/);
    expect(f.hits["POST /admin/webservice/tokens.php"]).toBeUndefined();
  });
});

describe("token list pagination", () => {
  let f: Fake;
  beforeAll(async () => {
    // Page 0 claims two rows in total at one row a page; page 1 shows the second.
    const first = page("5.0", "p9-tokens-list-again.html").replace('data-table-total-rows="1"', 'data-table-total-rows="2"').replace('data-table-page-size="30"', 'data-table-page-size="1"');
    const second = first.replace(/tokenid=1\b/g, "tokenid=2").replace(">percipio-token<", ">second-token<");
    f = await startFake((app, fake) => {
      app.get("/admin/webservice/tokens.php", (req, res) => {
        fake.state.pages = [...((fake.state.pages as string[]) ?? []), String(req.query.page ?? "")];
        res.send(req.query.page === "1" ? second : first);
      });
    });
  });
  afterAll(() => stop(f));

  test("follows ?page=N until the total is reached", async () => {
    const s = new MoodleSession(new MoodleHttp(conn(f), fast), conn(f));
    const rows = await listTokens(s);
    expect(rows.map((r) => [r.id, r.name])).toEqual([
      [1, "percipio-token"],
      [2, "second-token"],
    ]);
    expect(f.state.pages).toEqual(["", "1"]);
  });
});

describe("REST client", () => {
  let f: Fake;
  beforeAll(async () => {
    f = await startFake((app, fake) => {
      app.post("/webservice/rest/server.php", (req, res) => {
        fake.state.body = req.body;
        if (fake.state.off) { res.status(403).type("html").send(""); return; }
        if (req.body.wstoken !== TOKEN) { res.type("json").send(page("5.0", "p18-rest-bad-token.json")); return; }
        if (req.body.wsfunction === "percipio_progress_tracking") { res.type("json").send(page("5.0", "p15-rest-progress-empty-json.json")); return; }
        res.type("json").send(page("5.0", "f1-rest-ok.json"));
      });
    });
  });
  afterAll(() => stop(f));

  test("success body, form fields and no cookies", async () => {
    const c = new MoodleRestClient({ url: f.url, token: TOKEN, allowHttp: true }, fast);
    const info = await c.siteInfo();
    expect(info.release).toBe("5.0.6+ (Build: 20260403)");
    expect(f.state.body).toEqual({ wstoken: TOKEN, wsfunction: "core_webservice_get_site_info", moodlewsrestformat: "json" });
  });

  test("nested params are flattened", async () => {
    const c = new MoodleRestClient({ url: f.url, token: TOKEN, allowHttp: true }, fast);
    await expect(c.call("percipio_progress_tracking", { data: "{}", x: { a: [1, 2] } })).rejects.toBeInstanceOf(MoodleRestError);
    expect(f.state.body).toMatchObject({ data: "{}", "x[a][0]": "1", "x[a][1]": "2" });
  });

  test("Moodle exceptions become MoodleRestError without the token", async () => {
    const c = new MoodleRestClient({ url: f.url, token: "ffffffffffffffffffffffffffffffff", allowHttp: true }, fast);
    const err = (await c.call("core_webservice_get_site_info").catch((e: unknown) => e)) as MoodleRestError;
    expect(err).toBeInstanceOf(MoodleRestError);
    expect(err.errorcode).toBe("invalidtoken");
    expect(err.message).toBe("call core_webservice_get_site_info failed at /webservice/rest/server.php: invalidtoken: Invalid token - token not found");
  });

  test("403 with empty body: web services or REST off", async () => {
    f.state.off = true;
    const c = new MoodleRestClient({ url: f.url, token: TOKEN, allowHttp: true }, fast);
    await expect(c.call("percipio_image_upload", { data: "x" })).rejects.toBeInstanceOf(MoodleWebServicesUnavailableError);
    f.state.off = false;
  });
});
