// Day-two details of the external service and plugin settings providers, and of when WebServices'
// check runs the preflight: drift seen by read, what update and delete touch (and what they leave),
// and which requests each costs. Called directly against the Moodle double.
import type { MoodleDouble } from "../../testkit/moodle-double";
import { externalServiceAccess as externalService } from "../../providers/externalServiceAccess/provider";
import { percipioSettings } from "../../providers/percipioSettings/provider";
import { webServices } from "../../providers/webServices/provider";
import type { PercipioOAuthDouble } from "../support/percipioOAuthDouble";
import { newRun, sitePosts, useProviderDoubles } from "./doubles";
import { connectionTo, settingsInputsFor } from "./inputs";

const CLIENT_SECRET = "s3cr3t_VALUE-2";
let moodle: MoodleDouble;
let percipio: PercipioOAuthDouble;
const state = () => moodle.control.state() as any;
const connection = () => connectionTo(moodle.url);
const posts = () => sitePosts(moodle);
const percipioService = () => state().services.find((x: any) => x.shortname === "Percipio-API");
const patchPercipioService = (fields: Record<string, unknown>) =>
  moodle.control.patchState({ services: state().services.map((x: any) => (x.shortname === "Percipio-API" ? { ...x, ...fields } : x)) });
/** A later `pulumi up`: a new provider process, with nothing remembered. */
const nextRun = () => {
  newRun();
  moodle.control.clearRequests();
};

useProviderDoubles((started) => ({ moodle, percipio } = started as Required<typeof started>), { clientId: "abc_DEF-123", clientSecret: CLIENT_SECRET });

describe("external service", () => {
  const inputs = (overrides: Record<string, unknown> = {}) => ({ ...connection(), shortname: "Percipio-API", tokenUser: "admin", enabled: true, userAllowed: true, ...overrides });
  const addManager = () =>
    moodle.control.patchState({ users: [...state().users, { ...state().users.find((u: any) => u.id === 2), id: 7, username: "manager", email: "m@example.com", siteAdmin: false }] });

  it("an enabled, unrestricted service: create writes nothing and records that it found it enabled", async () => {
    moodle.control.clearRequests();
    const created = await externalService.create(inputs());
    expect(posts()).toEqual([]);
    expect(created.id).toBe(String(percipioService().id));
    expect(created.outs).toMatchObject({ enabledBefore: true, enabled: true, userAllowed: true, restrictedUsers: false, serviceName: "Percipio services", userId: 2 });
    await externalService.delete!(created.id, created.outs);
    expect(percipioService().enabled).toBe(true);
  });

  it("read sees a service switched off by hand, and a restriction that leaves the token user out", async () => {
    const created = await externalService.create(inputs());
    patchPercipioService({ enabled: false, restrictedusers: true });
    nextRun();
    const read = await externalService.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ enabled: false, restrictedUsers: true, userAllowed: false });
    expect(read.inputs).toMatchObject({ enabled: false, userAllowed: false });
    expect(await externalService.diff!(created.id, read.props, inputs())).toMatchObject({ changes: true, replaces: [] });
  });

  it("read by the recorded id costs one form; a service whose id now has another shortname is looked up again", async () => {
    const created = await externalService.create(inputs());
    nextRun();
    await externalService.read!(created.id, created.outs);
    expect(moodle.control.requests().filter((r) => r.path.startsWith("/admin/settings.php?section=externalservices"))).toEqual([]);
    const moved = await externalService.read!(created.id, { ...created.outs, serviceId: 1 });
    expect(moved.props.serviceId).toBe(percipioService().id);
  });

  it("read of a service deleted since is gone", async () => {
    const created = await externalService.create(inputs());
    moodle.control.patchState({ services: state().services.filter((x: any) => x.shortname !== "Percipio-API") });
    nextRun();
    expect(await externalService.read!(created.id, created.outs)).toEqual({ id: "", props: {} });
    await externalService.delete!(created.id, created.outs);
  });

  it("update repairs drift and keeps what create found and authorised, adding only new authorisations", async () => {
    patchPercipioService({ restrictedusers: true });
    const created = await externalService.create(inputs());
    expect(created.outs.authorisedUserIds).toEqual([2]);
    addManager();
    patchPercipioService({ enabled: false });
    nextRun();
    const updated = await externalService.update!(created.id, created.outs, inputs({ tokenUser: "m@example.com" }));
    expect(percipioService().enabled).toBe(true);
    expect(updated.outs).toMatchObject({ enabledBefore: true, authorisedUserIds: [2, 7], userAllowed: true, enabled: true });
    const again = await externalService.update!(created.id, updated.outs, inputs());
    expect(again.outs.authorisedUserIds).toEqual([2, 7]);
  });

  it("a user deauthorised by hand is authorised again by the repair, and recorded once", async () => {
    patchPercipioService({ restrictedusers: true });
    const created = await externalService.create(inputs());
    moodle.control.patchState({ serviceUsers: [] });
    nextRun();
    const repaired = await externalService.update!(created.id, created.outs, inputs());
    expect(state().serviceUsers.map((u: any) => u.userId)).toEqual([2]);
    expect(repaired.outs.authorisedUserIds).toEqual([2]);
  });

  it("delete leaves the users it authorised when the service is no longer restricted, and a service found enabled stays enabled", async () => {
    patchPercipioService({ restrictedusers: true });
    const created = await externalService.create(inputs());
    patchPercipioService({ restrictedusers: false });
    nextRun();
    await externalService.delete!(created.id, created.outs);
    expect(posts()).toEqual([]);
    expect(percipioService().enabled).toBe(true);
  });

  it("diff: the service is replaced only for another shortname", async () => {
    const olds = { ...inputs(), serviceId: 3 };
    expect(await externalService.diff!("3", olds, inputs({ shortname: "Other-API" }))).toMatchObject({ changes: true, replaces: ["shortname"] });
    for (const change of [{ tokenUser: "m@example.com" }, { enabled: false }, { userAllowed: false }]) {
      expect(await externalService.diff!("3", olds, inputs(change))).toMatchObject({ changes: true, replaces: [] });
    }
  });
});

