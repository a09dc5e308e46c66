// How the double decides whether a web-service token may call a function over REST, in Moodle 5.0.6's
// order (webservice/lib.php authenticate_by_token, authenticate_user, load_function_info, execute; the
// table of /tmp/research/token-check.md §1), and the token report's "Missing capabilities" column
// (webservice/lib.php get_missing_capabilities_by_users, templates/missing_capabilities.mustache).
// The exact answers with developer debugging are the recorded p34 and p37 of the 5.0.6+ site.
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import type { DoubleService, DoubleToken, DoubleUser } from "../../testkit/moodle-double/state";
import { $, Browser, Form, loggedInDouble } from "./helpers";

const ADMIN_TOKEN = "d0404eddcca13cc6e8cca357c682616b";
const PROBE_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const PROBE_ID = 10;
const SERVICE = 3; // Percipio-API on the 5.0 double
const now = () => Math.floor(Date.now() / 1000);

/** An ordinary authenticated user, as user_create_user() makes one (token-check.md §5). */
const probeUser = (extra: Partial<DoubleUser> = {}): DoubleUser => ({
  id: PROBE_ID,
  username: "wsprobe",
  password: "Ws-Probe-1!",
  firstname: "W",
  lastname: "P",
  email: "wsprobe@example.com",
  siteAdmin: false,
  ...extra,
});

const token = (value: string, userId: number, extra: Partial<DoubleToken> = {}): DoubleToken => ({
  id: userId === 2 ? 1 : 2,
  token: value,
  name: userId === 2 ? "admin-token" : "probe",
  userId,
  serviceId: SERVICE,
  iprestriction: "",
  validuntil: 0,
  lastaccess: 0,
  creatorId: 2,
  timecreated: 1,
  ...extra,
});

/** Lets every authenticated user use REST: assign_capability('webservice/rest:use', CAP_ALLOW, <user role>, system). */
const REST_FOR_ALL = { roleCapabilities: { user: { "webservice/rest:use": "allow" } } };
/** debugging() at NORMAL: debuginfo is sent, the message unchanged. */
const DEBUG = { config: { debug: "15" } };
/** DEVELOPER with debugdisplay: the message also gets " (<debuginfo>)". */
const DEVELOPER = { config: { debug: "32767", debugdisplay: "1" } };

const AE = { exception: "webservice_access_exception", errorcode: "accessexception", message: "Access control exception" };
const INVALID_PARAMETER = { exception: "core\\exception\\invalid_parameter_exception", errorcode: "invalidparameter", message: "Invalid parameter value detected" };
const INVALID_TOKEN = { exception: "core\\exception\\moodle_exception", errorcode: "invalidtoken", message: "Invalid token - token not found" };

/** load_function_info's refusal (webservice/lib.php:1463-1474), as JSON-decoded from p34. */
const notAllowed = (fn: string) =>
  `Access to the function ${fn}() is not allowed.\n                     There could be multiple reasons for this:\n                     1. The service linked to the user token does not contain the function.\n                     2. The service is user-restricted and the user is not listed.\n                     3. The service is IP-restricted and the user IP is not listed.\n                     4. The service is time-restricted and the time has expired.\n                     5. The token is time-restricted and the time has expired.\n                     6. The service requires a specific capability which the user does not have.\n                     7. The function is called with username/password (no user token is sent)\n                     and none of the services has the function to allow the user.\n                     These settings can be found in Administration > Site administration\n                     > Server > Web services > External services and Manage tokens.`;

