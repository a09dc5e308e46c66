// A site that already had part of the procedure done by hand, through the real engine: `up` does only
// what is missing, the token follows its IP restriction, and `destroy` leaves the site exactly as the
// stack found it (nothing it found on is switched off, nobody else's authorisation or settings lost).
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { PERCIPIO_FUNCTIONS } from "../../testkit/moodle-double/state";
import { DEFAULT_LIMITS, projectStack, TestStack } from "../../testkit/engine/engine";
import { createdBeforeDeleted } from "../support/engineEvents";

// One operation per test: its own limit (the guard stops it) comes before jest's.
jest.setTimeout(DEFAULT_LIMITS.timeoutMs + 60_000);

const SERVICE = "percipio_restricted";
/** Filled in by hand months ago: an earlier Percipio tenant's credentials. */
const SETTINGS_FOUND = {
  authenticationmethod: "oauth",
  clientid: "legacy_client-7",
  clientsecret: "legacy_SECRET-7",
  organizationid: "9c1b2a6e-0b7e-4a43-9d6f-4c1f0e7b2d55",
  oauthurl: "https://oauth2-provider.develop.squads-dev.com",
  percipiourl: "https://dew1-api.percipio.com",
  scope: "api:read",
  bearertoken: "",
  piiinfo: "yes",
  // The plugin's own runtime keys.
  oauthToken: "runtime-token",
  oauthTokenExpiry: "3600",
};
const NEW_CLIENT_SECRET = "n3w_SECRET-8";

describe("a lived-in site through the real engine", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  /** The site before the stack ever ran. */
  let found: any;

  const state = () => moodle.control.state() as any;
  const ourTokens = () => state().tokens.filter((t: any) => t.name.startsWith("percipio-livedin")) as any[];
  /** Everything but id counters, which only ever move forward. */
  const site = () => ({ ...state(), nextIds: undefined });

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    const fresh = state();
    const admin = fresh.users.find((u: any) => u.id === 2);
    const serviceId = fresh.nextIds.service;
    moodle.control.patchState({
      // Web services and REST on, with SOAP for another integration.
      config: { enablewebservices: "1", webserviceprotocols: "soap,rest" },
      pluginConfig: { percipio: SETTINGS_FOUND },
      users: [...fresh.users, { ...admin, id: 3, username: "lmssync", firstname: "LMS", lastname: "Sync", email: "lmssync@example.com", siteAdmin: false }],
      // A custom service an admin made, open only to the users they authorised (the admin among them).
      services: [
        ...fresh.services,
        { id: serviceId, name: "Percipio (restricted)", shortname: SERVICE, component: "", enabled: true, restrictedusers: true, downloadfiles: false, uploadfiles: false, requiredcapability: "", functions: [...PERCIPIO_FUNCTIONS] },
      ],
      serviceUsers: [
        { serviceId, userId: 2, iprestriction: "", validuntil: 0 },
        { serviceId, userId: 3, iprestriction: "192.0.2.0/24", validuntil: 0 },
      ],
      tokens: [
        { id: 1, token: "0123456789abcdef0123456789abcdef", name: "lms-sync", userId: 3, serviceId, iprestriction: "192.0.2.0/24", validuntil: 0, lastaccess: 0, creatorId: 2, timecreated: 1_700_000_000 },
      ],
      nextIds: { service: serviceId + 1, token: 2 },
    });
    found = site();

    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: moodle.adminPassword, secret: true },
      "moodle:serviceShortname": { value: SERVICE },
      "moodle:tokenName": { value: "percipio-livedin" },
      "moodle:tokenIpRestriction": { value: "198.51.100.0/24" },
      "moodle:percipioClientId": { value: "new_client-8" },
      "moodle:percipioClientSecret": { value: NEW_CLIENT_SECRET, secret: true },
      "moodle:percipioOrganizationId": { value: "0f3e6a1c-5d2b-4f8e-9a7c-1b2d3e4f5a6b" },
      "moodle:percipioRegion": { value: "eu" },
    });
  });

  afterEach(async () => {
    await test.settle();
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it("up does only what is missing: the token and the new settings", async () => {
    const up = await test.stack.up({ onOutput: test.onOutput });
    expect(up.summary.result).toBe("succeeded");

    const now = state();
    expect(now.config).toEqual(found.config);
    expect(now.services).toEqual(found.services);
    expect(now.serviceUsers).toEqual(found.serviceUsers);
    expect(ourTokens()).toHaveLength(1);
    expect(ourTokens()[0]).toMatchObject({ userId: 2, serviceId: found.services.at(-1).id, iprestriction: "198.51.100.0/24" });
    expect(now.tokens.filter((t: any) => t.name === "lms-sync")).toEqual(found.tokens);
    expect(now.pluginConfig.percipio).toMatchObject({ authenticationmethod: "oauth", clientid: "new_client-8", clientsecret: NEW_CLIENT_SECRET, piiinfo: "yes" });
  });

  it("a new IP restriction replaces the token: the new one (with it) is made before the old one is deleted", async () => {
    const old = ourTokens()[0];
    await test.stack.setConfig("moodle:tokenIpRestriction", { value: "203.0.113.10,198.51.100.0/24" });
    const events: EngineEvent[] = [];
    const up = await test.stack.up({ onOutput: test.onOutput, onEvent: (e) => events.push(e) });

    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(ourTokens()).toHaveLength(1);
    const fresh = ourTokens()[0];
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.iprestriction).toBe("203.0.113.10,198.51.100.0/24");
    expect(state().tokens.some((t: any) => t.token === old.token)).toBe(false);
    expect(up.outputs.token.value).toBe(fresh.token);
    expect(createdBeforeDeleted(events, "WebServiceToken")).toBe(true);
  });

  it("destroy leaves web services, protocols, the service, its authorised users and the plugin settings exactly as found", async () => {
    const destroy = await test.stack.destroy({ onOutput: test.onOutput });
    expect(destroy.summary.result).toBe("succeeded");
    expect(ourTokens()).toEqual([]);
    // Field by field first, for a readable failure; then the whole site.
    expect(state().config).toEqual(found.config);
    expect(state().services).toEqual(found.services);
    expect(state().serviceUsers).toEqual(found.serviceUsers);
    expect(state().pluginConfig).toEqual(found.pluginConfig);
    expect(site()).toEqual(found);
  });
});