describe("plugin settings", () => {
  const inputs = (overrides: Record<string, unknown> = {}) => settingsInputsFor(moodle.url, percipio.url, CLIENT_SECRET, overrides);
  const plugin = () => state().pluginConfig.percipio;

  it("create answers with id 'percipio' and what it found; read shows a hand edit, and diff plans an update", async () => {
    const created = await percipioSettings.create(inputs());
    expect(created.id).toBe("percipio");
    expect(created.outs.previous).toMatchObject({ clientId: "", organizationId: "" });
    moodle.control.patchState({ pluginConfig: { ...state().pluginConfig, percipio: { ...plugin(), organizationid: "c001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" } } });
    nextRun();
    const read = await percipioSettings.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ organizationId: "c001e4aa-7ac9-4d15-8ddc-b0c58f6982dd", previous: created.outs.previous });
    expect(read.inputs).toMatchObject({ organizationId: "c001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" });
    expect(read.inputs).not.toHaveProperty("previous");
    expect(await percipioSettings.diff!(created.id, read.props, inputs())).toMatchObject({ changes: true, replaces: [] });
    expect(await percipioSettings.diff!(created.id, created.outs, inputs({ verifyCredentials: false }))).toMatchObject({ changes: true, replaces: [] });
  });

  it("an update of a credential asks Percipio before writing; other fields do not", async () => {
    const created = await percipioSettings.create(inputs({ verifyCredentials: false }));
    nextRun();
    await expect(percipioSettings.update!(created.id, created.outs, inputs({ clientSecret: "wrong-secret-9" }))).rejects.toThrow(/moodle:percipioClientSecret|Percipio/);
    expect(percipio.requests.length).toBeGreaterThan(0);
    expect(plugin().clientsecret).toBe(CLIENT_SECRET);
    percipio.requests.length = 0;
    const updated = await percipioSettings.update!(created.id, created.outs, inputs({ apiUrl: "https://api.eu.percipio.com" }));
    expect(percipio.requests).toEqual([]);
    expect(plugin().percipiourl).toBe("https://api.eu.percipio.com");
    expect(updated.outs).toMatchObject({ apiUrl: "https://api.eu.percipio.com", previous: created.outs.previous });
  });

  it("a credential changed together with another field is still checked with Percipio first", async () => {
    const created = await percipioSettings.create(inputs({ verifyCredentials: false }));
    nextRun();
    await expect(percipioSettings.update!(created.id, created.outs, inputs({ clientSecret: "wrong-secret-9", apiUrl: "https://api.eu.percipio.com" }))).rejects.toThrow();
    expect(percipio.requests.length).toBeGreaterThan(0);
    expect(plugin()).toMatchObject({ clientsecret: CLIENT_SECRET, percipiourl: "https://api.percipio.com" });
  });

  it("an update on another site URL writes every setting there", async () => {
    const created = await percipioSettings.create(inputs({ verifyCredentials: false }));
    moodle.control.patchState({ pluginConfig: { ...state().pluginConfig, percipio: { ...plugin(), clientid: "", organizationid: "" } } });
    nextRun();
    const elsewhere = { ...created.outs, moodleUrl: "http://old-site.example.com" };
    await percipioSettings.update!(created.id, elsewhere, inputs({ verifyCredentials: false }));
    expect(plugin()).toMatchObject({ clientid: "abc_DEF-123", organizationid: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" });
  });
});

describe("when WebServices' check runs the preflight", () => {
  const needs = { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: false };
  const news = (overrides: Record<string, unknown> = {}) => ({ ...connection(), enabled: true, preflight: needs, ...overrides });
  const requestsOf = async (olds: Record<string, unknown>, next: Record<string, unknown>) => {
    nextRun();
    await webServices.check!(olds, next);
    return moodle.control.requests().length;
  };

  it("on the first run and whenever the site, admin user or needs change; never on a no-op run", async () => {
    expect(await requestsOf({}, news())).toBeGreaterThan(0);
    expect(await requestsOf(news(), news())).toBe(0);
    expect(await requestsOf(news({ moodleUrl: "http://elsewhere.example.com" }), news())).toBeGreaterThan(0);
    expect(await requestsOf(news({ adminUser: "manager" }), news())).toBeGreaterThan(0);
    expect(await requestsOf(news({ preflight: { ...needs, tokenUser: "manager" } }), news())).toBeGreaterThan(0);
    expect(await requestsOf(news({ preflight: undefined }), news())).toBeGreaterThan(0);
    expect(await requestsOf({}, news({ preflight: undefined }))).toBe(0);
  });
});