// Recorded on the 5.0.6+ site with DEVELOPER debugging and debugdisplay (samples p34, p37), byte for byte.
const P34 =
  '{"exception":"webservice_access_exception","errorcode":"accessexception","message":"Access control exception (Access to the function core_webservice_get_site_info() is not allowed.\\n                     There could be multiple reasons for this:\\n                     1. The service linked to the user token does not contain the function.\\n                     2. The service is user-restricted and the user is not listed.\\n                     3. The service is IP-restricted and the user IP is not listed.\\n                     4. The service is time-restricted and the time has expired.\\n                     5. The token is time-restricted and the time has expired.\\n                     6. The service requires a specific capability which the user does not have.\\n                     7. The function is called with username\\/password (no user token is sent)\\n                     and none of the services has the function to allow the user.\\n                     These settings can be found in Administration > Site administration\\n                     > Server > Web services > External services and Manage tokens.)","debuginfo":"Access to the function core_webservice_get_site_info() is not allowed.\\n                     There could be multiple reasons for this:\\n                     1. The service linked to the user token does not contain the function.\\n                     2. The service is user-restricted and the user is not listed.\\n                     3. The service is IP-restricted and the user IP is not listed.\\n                     4. The service is time-restricted and the time has expired.\\n                     5. The token is time-restricted and the time has expired.\\n                     6. The service requires a specific capability which the user does not have.\\n                     7. The function is called with username\\/password (no user token is sent)\\n                     and none of the services has the function to allow the user.\\n                     These settings can be found in Administration > Site administration\\n                     > Server > Web services > External services and Manage tokens."}';
const P37 =
  '{"exception":"core\\\\exception\\\\invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected (Missing required key in single structure: data)","debuginfo":"Missing required key in single structure: data"}';

