// One suite for the Moodle admin client, end to end against a target from tests/support/moodleTarget.ts:
// the Moodle double (both imitated versions, plus fault injection) or, in acceptance mode, a real Moodle.
// On a real site everything created carries a unique prefix and is removed, and changed settings are restored.
import { clearClientCache, clientFor, MoodleClient } from "../../moodle/client";
import { MoodleRestClient } from "../../moodle/rest";
import { MoodleError, MoodleLoginError, MoodleRestError, MoodleValidationError, MoodleWebServicesUnavailableError } from "../../moodle/errors";
import type { PercipioPluginSettings } from "../../moodle/types";
import { DoubleVersion, FaultSpec, MoodleTarget, REAL_TARGET, recordRequests, startMoodleTarget } from "../support/moodleTarget";

const TARGETS: (DoubleVersion | undefined)[] = REAL_TARGET ? [undefined] : ["5.0", "4.5"];
const SERVICE_ID: Record<DoubleVersion, number> = { "5.0": 3, "4.5": 2 };
const HEX32 = /^[0-9a-f]{32}$/;
const fast = { retryBaseMs: 20, retryMaxMs: 200 };

const suite = describe;

suite.each(TARGETS.map((v) => [v ?? "real Moodle"] as const))("Moodle client against %s", (label) => {
  const version = label === "real Moodle" ? undefined : (label as DoubleVersion);
  let t: MoodleTarget;
  let c: MoodleClient;
  const restore: (() => Promise<unknown>)[] = [];
  let serviceId: number;
  const logs: string[] = [];

  beforeAll(async () => {
    t = await startMoodleTarget({ moodleVersion: version, timeoutMs: 15_000 });
    c = new MoodleClient(t.conn, { ...fast, log: (m) => logs.push(m) });
  });

  afterAll(async () => {
    if (!t) return;
    try {
      const cleaner = new MoodleClient(t.conn, fast);
      t.control?.clearFaults();
      for (const r of restore.reverse()) await r().catch((e) => console.error(`restore failed: ${e}`));
      for (const tok of await cleaner.listTokens()) {
        if (tok.name.startsWith(t.prefix)) await cleaner.deleteToken(tok.id);
      }
    } finally {
      await t.stop();
    }
  });

  test("logs in and knows the admin's user id", async () => {
    const s = await c.session();
    if (t.kind === "double") expect(s.userId).toBe(2);
    else expect(s.userId).toBeGreaterThan(0);
  });

  test("reads a supported version", async () => {
    const v = await c.version();
    expect(v.release).toMatch(/\(Build: \d+\)/);
    if (version) expect(`${v.major}.${v.minor}`).toBe(version);
    else expect(v.major * 100 + v.minor).toBeGreaterThanOrEqual(405);
  });

  test("web services off and on, read back each time", async () => {
    const initial = await c.webServicesEnabled();
    restore.push(() => c.setWebServicesEnabled(initial));
    await c.setWebServicesEnabled(!initial);
    expect(await c.webServicesEnabled()).toBe(!initial);
    await c.setWebServicesEnabled(initial);
    expect(await c.webServicesEnabled()).toBe(initial);
    await c.setWebServicesEnabled(initial); // no-op when already so
  });

  test("REST on and off without touching SOAP", async () => {
    const initial = await c.enabledProtocols();
    const soap = initial.includes("soap");
    restore.push(() => c.setProtocolEnabled("rest", initial.includes("rest")));
    await c.setProtocolEnabled("rest", true);
    let now = await c.enabledProtocols();
    expect(now).toContain("rest");
    expect(now.includes("soap")).toBe(soap);
    await c.setProtocolEnabled("rest", false);
    now = await c.enabledProtocols();
    expect(now).not.toContain("rest");
    expect(now.includes("soap")).toBe(soap);
    await expect(c.setProtocolEnabled("xmlrpc", true)).rejects.toThrow(/not installed/);
  });

  test("finds Percipio services by shortname and by name", async () => {
    const s = await c.findService({ shortname: "Percipio-API" });
    expect(s).toMatchObject({ name: "Percipio services", shortname: "Percipio-API", component: "mod_percipio", builtin: true, restrictedUsers: false });
    if (version) expect(s!.id).toBe(SERVICE_ID[version]);
    serviceId = s!.id;
    expect((await c.findService({ name: "Percipio services" }))?.id).toBe(serviceId);
    expect(await c.findService({ shortname: "no-such-service-xyz" })).toBeUndefined();
    const all = await c.listServices();
    expect(all.map((x) => x.id)).toContain(serviceId);
  });

  test("disables and re-enables the service", async () => {
    const initial = (await c.findService({ shortname: "Percipio-API" }))!.enabled;
    restore.push(() => c.setServiceEnabled(serviceId, initial));
    await c.setServiceEnabled(serviceId, false);
    expect((await c.findService({ shortname: "Percipio-API" }))!.enabled).toBe(false);
    await c.setServiceEnabled(serviceId, true);
    expect((await c.findService({ shortname: "Percipio-API" }))!.enabled).toBe(true);
  });

  test("refuses to change 'Authorised users only' on the built-in service", async () => {
    await expect(c.setServiceRestrictedUsers(serviceId, true)).rejects.toThrow(/built-in service/);
    await c.setServiceRestrictedUsers(serviceId, false); // already so: no-op
  });

  test("authorises and deauthorises the admin on the service", async () => {
    const me = (await c.session()).userId;
    const initially = (await c.authorisedUsers(serviceId)).some((u) => u.id === me);
    restore.push(() => (initially ? c.authoriseUser(serviceId, me) : c.deauthoriseUser(serviceId, me)));
    await c.authoriseUser(serviceId, me);
    expect((await c.authorisedUsers(serviceId)).map((u) => u.id)).toContain(me);
    await c.deauthoriseUser(serviceId, me);
    expect((await c.authorisedUsers(serviceId)).map((u) => u.id)).not.toContain(me);
  });

  test("resolves user ids", async () => {
    const me = (await c.session()).userId;
    expect(await c.userIdFor(t.conn.username)).toBe(me);
    if (t.kind === "double") {
      expect(await c.userIdFor("admin@example.com")).toBe(2);
      await expect(c.userIdFor("nobody-here@example.invalid")).rejects.toThrow(/no user with username or email/);
    }
  });

  test("token lifecycle: create, capture once, refuse duplicate, use over REST, delete", async () => {
    const me = (await c.session()).userId;
    const name = `${t.prefix}token`;
    const created = await c.createToken({ name, userId: me, serviceId });
    expect(created.token).toMatch(HEX32);
    expect(created.row).toMatchObject({ name, serviceName: "Percipio services", serviceShortname: "Percipio-API", ipRestriction: "", validUntil: null });
    expect((await c.listTokens()).filter((r) => r.name === name).map((r) => r.id)).toEqual([created.row.id]);
    await expect(c.createToken({ name, userId: me, serviceId })).rejects.toThrow(/already exists/);
    expect((await c.listTokens()).filter((r) => r.name === name)).toHaveLength(1);

    // REST needs web services and the protocol; restore both afterwards.
    const ws = await c.webServicesEnabled();
    const rest = (await c.enabledProtocols()).includes("rest");
    try {
      const api = new MoodleRestClient({ ...t.conn, token: created.token }, fast);
      await c.setWebServicesEnabled(false);
      await expect(api.call("percipio_progress_tracking", { data: "{}" })).rejects.toBeInstanceOf(MoodleWebServicesUnavailableError);
      await c.setWebServicesEnabled(true);
      await c.setProtocolEnabled("rest", true);
      const err = await api.call("percipio_progress_tracking", { data: "{}" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MoodleRestError);
      expect((err as MoodleRestError).errorcode).toBe("errorinvalidparam");
      expect((err as Error).message).not.toContain(created.token);
    } finally {
      await c.setProtocolEnabled("rest", rest);
      await c.setWebServicesEnabled(ws);
    }

    await c.deleteToken(created.row.id);
    expect((await c.listTokens()).some((r) => r.id === created.row.id)).toBe(false);

    // Nothing the client logged carries a secret.
    const all = logs.join("\n");
    expect(all).toMatch(/logged in/);
    expect(all).not.toContain(created.token);
    expect(all).not.toContain(t.conn.password);
    expect(all).not.toMatch(/sesskey=(?!\[REDACTED\])/);
  });

  test("concurrent token list views do not steal the once-only value", async () => {
    const me = (await c.session()).userId;
    const name = `${t.prefix}concurrent`;
    const [created] = await Promise.all([c.createToken({ name, userId: me, serviceId }), c.listTokens(), c.listTokens(), c.listServices()]);
    expect(created.token).toMatch(HEX32);
    await c.deleteToken(created.row.id);
  });

  test("token with IP restriction and expiry date", async () => {
    const me = (await c.session()).userId;
    const name = `${t.prefix}dated`;
    const created = await c.createToken({ name, userId: me, serviceId, validUntil: "2030-01-15", ipRestriction: "10.0.0.0/8" });
    expect(created.row.validUntil).toBe("2030-01-15");
    expect(created.row.ipRestriction).toBe("10.0.0.0/8");
    await c.deleteToken(created.row.id);
  });

  test("Percipio settings: read, write a subset, validation error, refused keys", async () => {
    const initial = await c.pluginSettings();
    restore.push(() => c.setPluginSettings(initial));
    expect(Object.keys(initial).sort()).toEqual(
      ["authenticationmethod", "bearertoken", "clientid", "clientsecret", "oauthurl", "organizationid", "percipiourl", "piiinfo", "scope"].sort(),
    );
    if (t.kind === "double") expect(initial).toMatchObject({ authenticationmethod: "service_account_bearer_token", piiinfo: "no", clientid: "" });

    const oauth: Partial<PercipioPluginSettings> = {
      authenticationmethod: "oauth",
      clientid: "abc_DEF-123",
      clientsecret: "s3cr3t_VALUE-1",
      oauthurl: "https://oauth2-provider.percipio.com",
      percipiourl: "https://api.percipio.com",
      organizationid: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
      scope: "api",
    };
    await c.setPluginSettings(oauth);
    const after = await c.pluginSettings();
    expect(after).toMatchObject(oauth);
    expect(after.piiinfo).toBe(initial.piiinfo);

    const err = await c.setPluginSettings({ clientid: "a b!", scope: "api2" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MoodleValidationError);
    expect((err as MoodleValidationError).fields).toEqual({ clientid: ["This value is not valid"] });
    const stored = await c.pluginSettings();
    expect(stored.clientid).toBe("abc_DEF-123");
    expect(stored.scope).toBe("api2"); // Moodle saves the valid fields of the same POST

    await expect(c.setPluginSettings({ authenticationmethod: "foo" })).rejects.toBeInstanceOf(MoodleValidationError);
    await expect(c.setPluginSettings({ oauthToken: "x" } as unknown as Partial<PercipioPluginSettings>)).rejects.toThrow(/written by the plugin at run time/);
  });

  // ---- behaviours only the double can stage ----
  const doubleTest = REAL_TARGET ? test.skip : test;
  const doubleNote = REAL_TARGET ? " (skipped: needs the Moodle double's control API; the target is a real Moodle)" : "";

  test(
    "lists more than one report page of tokens",
    async () => {
      const me = (await c.session()).userId;
      let bulk: number;
      let giveBack: () => Promise<unknown>;
      if (t.control) {
        // The double takes 35 tokens at once; ours then sorts after them (no expiry, newest id), on page two.
        const ctl = t.control;
        const before = (ctl.state() as { tokens: unknown[] }).tokens;
        bulk = 35;
        const many = Array.from({ length: bulk }, (_, i) => ({
          id: 1000 + i,
          token: (1000 + i).toString(16).padStart(32, "0"),
          name: `${t.prefix}bulk-${i}`,
          userId: 2,
          serviceId,
          iprestriction: "",
          validuntil: 0,
          lastaccess: 0,
          creatorId: 2,
          timecreated: 1_700_000_000,
        }));
        ctl.patchState({ tokens: [...before, ...many] });
        giveBack = async () => ctl.patchState({ tokens: before });
      } else {
        // A real site: as many tokens of ours, made through the pages, as a second report page (30 rows) needs.
        bulk = Math.max(1, 31 - (await c.listTokens()).length);
        for (let i = 0; i < bulk; i++) await c.createToken({ name: `${t.prefix}bulk-${i}`, userId: me, serviceId });
        giveBack = async () => undefined; // afterAll deletes every token of ours
      }
      try {
        const names = (await c.listTokens()).map((r) => r.name).filter((n) => n.startsWith(`${t.prefix}bulk-`));
        expect(names).toHaveLength(bulk);
        // With more than a page of tokens, capture, the duplicate check and deletion must all read past page one.
        const created = await c.createToken({ name: `${t.prefix}paged`, userId: me, serviceId });
        expect(created.token).toMatch(HEX32);
        await expect(c.createToken({ name: `${t.prefix}paged`, userId: me, serviceId })).rejects.toThrow(/already exists/);
        await c.deleteToken(created.row.id);
        expect((await c.listTokens()).some((x) => x.id === created.row.id)).toBe(false);
      } finally {
        await giveBack();
      }
    },
    REAL_TARGET ? 600_000 : undefined,
  );

  test("a service id Moodle has no record of reads as gone; an existing one reads back", async () => {
    expect(await c.getService(987_654)).toBeUndefined();
    expect(await c.getService(serviceId)).toMatchObject({ id: serviceId, shortname: "Percipio-API", builtin: true });
  });

  doubleTest(`a transient Moodle error page while reading services is an error, never a deleted service${doubleNote}`, async () => {
    const ctl = t.control!;
    const fc = new MoodleClient(t.conn, fast);
    await fc.version();
    const transient = { method: "GET", path: "/admin/webservice/service.php", kind: "error-page", times: 1 } as const;
    try {
      ctl.injectFault(transient);
      await expect(fc.getService(serviceId)).rejects.toThrow(/Moodle said "Error reading from database"/);
      ctl.injectFault(transient);
      await expect(fc.listServices()).rejects.toThrow(/Moodle said "Error reading from database"/);
      ctl.injectFault(transient);
      await expect(fc.findService({ shortname: "Percipio-API" })).rejects.toThrow(/Moodle said "Error reading from database"/);
    } finally {
      ctl.clearFaults();
    }
    expect((await fc.findService({ shortname: "Percipio-API" }))?.id).toBe(serviceId);
  });

  doubleTest(`a service deleted between the list and its edit form is left out; Moodle's missing-record codes read as gone${doubleNote}`, async () => {
    const ctl = t.control!;
    const fc = new MoodleClient(t.conn, fast);
    await fc.version();
    const missing = (errorcode: string) =>
      ({ method: "GET", path: "/admin/webservice/service.php", kind: "error-page", message: "Can't find data record in database.", errorcode, times: 1 }) as const;
    try {
      // The list's first row is the mobile service (id 1); its edit form now says the record is gone.
      ctl.injectFault(missing("invalidrecordunknown"));
      const listed = await fc.listServices();
      expect(listed.map((x) => x.id)).not.toContain(1);
      expect(listed.find((x) => x.id === serviceId)).toMatchObject({ shortname: "Percipio-API" });
      // dml_missing_record_exception names the table in some paths (invalidrecord): still gone.
      ctl.injectFault(missing("invalidrecord"));
      expect(await fc.getService(serviceId)).toBeUndefined();
    } finally {
      ctl.clearFaults();
    }
  });

  test("a wrong password costs one failed login POST per client, whatever calls and resources follow", async () => {
    const wrong = { ...t.conn, password: `${t.conn.password}-wrong` };
    const rec = recordRequests(); // counted at the client's transport, so this runs on a real Moodle too
    const loginPosts = () => rec.requests.filter((r) => r.startsWith("POST /login/index.php")).length;
    clearClientCache();
    try {
      const first = clientFor(wrong, { ...fast, log: rec.log });
      const err = await first.session().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MoodleLoginError);
      expect((err as Error).message).toMatch(/Invalid login/);
      expect((err as Error).message).not.toContain(wrong.password);
      expect(loginPosts()).toBe(1);
      // Every later call, concurrent or not, and every other resource of the run fails fast with the same error.
      const again = await Promise.all([
        first.listTokens().catch((e: unknown) => e),
        first.webServicesEnabled().catch((e: unknown) => e),
        first.findService({ shortname: "Percipio-API" }).catch((e: unknown) => e),
        clientFor({ ...wrong }, fast).session().catch((e: unknown) => e),
      ]);
      for (const e of again) expect((e as Error).message).toBe((err as Error).message);
      expect(loginPosts()).toBe(1);
    } finally {
      clearClientCache();
    }
  });

  doubleTest(`a login page or login POST that timed out is still one password check${doubleNote}`, async () => {
    const ctl = t.control!;
    const wrong = { ...t.conn, password: `${t.conn.password}-wrong`, timeoutMs: 1000 };
    const answeredLoginPosts = () => ctl.requests().filter((r) => r.method === "POST" && r.path.startsWith("/login/index.php") && r.status !== 0).length;
    clearClientCache();
    ctl.clearRequests();
    try {
      // A slow login page first (timed out once, retried) must not turn into a second password check.
      ctl.injectFault({ method: "GET", path: "/login/index.php", kind: "timeout", times: 1 });
      await expect(clientFor(wrong, fast).session()).rejects.toThrow(/Invalid login/);
      expect(answeredLoginPosts()).toBe(1);
      // A POST whose answer never came was not checked by Moodle; the retry is the one check.
      clearClientCache();
      ctl.clearRequests();
      ctl.injectFault({ method: "POST", path: "/login/index.php", kind: "timeout", times: 1 });
      await expect(clientFor(wrong, fast).session()).rejects.toBeInstanceOf(MoodleLoginError);
      expect(answeredLoginPosts()).toBe(1);
    } finally {
      ctl.clearFaults();
      clearClientCache();
    }
  });

  doubleTest(`refuses to change a setting defined in config.php, naming it, and writes nothing${doubleNote}`, async () => {
    const ctl = t.control!;
    ctl.patchState({ forced: { config: { enablewebservices: "0" }, pluginConfig: { percipio: { clientid: "from_config" } } } });
    try {
      const fresh = new MoodleClient(t.conn, fast);
      ctl.clearRequests();
      const ws = await fresh.setWebServicesEnabled(true).catch((e: unknown) => e);
      expect(ws).toBeInstanceOf(MoodleError);
      expect((ws as Error).message).toMatch(/enablewebservices is defined in Moodle's config\.php/);
      const plugin = await fresh.setPluginSettings({ clientid: "abc_DEF-123", scope: "api" }).catch((e: unknown) => e);
      expect(plugin).toBeInstanceOf(MoodleError);
      expect((plugin as Error).message).toMatch(/clientid is defined in Moodle's config\.php/);
      expect(ctl.requests().filter((r) => r.method === "POST" && r.path.startsWith("/admin/"))).toEqual([]);
      // Settings that are not forced are written as usual, and no read-back is needed to trust the 303.
      await fresh.setPluginSettings({ scope: "api" });
      expect((await fresh.pluginSettings()).scope).toBe("api");
    } finally {
      ctl.patchState({ forced: null });
    }
  });

  doubleTest(`names a forced password change instead of failing obscurely${doubleNote}`, async () => {
    const ctl = t.control!;
    const users = (ctl.state() as { users: { id: number; forcePasswordChange?: boolean }[] }).users;
    ctl.patchState({ users: users.map((u) => (u.id === 2 ? { ...u, forcePasswordChange: true } : u)) });
    try {
      const fresh = new MoodleClient(t.conn, fast);
      await expect(fresh.session()).rejects.toThrow(/change password/);
    } finally {
      ctl.patchState({ users });
    }
  });

  doubleTest(`refuses a Moodle older than 4.5${doubleNote}`, async () => {
    const ctl = t.control!;
    const release = (ctl.state() as { release: string }).release;
    ctl.patchState({ release: "4.4.2 (Build: 20240812)" });
    try {
      const fresh = new MoodleClient(t.conn, fast);
      await expect(fresh.listTokens()).rejects.toThrow(/4\.4\.2 \(Build: 20240812\) is not supported/);
    } finally {
      ctl.patchState({ release });
    }
  });

  // ---- faults (the double only) ----
  const faultTest = REAL_TARGET ? test.skip : test;
  const skipNote = REAL_TARGET ? " (skipped: fault injection needs the Moodle double; the target is a real Moodle)" : "";

  type Kind = FaultSpec["kind"];
  const FAULT_TIMEOUT_MS = 1500;
  const KINDS: { kind: Kind; spec: Partial<FaultSpec> }[] = [
    // A slow site is slow on every request of the step, each answer coming well within the timeout.
    { kind: "latency", spec: { ms: 900, times: undefined } },
    { kind: "status", spec: { status: 503 } },
    { kind: "reset", spec: {} },
    { kind: "timeout", spec: { ms: 5000 } },
    { kind: "expire-session", spec: {} },
  ];

  interface Step {
    name: string;
    method: string;
    path: string;
    /** Runs the step with the fault armed; `fc` is logged in already unless `fresh`. */
    run(fc: MoodleClient): Promise<unknown>;
    fresh?: boolean;
    /**
     * Token creation may fail (clearly, leaving nothing behind) when the fault makes its outcome ambiguous;
     * never under mere latency below the timeout.
     */
    mayFail?: RegExp;
    /** Tokens of ours in Moodle after the step succeeded. */
    tokensAfter: number;
  }
  const STEPS: Step[] = [
    { name: "log in", method: "POST", path: "/login/index.php", fresh: true, tokensAfter: 0, run: (fc) => fc.session() },
    { name: "read a settings page", method: "GET", path: "/admin/settings.php", tokensAfter: 0, run: (fc) => fc.webServicesEnabled() },
    {
      name: "save a setting",
      method: "POST",
      path: "/admin/settings.php",
      tokensAfter: 0,
      run: async (fc) => {
        await fc.setPluginSettings({ scope: `fault-${Date.now()}` });
      },
    },
    {
      name: "toggle a protocol",
      method: "GET",
      path: "/admin/webservice/protocols.php",
      tokensAfter: 0,
      run: async (fc) => {
        const on = (await fc.enabledProtocols()).includes("rest");
        await fc.setProtocolEnabled("rest", !on);
        expect((await fc.enabledProtocols()).includes("rest")).toBe(!on);
      },
    },
    {
      name: "save the service form",
      method: "POST",
      path: "/admin/webservice/service.php",
      tokensAfter: 0,
      run: async (fc) => {
        await fc.setServiceEnabled(serviceId, false);
        t.control!.clearFaults();
        await fc.setServiceEnabled(serviceId, true);
      },
    },
    { name: "list tokens", method: "GET", path: "/admin/webservice/tokens.php", tokensAfter: 0, run: (fc) => fc.listTokens() },
    {
      name: "create a token",
      method: "POST",
      path: "/admin/webservice/tokens.php",
      mayFail: /no token was created|deleted it again/,
      tokensAfter: 1,
      run: async (fc) => {
        const created = await fc.createToken({ name: `${t.prefix}fault`, userId: 2, serviceId });
        expect(created.token).toMatch(HEX32);
      },
    },
    {
      name: "delete a token",
      method: "POST",
      path: "/admin/webservice/tokens.php",
      tokensAfter: 0,
      run: async (fc) => {
        t.control!.clearFaults();
        const created = await fc.createToken({ name: `${t.prefix}fault`, userId: 2, serviceId });
        t.control!.injectFault(armed!);
        await fc.deleteToken(created.row.id);
        expect((await fc.listTokens()).some((r) => r.id === created.row.id)).toBe(false);
      },
    },
  ];
  let armed: FaultSpec | undefined;

  const cases = STEPS.flatMap((s) => KINDS.map((k) => [s.name, k.kind, s, k] as const));
  faultTest.each(cases)(`fault at "%s": %s${skipNote}`, async (_n, _k, step, k) => {
    const ctl = t.control!;
    ctl.clearFaults();
    const fc = new MoodleClient({ ...t.conn, timeoutMs: FAULT_TIMEOUT_MS, retries: 3 }, fast);
    if (!step.fresh) await fc.version(); // logged in and version known: the fault hits the step itself
    armed = { method: step.method, path: step.path, times: 1, kind: k.kind, ...k.spec } as FaultSpec;
    ctl.injectFault(armed);
    let failure: unknown;
    try {
      await step.run(fc);
    } catch (e) {
      failure = e;
    } finally {
      ctl.clearFaults();
    }
    const tokens = (await c.listTokens()).filter((r) => r.name === `${t.prefix}fault`);
    if (failure) {
      // Allowed only where the outcome can be ambiguous, and then with a clear message and no token left over.
      expect(failure).toBeInstanceOf(MoodleError);
      expect(String(failure)).not.toContain(t.conn.password);
      expect(String(failure)).not.toMatch(/sesskey=(?!\[REDACTED\])|[0-9a-f]{32}/);
      // Latency below the timeout is a slow site, not a broken one: users need the step done.
      if (!step.mayFail || k.kind === "latency") throw failure;
      expect((failure as Error).message).toMatch(step.mayFail);
      expect(tokens).toHaveLength(0);
    } else {
      // Success means the site holds exactly what the step promised: one token of ours after creation, none otherwise.
      expect(tokens).toHaveLength(step.tokensAfter);
    }
    for (const r of tokens) await c.deleteToken(r.id);
  });
});

