// Destroy on a site where others came to rely on web services after our `up`, through the real engine:
// what the stack switched on stays on while the Moodle app, another service's tokens or authorised
// users, or someone else's token on the Percipio service need it, and the destroy output says so.
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { PERCIPIO_FUNCTIONS } from "../../testkit/moodle-double/state";
import { DEFAULT_LIMITS, projectStack, TestStack } from "../../testkit/engine/engine";
import { Browser } from "../double/helpers";

jest.setTimeout(2 * DEFAULT_LIMITS.timeoutMs + 60_000);

const TOKEN_NAME = "percipio-shared";

describe("destroy leaves on what others came to need, and says why", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  let output: string[] = [];
  const onOutput = (line: string) => output.push(line);
  const state = () => moodle.control.state() as any;
  const percipioService = () => state().services.find((s: any) => s.shortname === "Percipio-API");
  const protocols = () => (state().config.webserviceprotocols || "").split(",").filter(Boolean);
  // The engine shows a provider's line as it happens and again in the run's summary: each distinct line once.
  const leftOn = () => [...new Set(output.join("").match(/warning: destroy left [^\n]*/g) ?? [])];

  /** A fresh site with web services, REST and the Percipio service off; the stack's `up` switches them on. */
  async function upOnFreshSite() {
    moodle.control.reset();
    const fresh = state();
    moodle.control.patchState({
      config: { ...fresh.config, enablewebservices: "0", webserviceprotocols: "" },
      services: fresh.services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)),
      users: [...fresh.users, { ...fresh.users.find((u: any) => u.id === 2), id: 3, username: "lmssync", firstname: "LMS", lastname: "Sync", email: "lmssync@example.com", siteAdmin: false }],
    });
    const up = await test.stack.up({ onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(state().config.enablewebservices).toBe("1");
    expect(protocols()).toEqual(["rest"]);
    expect(percipioService().enabled).toBe(true);
    output = [];
  }

  async function destroy() {
    const result = await test.stack.destroy({ onOutput });
    expect(result.summary.result).toBe("succeeded");
    expect(state().tokens.filter((t: any) => t.name === TOKEN_NAME)).toEqual([]);
  }

  /** Another service, made by an admin after our `up`. */
  function addService(fields: { restrictedusers: boolean }) {
    const id = state().nextIds.service;
    moodle.control.patchState({
      services: [...state().services, { id, name: "LMS sync", shortname: "lms_sync", component: "", enabled: true, downloadfiles: false, uploadfiles: false, requiredcapability: "", functions: [...PERCIPIO_FUNCTIONS], ...fields }],
      nextIds: { ...state().nextIds, service: id + 1 },
    });
    return id;
  }

  function addToken(serviceId: number) {
    const id = state().nextIds.token;
    moodle.control.patchState({
      tokens: [...state().tokens, { id, token: "fedcba9876543210fedcba9876543210", name: "lms-sync", userId: 3, serviceId, iprestriction: "", validuntil: 0, lastaccess: 0, creatorId: 2, timecreated: 1_700_000_000 }],
      nextIds: { ...state().nextIds, token: id + 1 },
    });
  }

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: moodle.adminPassword, secret: true },
      "moodle:tokenName": { value: TOKEN_NAME },
    });
  });

  afterEach(async () => {
    await test.settle();
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it("with nothing else using them, destroy switches web services, REST and the service off again, without a warning", async () => {
    await upOnFreshSite();
    await destroy();
    expect(state().config.enablewebservices).toBe("0");
    expect(protocols()).toEqual([]);
    expect(percipioService().enabled).toBe(false);
    expect(leftOn()).toEqual([]);
  });

  it("the Moodle app switched on by an admin after up keeps web services and REST; the output says so and where to switch them off", async () => {
    await upOnFreshSite();
    // As an admin does it: Advanced features > Enable web services for mobile devices, saved.
    const admin = new Browser(moodle.url);
    const sesskey = await admin.login("admin", moodle.adminPassword);
    await admin.post("/admin/settings.php", { section: "optionalsubsystems", action: "save-settings", sesskey, return: "", s__enablewebservices: "1", s__enablemobilewebservice: "1" });
    expect(state().services.find((s: any) => s.shortname === "moodle_mobile_app").enabled).toBe(true);

    await destroy();
    expect(state().config.enablewebservices).toBe("1");
    expect(protocols()).toEqual(["rest"]);
    expect(state().services.find((s: any) => s.shortname === "moodle_mobile_app").enabled).toBe(true);
    // Nobody else used the Percipio service: it is switched off as before.
    expect(percipioService().enabled).toBe(false);
    const lines = leftOn();
    expect(lines).toHaveLength(2);
    expect(lines.find((l) => l.includes("web services (enablewebservices)"))).toMatch(/the Moodle app .*Enable web services for mobile devices.* needs it now\. To switch it off by hand once nothing needs it: Site administration > General > Advanced features > "Enable web services"/);
    expect(lines.find((l) => l.includes("REST protocol"))).toMatch(/the Moodle app .*Manage protocols > REST protocol/);
  });

  it("another enabled service with a token keeps web services and REST, naming the service and its token count", async () => {
    await upOnFreshSite();
    addToken(addService({ restrictedusers: false }));
    await destroy();
    expect(state().config.enablewebservices).toBe("1");
    expect(protocols()).toEqual(["rest"]);
    expect(leftOn()).toHaveLength(2);
    for (const line of leftOn()) expect(line).toContain('the enabled service "LMS sync" (1 token) needs it now');
  });

  it("another enabled service restricted to authorised users keeps web services on while it has some", async () => {
    await upOnFreshSite();
    const id = addService({ restrictedusers: true });
    moodle.control.patchState({ serviceUsers: [...state().serviceUsers, { serviceId: id, userId: 3, iprestriction: "", validuntil: 0 }] });
    await destroy();
    expect(state().config.enablewebservices).toBe("1");
    expect(leftOn().join("\n")).toContain('the enabled service "LMS sync" (1 authorised user) needs it now');
  });

  it("a disabled service's tokens need nothing: destroy switches everything off", async () => {
    await upOnFreshSite();
    const id = addService({ restrictedusers: false });
    addToken(id);
    moodle.control.patchState({ services: state().services.map((s: any) => (s.id === id ? { ...s, enabled: false } : s)) });
    await destroy();
    expect(state().config.enablewebservices).toBe("0");
    expect(protocols()).toEqual([]);
    expect(leftOn()).toEqual([]);
  });

  it("someone else's token on the Percipio service keeps the service, web services and REST on", async () => {
    await upOnFreshSite();
    addToken(percipioService().id);
    await destroy();
    expect(percipioService().enabled).toBe(true);
    expect(state().config.enablewebservices).toBe("1");
    expect(protocols()).toEqual(["rest"]);
    const lines = leftOn();
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.includes('the external service "Percipio services"'))).toMatch(/1 token of another user or integration needs it now.*External services > "Percipio services" > Edit > "Enabled"/);
  });
});