describe("moodle double: which token may call which function over REST, in Moodle's order", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());

  /**
   * A fresh site with WS + REST on, the admin's token and the probe user's token on Percipio-API; then
   * the probe user's fields, the tokens' fields, the Percipio service's fields (`service`), one of its
   * functions removed (`removeFunction`, as DELETE FROM mdl_external_services_functions does), and the rest as a state patch.
   */
  const site = (
    patch: {
      user?: Partial<DoubleUser>;
      probeToken?: Partial<DoubleToken>;
      adminToken?: Partial<DoubleToken>;
      service?: Partial<DoubleService>;
      removeFunction?: string;
    } & Record<string, unknown> = {},
  ) => {
    const { user, probeToken, adminToken, service, removeFunction, ...rest } = patch;
    d.control.reset();
    const fresh = d.control.state();
    d.control.patchState({
      config: { enablewebservices: "1", webserviceprotocols: "rest" },
      users: [...fresh.users, probeUser(user)],
      tokens: [token(ADMIN_TOKEN, 2, adminToken), token(PROBE_TOKEN, PROBE_ID, probeToken)],
      services: fresh.services.map((s) =>
        s.id === SERVICE ? { ...s, ...service, functions: s.functions.filter((f) => f !== removeFunction) } : s,
      ),
    });
    if (Object.keys(rest).length) d.control.patchState(rest);
  };
  const call = async (wstoken: string, form: Form = {}) => {
    const r = await new Browser(d.url).post("/webservice/rest/server.php", { wstoken, moodlewsrestformat: "json", ...form });
    return { status: r.status, body: r.body, json: JSON.parse(r.body || "null") as Record<string, unknown> };
  };
  /** Probe B of token-check.md §2: the function without `data`. */
  const probe = (wstoken: string, wsfunction = "percipio_progress_tracking") => call(wstoken, { wsfunction });
  const probeToken = () => d.control.state().tokens.find((t) => t.token === PROBE_TOKEN);

  test("0: web services or REST off: HTTP 403 with an empty body, before the token is even looked at", async () => {
    site({ config: { webserviceprotocols: null } });
    const r = await call("nonsense");
    expect(r.status).toBe(403);
    expect(r.body).toBe("");
  });

  test("1: an unknown token is invalidtoken, with no debuginfo even when debugging", async () => {
    site(DEBUG);
    expect((await call("f".repeat(32), { wsfunction: "percipio_progress_tracking" })).body).toBe(
      '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"invalidtoken","message":"Invalid token - token not found"}',
    );
    // A token of an ordinary user is still just not found when it is not there: nothing else is looked at.
    expect((await call("")).json).toEqual(INVALID_TOKEN);
  });

  test("2: an expired token is refused and its row deleted on first use; the next call says invalidtoken; lastaccess untouched", async () => {
    site({ probeToken: { validuntil: now() - 60 }, ...DEBUG });
    const first = await probe(PROBE_TOKEN);
    expect(first.json).toEqual({ ...AE, debuginfo: "Invalid token - token expired - check validuntil time for the token" });
    expect(probeToken()).toBeUndefined();
    expect((await probe(PROBE_TOKEN)).json).toEqual(INVALID_TOKEN);
    // Without debugging: the bare exception (sample f10); the admin's token expired the same way.
    site({ adminToken: { validuntil: now() - 1, lastaccess: 5 } });
    expect((await probe(ADMIN_TOKEN)).body).toBe('{"exception":"webservice_access_exception","errorcode":"accessexception","message":"Access control exception"}');
    expect(d.control.state().tokens.map((t) => t.token)).toEqual([PROBE_TOKEN]);
  });

  test("4: the token's IP restriction, named in debuginfo; lastaccess is not updated", async () => {
    site({ adminToken: { iprestriction: "10.9.9.9" } });
    expect((await probe(ADMIN_TOKEN)).json).toEqual(AE);
    d.control.patchState(DEBUG);
    expect((await probe(ADMIN_TOKEN)).json).toEqual({ ...AE, debuginfo: "Invalid service - IP:127.0.0.1 is not supported - check this allowed user" });
    expect(d.control.state().tokens[0].lastaccess).toBe(0);
    d.control.patchState({ tokens: [token(ADMIN_TOKEN, 2, { iprestriction: "127.0.0.0/8" })] });
    expect((await probe(ADMIN_TOKEN)).json).toEqual({ ...INVALID_PARAMETER, debuginfo: "Missing required key in single structure: data" });
  });

  test("the token's user row is gone: dml_missing_record_exception (invaliduser and the query with debugging)", async () => {
    site();
    d.control.patchState({ users: d.control.state().users.filter((u) => u.id !== PROBE_ID) });
    expect((await probe(PROBE_TOKEN)).json).toEqual({ exception: "dml_missing_record_exception", errorcode: "invalidrecordunknown", message: "Can't find data record in database." });
    d.control.patchState(DEBUG);
    expect((await probe(PROBE_TOKEN)).json).toEqual({
      exception: "dml_missing_record_exception",
      errorcode: "invaliduser",
      message: "Invalid user",
      debuginfo: `SELECT * FROM {user} WHERE id = ?\n[array (\n  0 => '${PROBE_ID}',\n)]`,
    });
    expect(probeToken()!.lastaccess).toBe(0);
  });

  test("lastaccess: written before the user and function checks, so refused calls count too, at most once a minute", async () => {
    site({ user: { suspended: true } });
    const before = now();
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("wsaccessusersuspended");
    expect(probeToken()!.lastaccess).toBeGreaterThanOrEqual(before);
    // No webservice/rest:use, a function outside the service, a missing function name: all refused, all counted.
    for (const [form, code] of [
      [{ wsfunction: "percipio_progress_tracking" }, "accessexception"],
      [{}, "accessexception"],
    ] as const) {
      site();
      expect((await call(PROBE_TOKEN, form)).json.errorcode).toBe(code);
      expect(probeToken()!.lastaccess).toBeGreaterThanOrEqual(before);
    }
    site({ removeFunction: "percipio_image_upload" });
    expect((await probe(ADMIN_TOKEN, "percipio_image_upload")).json).toEqual(AE);
    expect(d.control.state().tokens[0].lastaccess).toBeGreaterThanOrEqual(before);
    // Within 60 s of the last recorded access nothing is written; at 60 s it is.
    site({ adminToken: { lastaccess: now() - 30 } });
    const recent = d.control.state().tokens[0].lastaccess;
    await probe(ADMIN_TOKEN);
    expect(d.control.state().tokens[0].lastaccess).toBe(recent);
    site({ adminToken: { lastaccess: now() - 61 } });
    await probe(ADMIN_TOKEN);
    expect(d.control.state().tokens[0].lastaccess).toBeGreaterThanOrEqual(before);
  });

  test("5: maintenance mode refuses users without moodle/site:maintenanceaccess; site admins go on", async () => {
    site({ config: { maintenance_enabled: "1" }, ...REST_FOR_ALL });
    expect((await probe(PROBE_TOKEN)).json).toEqual({
      exception: "core\\exception\\moodle_exception",
      errorcode: "sitemaintenance",
      message: "The site is undergoing maintenance and is currently not available",
    });
    expect((await probe(ADMIN_TOKEN)).json).toEqual(INVALID_PARAMETER);
    d.control.patchState({ roleCapabilities: { user: { "moodle/site:maintenanceaccess": "allow" } } });
    expect((await probe(PROBE_TOKEN)).json).toEqual(INVALID_PARAMETER);
  });

  test("6-10: deleted, unconfirmed, suspended, nologin users: their own error code and message with the username, never debuginfo", async () => {
    const cases: [Partial<DoubleUser>, string, string][] = [
      [{ deleted: true }, "wsaccessuserdeleted", "Refused web service access for deleted username: wsprobe"],
      [{ confirmed: false }, "wsaccessuserunconfirmed", "Refused web service access for unconfirmed username: wsprobe"],
      [{ suspended: true }, "wsaccessusersuspended", "Refused web service access for suspended username: wsprobe"],
      [{ auth: "nologin" }, "wsaccessusernologin", "Refused web service access for nologin authentication username: wsprobe"],
    ];
    for (const [user, errorcode, message] of cases) {
      for (const debug of [{}, DEVELOPER]) {
        site({ user, ...REST_FOR_ALL, ...debug });
        expect((await probe(PROBE_TOKEN)).json).toEqual({ exception: "core\\exception\\moodle_exception", errorcode, message });
      }
    }
    // Exactly as token-check.md §4 gives it for a suspended user; the token survives.
    site({ user: { suspended: true } });
    expect((await probe(PROBE_TOKEN)).body).toBe(
      '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"wsaccessusersuspended","message":"Refused web service access for suspended username: wsprobe"}',
    );
    expect(probeToken()).toBeDefined();
    // In Moodle's order: deleted before suspended, and the user's state before the protocol capability.
    site({ user: { deleted: true, suspended: true, confirmed: false } });
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("wsaccessuserdeleted");
    site({ user: { suspended: true, confirmed: false } });
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("wsaccessuserunconfirmed");
    // A suspended site admin is refused too.
    site();
    d.control.patchState({ users: d.control.state().users.map((u) => (u.id === 2 ? { ...u, suspended: true } : u)) });
    expect((await probe(ADMIN_TOKEN)).json.message).toBe("Refused web service access for suspended username: admin");
  });

  test("11: an ordinary user's token is refused for the missing webservice/rest:use before anything about the function", async () => {
    site();
    const forms: Form[] = [
      { wsfunction: "percipio_progress_tracking" },
      { wsfunction: "percipio_image_upload", data: "x" },
      { wsfunction: "no_such_function" },
      { wsfunction: "core_webservice_get_site_info" },
      {},
    ];
    for (const form of forms) expect((await call(PROBE_TOKEN, form)).body).toBe(JSON.stringify(AE));
    d.control.patchState(DEBUG);
    expect((await probe(PROBE_TOKEN)).json).toEqual({ ...AE, debuginfo: "You are not allowed to use the rest protocol (missing capability: webservice/rest:use)" });
    // The site admin has every capability.
    expect((await probe(ADMIN_TOKEN)).json).toEqual({ ...INVALID_PARAMETER, debuginfo: "Missing required key in single structure: data" });
  });

  test("11: webservice/rest:use from a role: the authenticated-user role or one assigned in the system context, not in a course; a prohibit wins", async () => {
    const passes = async () => (await probe(PROBE_TOKEN)).json.errorcode === "invalidparameter";
    site(REST_FOR_ALL);
    expect(await passes()).toBe(true);
    // A custom role granting it, assigned to this user only.
    site({ roleCapabilities: { wsuser: { "webservice/rest:use": "allow" } }, user: { roleAssignments: [{ role: "wsuser" }] } });
    expect(await passes()).toBe(true);
    // The same role assigned in a course does not count in the token's (system) context.
    site({ roleCapabilities: { wsuser: { "webservice/rest:use": "allow" } }, user: { roleAssignments: [{ role: "wsuser", context: "course:2" }] } });
    expect(await passes()).toBe(false);
    // A manager has no rest:use by default (no archetype has it).
    site({ user: { roleAssignments: [{ role: "manager" }] } });
    expect(await passes()).toBe(false);
    // CAP_PROHIBIT in any of the user's roles refuses; CAP_PREVENT in one does not cancel another's allow.
    site({ ...REST_FOR_ALL, roleCapabilities: { ...REST_FOR_ALL.roleCapabilities, noapi: { "webservice/rest:use": "prohibit" } }, user: { roleAssignments: [{ role: "noapi" }] } });
    expect(await passes()).toBe(false);
    site({ ...REST_FOR_ALL, roleCapabilities: { ...REST_FOR_ALL.roleCapabilities, noapi: { "webservice/rest:use": "prevent" } }, user: { roleAssignments: [{ role: "noapi" }] } });
    expect(await passes()).toBe(true);
    // debugusers forces debugging for this user, but only once the user is set (from this step on).
    site({ config: { debugusers: String(PROBE_ID) } });
    expect((await probe(PROBE_TOKEN)).json.debuginfo).toBe("You are not allowed to use the rest protocol (missing capability: webservice/rest:use)");
    site({ config: { debugusers: String(PROBE_ID) }, probeToken: { iprestriction: "10.9.9.9" } });
    expect((await probe(PROBE_TOKEN)).json).toEqual(AE);
  });

  test("12: no wsfunction: invalidparameter (probe A), 'Missing function name' with debugging", async () => {
    site(REST_FOR_ALL);
    expect((await call(PROBE_TOKEN)).json).toEqual(INVALID_PARAMETER);
    expect((await call(ADMIN_TOKEN, { wsfunction: "0" })).json).toEqual(INVALID_PARAMETER);
    d.control.patchState(DEBUG);
    expect((await call(ADMIN_TOKEN)).json).toEqual({ ...INVALID_PARAMETER, debuginfo: "Missing function name" });
  });

  test("13: a function the site does not have: invalidrecordunknown, or invalidrecord with the query when debugging", async () => {
    site();
    expect((await call(ADMIN_TOKEN, { wsfunction: "no_such_function" })).json).toEqual({
      exception: "dml_missing_record_exception",
      errorcode: "invalidrecordunknown",
      message: "Can't find data record in database.",
    });
    d.control.patchState(DEBUG);
    expect((await call(ADMIN_TOKEN, { wsfunction: "no_such_function" })).json).toEqual({
      exception: "dml_missing_record_exception",
      errorcode: "invalidrecord",
      message: "Can't find data record in database table external_functions.",
      debuginfo: "SELECT * FROM {external_functions} WHERE name = ?\n[array (\n  0 => 'no_such_function',\n)]",
    });
    // Existence is checked before membership: a known function outside the service is the access exception.
    expect((await call(ADMIN_TOKEN, { wsfunction: "core_user_get_users_by_field" })).json.errorcode).toBe("accessexception");
  });

  test("14: a function removed from the service: the access exception with the seven reasons; the others still pass", async () => {
    site({ removeFunction: "percipio_image_upload", ...REST_FOR_ALL });
    expect((await probe(PROBE_TOKEN, "percipio_image_upload")).body).toBe(JSON.stringify(AE));
    expect((await call(ADMIN_TOKEN, { wsfunction: "percipio_image_upload", data: "x" })).json).toEqual(AE);
    expect((await probe(PROBE_TOKEN, "percipio_progress_tracking")).json).toEqual(INVALID_PARAMETER);
    d.control.patchState(DEBUG);
    expect((await probe(ADMIN_TOKEN, "percipio_image_upload")).json).toEqual({ ...AE, debuginfo: notAllowed("percipio_image_upload") });
    // With DEVELOPER debugging and debugdisplay, byte for byte the recorded p34 (site info is not in Percipio-API).
    d.control.patchState(DEVELOPER);
    expect((await call(ADMIN_TOKEN, { wsfunction: "core_webservice_get_site_info" })).body).toBe(P34);
  });

  test("14: service disabled, restricted without the user, required capability, the listed user's IP: one and the same refusal", async () => {
    const refused = async (wstoken = ADMIN_TOKEN) => {
      const r = await probe(wstoken);
      return r.json.errorcode === "accessexception" && r.json.debuginfo === notAllowed("percipio_progress_tracking");
    };
    site({ service: { enabled: false }, ...DEBUG });
    expect(await refused()).toBe(true);
    site({ service: { restrictedusers: true }, ...DEBUG });
    expect(await refused()).toBe(true);
    // Listed with a FUTURE validuntil: refused; with a past one: allowed (Moodle's inverted test, webservice/lib.php:1443).
    d.control.patchState({ serviceUsers: [{ serviceId: SERVICE, userId: 2, iprestriction: "", validuntil: now() + 86400 }] });
    expect(await refused()).toBe(true);
    d.control.patchState({ serviceUsers: [{ serviceId: SERVICE, userId: 2, iprestriction: "", validuntil: now() - 86400 }] });
    expect((await probe(ADMIN_TOKEN)).json.errorcode).toBe("invalidparameter");
    d.control.patchState({ serviceUsers: [{ serviceId: SERVICE, userId: 2, iprestriction: "10.9.9.9", validuntil: 0 }] });
    expect(await refused()).toBe(true);
    d.control.patchState({ serviceUsers: [{ serviceId: SERVICE, userId: 2, iprestriction: "127.0.0.1", validuntil: 0 }] });
    expect((await probe(ADMIN_TOKEN)).json.errorcode).toBe("invalidparameter");
    // A required capability: the admin has it, the ordinary user (with rest:use) does not until a role grants it.
    site({ service: { requiredcapability: "moodle/site:config" }, ...REST_FOR_ALL, ...DEBUG });
    expect((await probe(ADMIN_TOKEN)).json.errorcode).toBe("invalidparameter");
    expect(await refused(PROBE_TOKEN)).toBe(true);
    d.control.patchState({ roleCapabilities: { user: { "moodle/site:config": "allow" } } });
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("invalidparameter");
  });

  test("15: a missing `data` is invalidparameter only when every check before passed; no function body runs", async () => {
    site(REST_FOR_ALL);
    for (const fn of ["percipio_progress_tracking", "percipio_asset_import", "percipio_image_upload"]) {
      expect((await probe(PROBE_TOKEN, fn)).body).toBe(
        '{"exception":"core\\\\exception\\\\invalid_parameter_exception","errorcode":"invalidparameter","message":"Invalid parameter value detected"}',
      );
    }
    expect(d.control.state().percipioCourses).toEqual([]);
    // The same probe stops earlier at every refused step.
    site();
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("accessexception");
    site({ user: { suspended: true }, ...REST_FOR_ALL });
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("wsaccessusersuspended");
    site({ service: { enabled: false }, ...REST_FOR_ALL });
    expect((await probe(PROBE_TOKEN)).json.errorcode).toBe("accessexception");
    // Debugging: the missing key; an extra key is named once `data` is there; DEVELOPER gives p37 exactly.
    site({ ...REST_FOR_ALL, ...DEBUG });
    expect((await probe(PROBE_TOKEN)).json).toEqual({ ...INVALID_PARAMETER, debuginfo: "Missing required key in single structure: data" });
    expect((await call(PROBE_TOKEN, { wsfunction: "percipio_image_upload", data: "x", extra: "1", "more[0]": "2" })).json).toEqual({
      ...INVALID_PARAMETER,
      debuginfo: "Unexpected keys (extra, more) detected in parameter array.",
    });
    d.control.patchState(DEVELOPER);
    expect((await probe(PROBE_TOKEN)).body).toBe(P37);
  });

  test("16: with `data` the function body runs (for an ordinary user with rest:use too)", async () => {
    site(REST_FOR_ALL);
    expect((await call(PROBE_TOKEN, { wsfunction: "percipio_image_upload", data: "x" })).json).toEqual({ percipioid: null, message: "Success", code: 200 });
    // The body's own errors carry no debuginfo even with DEVELOPER debugging (recorded p35).
    d.control.patchState(DEVELOPER);
    expect((await call(PROBE_TOKEN, { wsfunction: "percipio_progress_tracking", data: "{}" })).body).toBe(
      '{"exception":"core\\\\exception\\\\moodle_exception","errorcode":"errorinvalidparam","message":"The param \\"courseshortname\\" is invalid."}',
    );
  });

  test("XML answers carry DEBUGINFO when debugging, with single quotes left as they are (ENT_COMPAT)", async () => {
    site(DEBUG);
    const r = await new Browser(d.url).post("/webservice/rest/server.php", { wstoken: ADMIN_TOKEN, wsfunction: "no_such_function" });
    expect(r.body).toBe(
      `<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="dml_missing_record_exception">\n<ERRORCODE>invalidrecord</ERRORCODE>\n<MESSAGE>Can't find data record in database table external_functions.</MESSAGE>\n<DEBUGINFO>SELECT * FROM {external_functions} WHERE name = ?\n[array (\n  0 =&gt; 'no_such_function',\n)]</DEBUGINFO>\n</EXCEPTION>\n`,
    );
  });
});

