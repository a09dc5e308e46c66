import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import axios from "axios";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { $, Browser } from "./helpers";

const raw = (url: string, method = "GET", data?: unknown) =>
  axios.request({ url, method, data, validateStatus: () => true, timeout: 5000, maxRedirects: 0 });

describe("moodle double: control API, faults, persistence", () => {
  test("HTTP control API is off by default (404) but the in-process control works", async () => {
    const d = await startMoodleDouble();
    try {
      expect((await raw(`${d.url}/__control/state`)).status).toBe(404);
      expect((await raw(`${d.url}/__control/reset`, "POST")).status).toBe(404);
      d.control.patchState({ config: { enablewebservices: "1" } });
      expect(d.control.state().config.enablewebservices).toBe("1");
    } finally {
      await d.stop();
    }
  });

  describe("with control enabled", () => {
    let d: MoodleDouble;
    beforeAll(async () => {
      d = await startMoodleDouble({ control: true });
    });
    afterAll(() => d.stop());
    beforeEach(() => d.control.reset());

    test("counts the most requests and distinct sessions in flight at once, until the log is cleared", async () => {
      d.control.injectFault({ path: "/login/index.php", kind: "latency", ms: 150 });
      const get = (cookie?: string) =>
        axios.get(`${d.url}/login/index.php`, { headers: cookie ? { Cookie: `MoodleSession=${cookie}` } : {}, validateStatus: () => true, maxRedirects: 0 });
      await Promise.all([get("same"), get("same"), get("same")]);
      expect(d.control.concurrency()).toEqual({ maxRequests: 3, maxClients: 1 });
      await Promise.all([get("one"), get("two")]);
      expect(d.control.concurrency()).toEqual({ maxRequests: 3, maxClients: 2 });
      d.control.clearRequests();
      expect(d.control.concurrency()).toEqual({ maxRequests: 0, maxClients: 0 });
      await get("one");
      await get("two");
      expect(d.control.concurrency()).toEqual({ maxRequests: 1, maxClients: 1 });
    });

    test("state, patch (drift), reset, requests, expire-sessions over HTTP", async () => {
      const st = (await raw(`${d.url}/__control/state`)).data;
      expect(st.services.find((s: { shortname: string }) => s.shortname === "Percipio-API").id).toBe(3);
      expect(st.config.webserviceprotocols).toBeUndefined();
      const patched = (await raw(`${d.url}/__control/state`, "PATCH", { config: { enablewebservices: "1" }, pluginConfig: { percipio: { clientid: "drift" } } })).data;
      expect(patched.config.enablewebservices).toBe("1");
      expect(patched.pluginConfig.percipio.piiinfo).toBe("no");
      const b = new Browser(d.url);
      await b.login();
      const page = $((await b.get("/admin/settings.php?section=modsettingpercipio")).body);
      expect(page("#id_s_percipio_clientid").attr("value")).toBe("drift");
      const log = (await raw(`${d.url}/__control/requests`)).data as { method: string; path: string; status: number }[];
      expect(log.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
        "GET /login/index.php 200",
        "POST /login/index.php 303",
        "GET /login/index.php?testsession=2 303",
        "GET /my/ 200",
        "GET /admin/settings.php?section=modsettingpercipio 200",
      ]);
      await raw(`${d.url}/__control/requests`, "DELETE");
      expect((await raw(`${d.url}/__control/requests`)).data).toEqual([]);
      await raw(`${d.url}/__control/expire-sessions`, "POST");
      expect((await b.get("/admin/webservice/tokens.php")).status).toBe(303);
      await raw(`${d.url}/__control/reset`, "POST");
      expect((await raw(`${d.url}/__control/state`)).data.pluginConfig.percipio.clientid).toBe("");
    });

    test("fault: status 503 for `times` requests on a method + path prefix, then normal", async () => {
      await raw(`${d.url}/__control/faults`, "POST", { method: "GET", path: "/login/", kind: "status", status: 503, times: 2 });
      expect((await raw(`${d.url}/login/index.php`)).status).toBe(503);
      expect((await raw(`${d.url}/login/index.php`, "POST")).status).toBe(303);
      expect((await raw(`${d.url}/login/index.php`)).status).toBe(503);
      expect((await raw(`${d.url}/login/index.php`)).status).toBe(200);
      d.control.injectFault({ path: "/admin/", kind: "status", status: 429 });
      expect((await raw(`${d.url}/admin/settings.php?section=optionalsubsystems`)).status).toBe(429);
      expect((await raw(`${d.url}/admin/settings.php?section=optionalsubsystems`)).status).toBe(429);
      await raw(`${d.url}/__control/faults`, "DELETE");
      expect((await raw(`${d.url}/admin/settings.php?section=optionalsubsystems`)).status).toBe(303);
    });

    test("fault: latency", async () => {
      d.control.injectFault({ path: "/login/index.php", kind: "latency", ms: 400, times: 1 });
      const t0 = Date.now();
      expect((await raw(`${d.url}/login/index.php`)).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    });

    test("fault: connection reset", async () => {
      d.control.injectFault({ path: "/webservice/", kind: "reset", times: 1 });
      await expect(raw(`${d.url}/webservice/rest/server.php`)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|ERR_BAD_RESPONSE|ECONNABORTED|socket hang up/) });
      expect((await raw(`${d.url}/webservice/rest/server.php`)).status).toBe(403);
      expect(d.control.requests().map((r) => r.status)).toEqual([0, 403]);
    });

    test("fault: timeout (never answers)", async () => {
      d.control.injectFault({ path: "/admin/webservice/tokens.php", kind: "timeout", times: 1 });
      await expect(axios.get(`${d.url}/admin/webservice/tokens.php`, { timeout: 300 })).rejects.toMatchObject({ code: "ECONNABORTED" });
      expect((await raw(`${d.url}/admin/webservice/tokens.php`)).status).toBe(303);
    });

    test("fault: expire-session drops the caller's session before the request is handled", async () => {
      const b = new Browser(d.url);
      await b.login();
      d.control.injectFault({ method: "GET", path: "/admin/webservice/tokens.php", kind: "expire-session", times: 1 });
      const r = await b.get("/admin/webservice/tokens.php");
      expect(r.status).toBe(303);
      expect(r.location).toBe(`${d.url}/login/index.php`);
    });

    test("fault: error-page answers with Moodle's exception page in the caller's session, then the site recovers", async () => {
      const b = new Browser(d.url);
      await b.login();
      d.control.injectFault({ method: "GET", path: "/admin/webservice/service.php", kind: "error-page", times: 1 });
      const r = await b.get("/admin/webservice/service.php?id=3");
      expect(r.status).toBe(404);
      expect($(r.body)("p.errormessage").text()).toBe("Error reading from database");
      expect($(r.body)("p.errorcode a").attr("href")).toMatch(/\/error\/moodle\/dmlreadexception$/);
      expect($(r.body)("title").text()).toMatch(/^Error \| /);
      expect((await b.get("/admin/webservice/service.php?id=3")).status).toBe(200);
      d.control.injectFault({ path: "/admin/", kind: "error-page", message: "Some other failure", errorcode: "generalexceptionmessage", times: 1 });
      expect($((await b.get("/admin/settings.php?section=externalservices")).body)("p.errormessage").text()).toBe("Some other failure");
    });

    test("clock: PUT stops the double's clock at a second, DELETE or reset lets it run; a bad body is refused", async () => {
      expect((await raw(`${d.url}/__control/clock`, "PUT", { now: 1_900_000_000 })).data).toEqual({ now: 1_900_000_000 });
      expect((await raw(`${d.url}/__control/clock`)).data).toEqual({ now: 1_900_000_000 });
      expect(d.control.clock()).toBe(1_900_000_000);
      expect((await raw(`${d.url}/__control/clock`, "PUT", { now: "soon" })).status).toBe(400);
      const running = (await raw(`${d.url}/__control/clock`, "DELETE")).data.now as number;
      expect(Math.abs(running - Date.now() / 1000)).toBeLessThan(5);
      d.control.setClock(5);
      await raw(`${d.url}/__control/reset`, "POST");
      expect(Math.abs(d.control.clock() - Date.now() / 1000)).toBeLessThan(5);
    });

    test("bad fault specs are refused", async () => {
      expect((await raw(`${d.url}/__control/faults`, "POST", { path: "/x", kind: "explode" })).status).toBe(400);
    });
  });

  test("state persists across a restart with stateFile (atomic JSON file)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moodle-double-"));
    const file = path.join(dir, "state.json");
    try {
      const d1 = await startMoodleDouble({ stateFile: file });
      const b = new Browser(d1.url);
      const sk = await b.login();
      await b.post("/admin/settings.php", { section: "optionalsubsystems", action: "save-settings", sesskey: sk, return: "", s__enablewebservices: "1" });
      await b.post("/admin/webservice/tokens.php", {
        action: "create",
        sesskey: sk,
        _qf__core_webservice_token_form: "1",
        name: "persisted",
        user: "2",
        service: "3",
        iprestriction: "",
      });
      await d1.stop();
      const onDisk = JSON.parse(fs.readFileSync(file, "utf8"));
      expect(onDisk.config.enablewebservices).toBe("1");
      expect(fs.readdirSync(dir)).toEqual(["state.json"]);
      const d2 = await startMoodleDouble({ stateFile: file });
      try {
        expect(d2.control.state().tokens.map((t) => t.name)).toEqual(["persisted"]);
        const b2 = new Browser(d2.url);
        await b2.login();
        const p = $((await b2.get("/admin/webservice/tokens.php")).body);
        expect(p("#system-report-table-1_r0_c0").text()).toBe("persisted");
        expect(p("#copytoclipboardtoken").length).toBe(0);
      } finally {
        await d2.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
