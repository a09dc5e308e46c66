// The product through the real engine: this project's index.ts run by `pulumi` (language host,
// dynamic providers in their own process) against the Moodle double and a Percipio OAuth double.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { PercipioOAuthDouble, startPercipioOAuthDouble } from "../support/percipioOAuthDouble";
import { backendText, projectStack, TestStack } from "../../testkit/engine/engine";
import { createdBeforeDeleted } from "../support/engineEvents";

jest.setTimeout(240_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";
const NEW_ADMIN_PASSWORD = "Rotated-Pass-2!";
const CLIENT_SECRET = "s3cr3t_VALUE-1";
const ROTATED_CLIENT_SECRET = "r0tated_SECRET-2";
/** A client secret typed into Moodle by hand: read back by refresh, it must stay as secret as ours. */
const HAND_TYPED_SECRET = "hand_typed-0";
/** A secret field in a drift row: the engine shows its change without naming it. */
const MASKED = "(secret field)";
const ORGANIZATION_ID = "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd";

/** The dynamic resource type names whose step is an update or replacement, with the fields the engine diffed. */
function changedSteps(events: EngineEvent[]): { type: string; op: string; diffs: string[] }[] {
  return events
    .map((e) => e.resourcePreEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m && !["same", "refresh", "read"].includes(m.op))
    .map((m) => ({ type: m.type.split(":").pop() as string, op: m.op, diffs: changedInputs(m.old?.inputs, m.new?.inputs) }));
}

/**
 * The Node SDK logs raw RegisterResource responses (secret outputs included) as debug diagnostics,
 * which the CLI prints only with --debug / -v; the README warns not to share such logs.
 */
function shownToUsers(event: EngineEvent): boolean {
  // The SDK types omit "debug", but the engine sends it.
  return (event.diagnosticEvent?.severity as string | undefined) !== "debug";
}

/**
 * Dynamic providers cannot return a detailed diff, so the engine (and `pulumi preview --diff`)
 * shows the inputs that differ: after a refresh, the live values `read` reported vs the program's.
 */
function changedInputs(olds: Record<string, unknown> = {}, news: Record<string, unknown> = {}): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

describe("PercipioIntegration through the real engine", () => {
  let moodle: MoodleDouble;
  let percipio: PercipioOAuthDouble;
  let test: TestStack & { dir: string };
  const everything: string[] = [];
  /** Every token value Moodle ever held during the run, to search the outputs for. */
  const tokenValues = new Set<string>();

  const state = () => moodle.control.state() as any;
  const percipioSettings = () => state().pluginConfig.percipio;
  const tokens = () => state().tokens as { id: number; name: string; token: string }[];
  const percipioService = () => state().services.find((s: any) => s.shortname === "Percipio-API");
  const output = (line: string) => everything.push(line);

  async function previewRefresh(): Promise<{ steps: ReturnType<typeof changedSteps>; summary: Record<string, number> }> {
    const events: EngineEvent[] = [];
    const result = await test.stack.preview({ refresh: true, onOutput: output, onEvent: (e) => events.push(e) });
    everything.push(JSON.stringify(events.filter(shownToUsers)));
    return { steps: changedSteps(events), summary: result.changeSummary as Record<string, number> };
  }

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    percipio = await startPercipioOAuthDouble({ clientId: "abc_DEF-123", clientSecret: CLIENT_SECRET });
    percipio.acceptSecret(ROTATED_CLIENT_SECRET);
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
      "moodle:tokenName": { value: "percipio-ci" },
      "moodle:percipioClientId": { value: "abc_DEF-123" },
      "moodle:percipioClientSecret": { value: CLIENT_SECRET, secret: true },
      "moodle:percipioOrganizationId": { value: ORGANIZATION_ID },
      "moodle:percipioRegion": { value: "custom" },
      "moodle:percipioOauthUrl": { value: percipio.url },
      "moodle:percipioApiUrl": { value: "https://api.percipio.com" },
      "moodle:percipioVerifyCredentials": { value: "true" },
    });
  });

  afterEach(async () => {
    // A test that failed on a timeout may leave its operation running: stop it before the next test.
    await test.settle();
    for (const t of tokens()) tokenValues.add(t.token);
    // What is at rest: the backend's files (exportStack would decrypt secrets for us).
    everything.push(backendText(test.backendDir));
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    await percipio?.stop();
  });

  it("a fresh up performs every step of the procedure", async () => {
    const before = state();
    expect(before.config.enablewebservices).toBe("0");
    expect(before.config.webserviceprotocols).toBeUndefined();

    const result = await test.stack.up({ onOutput: output });
    expect(result.summary.resourceChanges).toEqual({ create: 7 });

    const after = state();
    expect(after.config.enablewebservices).toBe("1");
    expect(after.config.webserviceprotocols.split(",")).toContain("rest");
    expect(tokens()).toHaveLength(1);
    expect(tokens()[0].name).toMatch(/^percipio-ci-[0-9a-f]{6}$/);
    expect(percipioSettings()).toMatchObject({
      authenticationmethod: "oauth",
      clientid: "abc_DEF-123",
      clientsecret: CLIENT_SECRET,
      organizationid: ORGANIZATION_ID,
      oauthurl: percipio.url,
      percipiourl: "https://api.percipio.com",
    });
    // The credentials were checked with Percipio before they were written.
    expect(percipio.requests).toEqual([{ clientId: "abc_DEF-123", grantType: "client_credentials" }]);

    expect(result.outputs.token.secret).toBe(true);
    expect(result.outputs.token.value).toBe(tokens()[0].token);
    expect(result.outputs.handoff.secret).toBe(true);
    expect(JSON.parse(result.outputs.handoff.value)).toMatchObject({
      moodleUrl: moodle.url,
      restEndpoint: `${moodle.url}/webservice/rest/server.php`,
      serviceShortname: "Percipio-API",
      token: tokens()[0].token,
    });
    expect(result.outputs.tokenName.value).toBe(tokens()[0].name);
  });

  it("a second up and a preview report no changes", async () => {
    const preview = await test.stack.preview({ onOutput: output });
    expect(preview.changeSummary).toEqual({ same: 7 });
    const up = await test.stack.up({ onOutput: output });
    expect(up.summary.resourceChanges).toEqual({ same: 7 });
    expect(tokens()).toHaveLength(1);
  });

  it("a no-op preview --refresh logs in once, reads at most one page per resource, and calls the token once per function", async () => {
    moodle.control.clearRequests();
    const { summary } = await previewRefresh();
    expect(summary).toEqual({ same: 7 });
    const requests = moodle.control.requests();
    const logins = requests.filter((r) => r.method === "POST" && r.path.startsWith("/login/index.php"));
    const pageReads = requests.filter((r) => r.method === "GET" && !r.path.startsWith("/login/") && !r.path.startsWith("/my/"));
    const tokenCalls = requests.filter((r) => r.method === "POST" && r.path === "/webservice/rest/server.php");
    expect(logins).toHaveLength(1);
    // The token is read back by calls that prove Moodle still accepts it: no admin page of its own.
    expect(pageReads.length).toBeLessThanOrEqual(4);
    expect(tokenCalls).toHaveLength(3);
    expect(requests.filter((r) => r.method === "POST")).toHaveLength(1 + tokenCalls.length);
  });

  describe.each([
    ["web services switched off", "WebServices", "enabled", () => moodle.control.patchState({ config: { enablewebservices: "0" } }), () => state().config.enablewebservices === "1"],
    ["REST disabled (SOAP left on)", "WebServiceProtocol", "enabled", () => moodle.control.patchState({ config: { webserviceprotocols: "soap" } }), () => state().config.webserviceprotocols.split(",").sort().join() === "rest,soap"],
    [
      "Percipio service disabled",
      "ExternalServiceAccess",
      "enabled",
      () => moodle.control.patchState({ services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)) }),
      () => state().services.find((s: any) => s.shortname === "Percipio-API").enabled === true,
    ],
    ["client id edited", "PercipioSettings", "clientId", () => moodle.control.patchState({ pluginConfig: { percipio: { clientid: "hand_edited" } } }), () => percipioSettings().clientid === "abc_DEF-123"],
    ["API URL edited", "PercipioSettings", "apiUrl", () => moodle.control.patchState({ pluginConfig: { percipio: { percipiourl: "https://evil.example.com" } } }), () => percipioSettings().percipiourl === "https://api.percipio.com"],
    // The engine masks a secret's old and new values alike in its events, so no field shows; the repair proves which one it was.
    ["client secret edited", "PercipioSettings", MASKED, () => moodle.control.patchState({ pluginConfig: { percipio: { clientsecret: HAND_TYPED_SECRET } } }), () => percipioSettings().clientsecret === CLIENT_SECRET],
    ["organization id edited", "PercipioSettings", "organizationId", () => moodle.control.patchState({ pluginConfig: { percipio: { organizationid: "other-org" } } }), () => percipioSettings().organizationid === ORGANIZATION_ID],
    ["OAuth URL edited", "PercipioSettings", "oauthUrl", () => moodle.control.patchState({ pluginConfig: { percipio: { oauthurl: "https://oauth.evil.example.com" } } }), () => percipioSettings().oauthurl === percipio.url],
    ["scope filled in", "PercipioSettings", "scope", () => moodle.control.patchState({ pluginConfig: { percipio: { scope: "api:all" } } }), () => percipioSettings().scope === ""],
    [
      "authentication method switched to service account",
      "PercipioSettings",
      "authenticationMethod",
      () => moodle.control.patchState({ pluginConfig: { percipio: { authenticationmethod: "service_account_bearer_token" } } }),
      () => percipioSettings().authenticationmethod === "oauth",
    ],
    [
      // What a plugin upgrade declaring restrictedusers=1 does: the token user is no longer allowed.
      "Percipio service restricted to authorised users, token user not among them",
      "ExternalServiceAccess",
      "userAllowed",
      () => moodle.control.patchState({ services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, restrictedusers: true } : s)), serviceUsers: [] }),
      () => state().serviceUsers.some((u: any) => u.serviceId === percipioService().id && u.userId === 2),
    ],
  ])("drift: %s", (_name, type, field, drift, repaired) => {
    it(`preview --refresh reports only ${type}.${field}; up repairs it`, async () => {
      drift();
      const { steps } = await previewRefresh();
      expect(steps).toEqual([{ type, op: "update", diffs: field === MASKED ? [] : [field] }]);
      const up = await test.stack.up({ refresh: true, onOutput: output });
      expect(up.summary.resourceChanges).toEqual({ same: 6, update: 1 });
      expect(repaired()).toBe(true);
    });
  });

  it("the plugin's own runtime keys never count as drift", async () => {
    moodle.control.patchState({ pluginConfig: { percipio: { oauthToken: "runtime-abc", oauthTokenExpiry: "3600", tokenExpiryTime: "1790000000" } } });
    const { steps, summary } = await previewRefresh();
    expect(steps).toEqual([]);
    expect(summary).toEqual({ same: 7 });
  });

  it("a token deleted in Moodle is reported gone by refresh and recreated (and exported) by up", async () => {
    const old = tokens()[0];
    moodle.control.patchState({ tokens: [] });
    const up = await test.stack.up({ refresh: true, onOutput: output });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(tokens()).toHaveLength(1);
    expect(tokens()[0].id).not.toBe(old.id);
    expect(up.outputs.token.value).toBe(tokens()[0].token);
  });

  it("rotating the client secret in config updates only the settings resource", async () => {
    await test.stack.setConfig("moodle:percipioClientSecret", { value: ROTATED_CLIENT_SECRET, secret: true });
    const up = await test.stack.up({ onOutput: output });
    expect(up.summary.resourceChanges).toEqual({ same: 6, update: 1 });
    expect(percipioSettings().clientsecret).toBe(ROTATED_CLIENT_SECRET);
  });

  it("rotating the token creates the new token before deleting the old one", async () => {
    const old = tokens()[0];
    await test.stack.setConfig("moodle:tokenRotation", { value: "2" });
    const events: EngineEvent[] = [];
    const up = await test.stack.up({ onOutput: output, onEvent: (e) => events.push(e) });
    expect(up.summary.resourceChanges).toEqual({ same: 6, replace: 1 });
    expect(tokens()).toHaveLength(1);
    const fresh = tokens()[0];
    expect(fresh.id).not.toBe(old.id);
    expect(up.outputs.token.value).toBe(fresh.token);
    // The replacement's creation completes before the old token's deletion starts.
    expect(createdBeforeDeleted(events, "WebServiceToken")).toBe(true);
  });

  it("changing the admin password replaces nothing: up records the new one in place, and refresh then uses it", async () => {
    moodle.control.patchState({ users: state().users.map((u: any) => (u.id === 2 ? { ...u, password: NEW_ADMIN_PASSWORD } : u)) });
    await test.stack.setConfig("moodle:adminPassword", { value: NEW_ADMIN_PASSWORD, secret: true });
    // Read-back uses what state recorded (the old password): kept as recorded, with a warning; each Moodle resource is an in-place update.
    const preview = await test.stack.preview({ refresh: true, onOutput: output });
    expect(preview.changeSummary).toEqual({ same: 2, update: 5 });
    const up = await test.stack.up({ onOutput: output });
    expect(up.summary.resourceChanges).toEqual({ same: 2, update: 5 });
    expect(tokens()).toHaveLength(1);
    // After that up, plain refresh (and destroy) work with the new password too.
    const refreshed = await test.stack.refresh({ onOutput: output });
    expect(refreshed.summary.result).toBe("succeeded");
  });

  it("destroy removes the token, clears the credentials and puts the site settings back", async () => {
    const result = await test.stack.destroy({ onOutput: output });
    expect(result.summary.resourceChanges).toEqual({ delete: 7 });
    expect(tokens()).toHaveLength(0);
    expect(percipioSettings()).toMatchObject({
      authenticationmethod: "service_account_bearer_token",
      clientid: "",
      clientsecret: "",
      organizationid: "",
      oauthurl: "",
      percipiourl: "",
    });
    expect(state().config.enablewebservices).toBe("0");
    // The token user was authorised by the stack when the service became restricted; nobody else was.
    expect(state().serviceUsers).toEqual([]);
    // SOAP was switched on by a "hand" during the drift test; only REST is taken back off.
    expect(state().config.webserviceprotocols).toBe("soap");
  });

  it("no secret value appears in the state, the engine's output or its events", async () => {
    const text = everything.join("\n") + backendText(test.backendDir);
    expect(text).toContain("ciphertext");
    expect(tokenValues.size).toBeGreaterThanOrEqual(3);
    const leaks = [ADMIN_PASSWORD, NEW_ADMIN_PASSWORD, CLIENT_SECRET, ROTATED_CLIENT_SECRET, HAND_TYPED_SECRET, ...tokenValues]
      .filter((secret) => text.includes(secret))
      .map((secret) => text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 40));
    expect(leaks).toEqual([]);
    expect(everything.length).toBeGreaterThan(10);
  });
});