describe("moodle double: the token report's Missing capabilities column", () => {
  const ctx = loggedInDouble();
  const TOKENS = "/admin/webservice/tokens.php";
  const PERCIPIO_CAPS = [
    "moodle/category:manage",
    "moodle/course:create",
    "moodle/course:visibility",
    "moodle/course:update",
    "moodle/course:changecategory",
    "moodle/course:changeshortname",
    "moodle/course:changeidnumber",
    "moodle/site:config",
    "enrol/self:config",
    "moodle/grade:manage",
  ];
  /**
   * One token, of `user` (the admin when undefined) on `serviceId`, then the report's first row. The
   * probe user and role changes of an earlier call are dropped first (a reset would end the admin's session).
   */
  const reportFor = async (user: DoubleUser | undefined, extra: Record<string, unknown> = {}, serviceId = SERVICE) => {
    const others = ctx.d.control.state().users.filter((u) => u.id !== PROBE_ID);
    ctx.d.control.patchState({ roleCapabilities: null });
    ctx.d.control.patchState({ users: user ? [...others, user] : others, tokens: [token(PROBE_TOKEN, user?.id ?? 2, { serviceId })], ...extra });
    const body = (await ctx.b.get(TOKENS)).body;
    const p = $(body);
    const td = p("#system-report-table-1_r0_c8");
    return {
      body,
      html: /<td class="cell c8" id="system-report-table-1_r0_c8">([\s\S]*?)<\/td><td class="cell c9"/.exec(body)?.[1],
      caps: td
        .find("div.missingcaps li div.text-muted")
        .map((_, e) => p(e).text())
        .get(),
      td,
      p,
    };
  };
  const caps = async (user: DoubleUser | undefined, extra: Record<string, unknown> = {}, serviceId = SERVICE) => (await reportFor(user, extra, serviceId)).caps;

  test("a site admin's token: the cell is empty, as recorded (p8/p9)", async () => {
    const r = await reportFor(undefined);
    expect(r.html).toBe("");
    expect(r.body).toContain('<th class="header c8" scope="col">Missing capabilities<div class="commands"></div></th>');
  });

  test("an ordinary user's token: the 10 declared capabilities in Moodle's order, each linked to its docs page, with the help icon", async () => {
    const r = await reportFor(probeUser());
    expect(r.caps).toEqual(PERCIPIO_CAPS);
    const links = r.td.find("div.missingcaps li a");
    expect(links.first().attr("href")).toBe("https://docs.moodle.org/500/en/Capabilities/moodle/category:manage");
    expect(links.first().attr("onclick")).toBe("this.target='docspopup'");
    expect(links.map((_, e) => r.p(e).text()).get()).toEqual([
      "Manage categories",
      "Create courses",
      "Hide/show courses",
      "Update course settings",
      "Change course category",
      "Change course short name",
      "Change course ID number",
      "Change site configuration",
      "Configure self enrol instances",
      "Manage grade items",
    ]);
    const help = r.td.find('div.missingcaps > div > a[data-bs-toggle="popover"]');
    expect(help.attr("aria-label")).toBe("Help");
    expect(help.find("i").attr("title")).toBe("Help with Missing capabilities");
    expect(help.attr("data-bs-content")).toBe(
      '<div class="no-overflow"><p>List of capabilities declared by the service which the user does not have. Some service functionality may not be available without these capabilities.</p>\n</div> ',
    );
    // webservice/rest:use is never listed, granted or not; nor does granting caps to the authenticated-user role remove any.
    expect(await caps(undefined)).toEqual([]);
    expect(await caps(probeUser(), { roleCapabilities: { user: { "webservice/rest:use": "allow", "moodle/grade:manage": "allow" } } })).toEqual(PERCIPIO_CAPS);
  });

  test("an editing teacher somewhere (a course): category:manage, course:create and site:config, in the template's exact markup", async () => {
    const r = await reportFor(probeUser({ roleAssignments: [{ role: "editingteacher", context: "course:2" }] }));
    expect(r.caps).toEqual(["moodle/category:manage", "moodle/course:create", "moodle/site:config"]);
    const li = (cap: string, name: string) =>
      `        <li class="mb-1">\n            <a onclick="this.target='docspopup'" href="https://docs.moodle.org/500/en/Capabilities/${cap}">${name}</a>\n            <div class="text-muted">${cap}</div>\n        </li>\n`;
    expect(r.html).toBe(
      `<div class="d-flex missingcaps">\n    <ul class="list-unstyled">\n${li("moodle/category:manage", "Manage categories")}${li("moodle/course:create", "Create courses")}${li(
        "moodle/site:config",
        "Change site configuration",
      )}    </ul>\n    <div><a class="btn btn-link p-0 me-2 icon-no-margin" role="button"\n    data-bs-container="body" data-bs-toggle="popover"\n    data-bs-placement="right" data-bs-content="&lt;div class=&quot;no-overflow&quot;&gt;&lt;p&gt;List of capabilities declared by the service which the user does not have. Some service functionality may not be available without these capabilities.&lt;/p&gt;\n&lt;/div&gt; "\n    data-bs-html="true" tabindex="0" data-bs-trigger="focus" aria-label="Help">\n  <i class="icon fa fa-circle-question text-info fa-fw "  title="Help with Missing capabilities" role="img" aria-label="Help with Missing capabilities"></i>\n</a></div>\n</div>`,
    );
  });

  test("a manager lacks only site:config; any allowing role in any context counts, prohibits are ignored; removed functions drop their caps", async () => {
    expect(await caps(probeUser({ roleAssignments: [{ role: "manager", context: "category:1" }] }))).toEqual(["moodle/site:config"]);
    // A custom role allowing grade:manage in some course, and a prohibiting one: the report ignores prohibits.
    expect(
      await caps(probeUser({ roleAssignments: [{ role: "editingteacher" }, { role: "gradeless", context: "course:3" }, { role: "sitecfg", context: "course:9" }] }), {
        roleCapabilities: { gradeless: { "moodle/grade:manage": "prohibit", "moodle/category:manage": "allow" }, sitecfg: { "moodle/site:config": "allow" } },
      }),
    ).toEqual(["moodle/course:create"]);
    // A role definition changed from its archetype: editingteacher without course:update.
    expect(
      await caps(probeUser({ roleAssignments: [{ role: "editingteacher" }] }), { roleCapabilities: { editingteacher: { "moodle/course:update": "inherit" } } }),
    ).toEqual(["moodle/category:manage", "moodle/course:create", "moodle/course:update", "moodle/site:config"]);
    const services = ctx.d.control.state().services.map((s) => (s.id === SERVICE ? { ...s, functions: ["percipio_image_upload", "percipio_progress_tracking"] } : s));
    expect(await caps(probeUser(), { services })).toEqual(["moodle/grade:manage"]);
  });

  test("the official mobile service lists nothing, whoever holds the token", async () => {
    expect(await caps(probeUser(), {}, 1)).toEqual([]);
  });
});

describe("moodle double 4.5: the Missing capabilities help icon in Bootstrap 4 spelling", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble({ moodleVersion: "4.5" });
  });
  afterAll(() => d.stop());

  test("the docs link uses the 4.5 branch and the help icon data-toggle", async () => {
    const b = new Browser(d.url);
    await b.login();
    const service = d.control.state().services.find((s) => s.shortname === "Percipio-API")!.id;
    d.control.patchState({ users: [...d.control.state().users, probeUser()], tokens: [token(PROBE_TOKEN, PROBE_ID, { serviceId: service })] });
    const p = $((await b.get("/admin/webservice/tokens.php")).body);
    const td = p("#system-report-table-1_r0_c8");
    expect(td.find("li a").first().attr("href")).toBe("https://docs.moodle.org/405/en/Capabilities/moodle/category:manage");
    expect(td.find('a[data-toggle="popover"]').attr("class")).toBe("btn btn-link p-0");
    expect(td.find("li div.text-muted").length).toBe(10);
  });
});
