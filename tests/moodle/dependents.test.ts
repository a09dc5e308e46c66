// Who else needs web services, read from the double as the client reads a real site: the Moodle app
// switch, enabled services with tokens (one page, or the report filtered by service) or authorised
// users, and the same few requests on a site with 30,000 app tokens.
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { withAppTokens } from "../../testkit/moodle-double/seed";
import { PERCIPIO_FUNCTIONS } from "../../testkit/moodle-double/state";
import { MoodleClient } from "../../moodle/client";

const fast = { retryBaseMs: 20, retryMaxMs: 200 };

describe("web service dependents", () => {
  let d: MoodleDouble;
  let c: MoodleClient;
  const state = () => d.control.state() as any;
  const requests = () => d.control.requests().map((r) => `${r.method} ${r.path.replace(/sesskey=[^&]+/, "sesskey=S")}`);
  const mobile = () => state().services.find((s: any) => s.shortname === "moodle_mobile_app");
  const percipio = () => state().services.find((s: any) => s.shortname === "Percipio-API");

  /** A new run: a client (as a new provider process) that has read nothing yet; pages it read earlier may be reused. */
  async function freshClient() {
    c = new MoodleClient({ url: d.url, username: d.adminUser, password: d.adminPassword, allowHttp: true }, fast);
    await c.session();
    return c;
  }

  function token(id: number, serviceId: number, name = `t${id}`) {
    return { id, token: id.toString(16).padStart(32, "0"), name, userId: 2, serviceId, iprestriction: "", validuntil: 0, lastaccess: 0, creatorId: 2, timecreated: 1_700_000_000 + id };
  }

  beforeAll(async () => {
    d = await startMoodleDouble({ control: true });
  });
  afterAll(() => d.stop());
  beforeEach(async () => {
    d.control.reset();
    d.control.patchState({ config: { ...state().config, enablewebservices: "1", webserviceprotocols: "rest" } });
    await freshClient();
    d.control.clearRequests();
  });

  test("a site where only the disabled mobile service exists and nobody holds a token: nothing needs web services", async () => {
    d.control.patchState({ services: state().services.map((s: any) => ({ ...s, enabled: s.shortname === "Percipio-API" })) });
    expect(await c.webServiceDependents()).toEqual([]);
  });

  test("the Moodle app, as Advanced features shows it, is a dependent", async () => {
    d.control.patchState({ config: { ...state().config, enablemobilewebservice: "1" }, services: state().services.map((s: any) => (s.id === mobile().id ? { ...s, enabled: true } : s)) });
    const found = await c.webServiceDependents();
    expect(found.map((x) => x.kind)).toEqual(["mobile-app"]);
    expect(found[0].reason).toContain("Enable web services for mobile devices");
  });

  test("the app setting stored on but shown off (web services off) is no dependent", async () => {
    d.control.patchState({ config: { ...state().config, enablewebservices: "0", enablemobilewebservice: "1" } });
    expect((await c.webServiceDependents()).map((x) => x.kind)).not.toContain("mobile-app");
  });

  test("tokens of an enabled service count, those of a disabled one do not; one page of Manage tokens when it lists them all", async () => {
    d.control.patchState({
      services: state().services.map((s: any) => ({ ...s, enabled: s.id === percipio().id })),
      tokens: [token(1, percipio().id), token(2, percipio().id), token(3, mobile().id)],
      nextIds: { ...state().nextIds, token: 4 },
    });
    const found = await c.webServiceDependents();
    expect(found).toEqual([{ kind: "service-tokens", reason: 'the enabled service "Percipio services" (2 tokens)' }]);
    expect(requests().filter((r) => r.includes("tokens.php") || r.includes("ajax"))).toEqual(["GET /admin/webservice/tokens.php"]);
  });

  test("a restricted enabled service counts while it has authorised users", async () => {
    const id = state().nextIds.service;
    d.control.patchState({
      services: [...state().services.map((s: any) => ({ ...s, enabled: false })), { id, name: "LMS sync", shortname: "lms", component: "", enabled: true, restrictedusers: true, downloadfiles: false, uploadfiles: false, requiredcapability: "", functions: [...PERCIPIO_FUNCTIONS] }],
      nextIds: { ...state().nextIds, service: id + 1 },
    });
    expect(await c.webServiceDependents()).toEqual([]);
    d.control.patchState({ serviceUsers: [{ serviceId: id, userId: 2, iprestriction: "", validuntil: 0 }] });
    expect(await (await freshClient()).webServiceDependents()).toEqual([{ kind: "service-users", reason: 'the enabled service "LMS sync" (1 authorised user)' }]);
  });

  test("30,000 app tokens of the enabled mobile service: found on the first page, the same requests as for one", async () => {
    const st = withAppTokens(state(), 30_000);
    d.control.patchState({ users: st.users, tokens: st.tokens, nextIds: st.nextIds, services: state().services.map((s: any) => ({ ...s, enabled: s.id === mobile().id })) });
    const found = await c.webServiceDependents();
    expect(found).toEqual([{ kind: "service-tokens", reason: 'the enabled service "Moodle mobile web service" (at least 30 tokens)' }]);
    expect(requests().filter((r) => r.includes("tokens.php") || r.includes("ajax"))).toEqual(["GET /admin/webservice/tokens.php"]);
  });

  test("many tokens of a disabled service hide an enabled one's on the first page: the report is filtered by service, counted by Moodle, and reset", async () => {
    const st = withAppTokens(state(), 100);
    const id = st.nextIds.token;
    d.control.patchState({
      users: st.users,
      // The app tokens carry dates; a never-expiring token sorts first, so this one is given a far date to sort last.
      tokens: [...st.tokens, { ...token(id, percipio().id, "late"), validuntil: 2_500_000_000 }],
      nextIds: { ...st.nextIds, token: id + 1 },
      services: state().services.map((s: any) => ({ ...s, enabled: s.id === percipio().id })),
    });
    const found = await c.webServiceDependents();
    expect(found).toEqual([{ kind: "service-tokens", reason: 'the enabled service "Percipio services" (1 token)' }]);
    expect(requests().filter((r) => r.includes("tokens.php") || r.includes("ajax"))).toEqual([
      "GET /admin/webservice/tokens.php",
      "POST /lib/ajax/service.php?sesskey=S&info=core_reportbuilder_set_filters",
      "GET /admin/webservice/tokens.php",
      "POST /lib/ajax/service.php?sesskey=S&info=core_reportbuilder_filters_reset",
    ]);
    expect(state().reportFilters).toBeUndefined();
  });

  test("the Percipio service's own dependents: other tokens on it, and authorised users", async () => {
    expect(await c.serviceDependents({ id: percipio().id, name: "Percipio services", restrictedUsers: false } as any)).toEqual([]);
    d.control.patchState({ tokens: [token(1, percipio().id)], nextIds: { ...state().nextIds, token: 2 } });
    expect(await (await freshClient()).serviceDependents({ id: percipio().id, name: "Percipio services", restrictedUsers: false } as any)).toEqual([
      { kind: "service-tokens", reason: "1 token of another user or integration" },
    ]);
    d.control.patchState({ tokens: [], services: state().services.map((s: any) => (s.id === percipio().id ? { ...s, restrictedusers: true } : s)), serviceUsers: [{ serviceId: percipio().id, userId: 2, iprestriction: "", validuntil: 0 }] });
    expect(await (await freshClient()).serviceDependents({ id: percipio().id, name: "Percipio services", restrictedUsers: true } as any)).toEqual([
      { kind: "service-users", reason: "1 authorised user besides the ones this stack authorised" },
    ]);
  });
});
