// HTTP requests per client operation, counted in the double's request log: the budget of issue 9.
// Each operation runs on a fresh client (its own login) against a freshly reset site.
import { MoodleClient } from "../../moodle/client";
import { MoodleTarget, startMoodleTarget } from "../support/moodleTarget";

const fast = { retryBaseMs: 20, retryMaxMs: 200 };

describe("HTTP request budget per operation (double 5.0)", () => {
  let t: MoodleTarget;
  beforeAll(async () => {
    t = await startMoodleTarget({ moodleVersion: "5.0", timeoutMs: 15_000 });
  });
  afterAll(() => t?.stop());

  /** Requests made by `run` on a fresh client against a reset site (after `setup`, which is not counted). */
  async function count(run: (c: MoodleClient) => Promise<unknown>, setup?: (c: MoodleClient) => Promise<unknown>): Promise<string[]> {
    t.control!.reset();
    if (setup) await setup(new MoodleClient(t.conn, fast));
    t.control!.clearRequests();
    await run(new MoodleClient(t.conn, fast));
    return t.control!.requests().map((r) => `${r.method} ${r.path}`);
  }

  test("login is the form and the POST (its redirect says success); the first page read gives the sesskey and answers the version check", async () => {
    const log = await count((c) => c.webServicesEnabled());
    expect(log).toEqual(["GET /login/index.php", "POST /login/index.php", "GET /admin/settings.php?section=optionalsubsystems"]);
  });

  test("a write before any page read reads the dashboard once for the sesskey", async () => {
    const log = await count(async (c) => {
      await c.deleteToken(999);
      await c.deleteToken(998);
    });
    expect(log).toEqual([
      "GET /login/index.php",
      "POST /login/index.php",
      "GET /my/",
      "POST /admin/webservice/tokens.php",
      "POST /admin/webservice/tokens.php",
    ]);
  });

  test("enable web services as a provider does (read, set): one read, the POST (a forced setting is seen in the read)", async () => {
    const log = await count(async (c) => {
      await c.session();
      await c.version();
      await c.webServicesEnabled();
      await c.setWebServicesEnabled(true);
    });
    expect(log.slice(2).filter((l) => l.includes("optionalsubsystems"))).toEqual([
      "GET /admin/settings.php?section=optionalsubsystems",
      "POST /admin/settings.php?section=optionalsubsystems",
    ]);
  });

  test("enable REST as a provider does (read, set): one read, the toggle, one read-back", async () => {
    const log = await count(async (c) => {
      await c.enabledProtocols();
      await c.setProtocolEnabled("rest", true);
    });
    expect(log.filter((l) => l.includes("webserviceprotocols") || l.includes("protocols.php"))).toHaveLength(3);
  });

  test("finding mod_percipio's service reads the list once and only the edit forms up to the match", async () => {
    const log = await count(async (c) => {
      expect(await c.findService({ shortname: "Percipio-API" })).toBeDefined();
      expect(await c.findService({ shortname: "Percipio-API" })).toBeDefined();
    });
    // The second lookup reads only the remembered service's edit form, fresh.
    expect(log.filter((l) => l.includes("externalservices"))).toHaveLength(1);
    expect(log.filter((l) => l.includes("/admin/webservice/service.php"))).toEqual(["GET /admin/webservice/service.php?id=3", "GET /admin/webservice/service.php?id=3"]);
  });

  test("a remembered service whose edit form no longer has the shortname is looked up in the list again", async () => {
    const c = new MoodleClient(t.conn, fast);
    t.control!.reset();
    const percipio = await c.findService({ shortname: "Percipio-API" });
    t.control!.patchState({ services: t.control!.state().services.map((s) => (s.id === percipio!.id ? { ...s, shortname: "renamed" } : s)) });
    expect(await c.findService({ shortname: "Percipio-API" })).toBeUndefined();
    expect(await c.findService({ shortname: "renamed" })).toMatchObject({ id: percipio!.id });
  });

  test("saving Percipio settings as a provider does (read, set): one read, the POST (a forced setting is seen in the read)", async () => {
    const log = await count(async (c) => {
      await c.pluginSettings();
      await c.setPluginSettings({ clientid: "abc_DEF-123" });
    });
    expect(log.filter((l) => l.includes("modsettingpercipio"))).toHaveLength(2);
  });

  test("create a token as the provider does (find the service, list, create): no token form read, no second list before the POST", async () => {
    const log = await count(async (c) => {
      const service = await c.findService({ shortname: "Percipio-API" });
      await c.listTokens();
      t.control!.clearRequests();
      await c.createToken({ name: "budget", userId: 2, serviceId: service!.id });
    });
    expect(log.map((l) => l.replace(/sesskey=\w+/, "sesskey=S"))).toEqual([
      "POST /lib/ajax/service.php?sesskey=S&info=core_reportbuilder_set_filters",
      "GET /admin/webservice/tokens.php",
      "POST /admin/webservice/tokens.php",
      "GET /admin/webservice/tokens.php",
      "POST /lib/ajax/service.php?sesskey=S&info=core_reportbuilder_filters_reset",
    ]);
  });

  test("'what was there before' right before a write may reuse the page read since the last write; a plain read may not", async () => {
    const log = await count(async (c) => {
      await c.webServicesEnabled();
      await c.pluginSettings();
      await c.webServicesEnabled(true);
      await c.pluginSettings(true);
      await c.pluginSettings();
    });
    expect(log.filter((l) => l.includes("optionalsubsystems"))).toHaveLength(1);
    expect(log.filter((l) => l.includes("modsettingpercipio"))).toHaveLength(2);
  });

  test("a write forgets only the pages it can change: the check before another write still reuses its page", async () => {
    const log = await count(async (c) => {
      await c.webServicesEnabled();
      await c.pluginSettings();
      expect(await c.findService({ shortname: "Percipio-API" })).toBeDefined();
      await c.setProtocolEnabled("rest", true);
      await c.setWebServicesEnabled(true);
      await c.setPluginSettings({ clientid: "abc_DEF-123" });
      // The service lookup right before a write (the provider's create) reuses the form read above.
      expect(await c.findService({ shortname: "Percipio-API" }, true)).toMatchObject({ enabled: true });
    });
    expect(log.filter((l) => l === "GET /admin/settings.php?section=optionalsubsystems")).toHaveLength(1);
    expect(log.filter((l) => l === "GET /admin/settings.php?section=modsettingpercipio")).toHaveLength(1);
    expect(log.filter((l) => l.startsWith("GET /admin/webservice/service.php"))).toHaveLength(1);
  });

  test("a write forgets the pages it changes: the check before the next write reads them again", async () => {
    const log = await count(async (c) => {
      await c.webServicesEnabled();
      await c.setWebServicesEnabled(true);
      await c.setWebServicesEnabled(false);
      const service = await c.findService({ shortname: "Percipio-API" });
      await c.setServiceEnabled(service!.id, false);
      expect(await c.findService({ shortname: "Percipio-API" }, true)).toMatchObject({ enabled: false });
    });
    expect(log.filter((l) => l === "POST /admin/settings.php?section=optionalsubsystems")).toHaveLength(2);
    // Read, then (after each POST) read again before the next write: no page outlives a write to it.
    expect(log.filter((l) => l === "GET /admin/settings.php?section=optionalsubsystems").length).toBeGreaterThanOrEqual(2);
    expect(log.filter((l) => l === "GET /admin/webservice/service.php?id=3").length).toBeGreaterThanOrEqual(2);
  });

  test("plain reads always go to Moodle: a change behind the client's back is seen", async () => {
    const log = await count(async (c) => {
      expect(await c.webServicesEnabled()).toBe(false);
      t.control!.patchState({ config: { enablewebservices: "1" } });
      expect(await c.webServicesEnabled()).toBe(true);
      expect(await c.findService({ shortname: "Percipio-API" })).toMatchObject({ enabled: true });
      t.control!.patchState({ services: t.control!.state().services.map((s) => ({ ...s, enabled: false })) });
      expect(await c.findService({ shortname: "Percipio-API" })).toMatchObject({ enabled: false });
    });
    expect(log.filter((l) => l === "GET /admin/settings.php?section=optionalsubsystems")).toHaveLength(2);
  });

  test("a write between two reads makes the second read go to Moodle (a human change is never missed)", async () => {
    const log = await count(async (c) => {
      await c.webServicesEnabled();
      t.control!.patchState({ config: { enablewebservices: "1" } });
      await c.setProtocolEnabled("rest", true);
      expect(await c.webServicesEnabled()).toBe(true);
    });
    expect(log.filter((l) => l === "GET /admin/settings.php?section=optionalsubsystems")).toHaveLength(2);
  });
});
