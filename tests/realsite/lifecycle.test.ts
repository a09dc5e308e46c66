// This project's index.ts through the real Pulumi engine against the real Moodle 5.0.6+ with the real
// mod_percipio (scripts/real-moodle.sh): what tests/engine/lifecycle proves on the double, on the
// real thing. Moodle is read and changed behind the stack's back only the ways a person could: its
// CLI (admin/cli/cfg.php, as www-data) and, for a token, its row in the database (Moodle has no CLI
// for tokens; deleting the row is what its delete page does). Percipio's OAuth endpoint is a double.
import { execFileSync } from "child_process";
import type { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { backendText, projectStack, TestStack } from "../../testkit/engine/engine";
import { createdBeforeDeleted } from "../support/engineEvents";
import { PercipioOAuthDouble, startPercipioOAuthDouble } from "../support/percipioOAuthDouble";
import { databaseFootprint, describeRealSite, realSite, RealSite } from "../support/realSite";

jest.setTimeout(300_000);

const CLIENT_ID = "abc_DEF-123";
const CLIENT_SECRET = "s3cr3t_VALUE-1";
const ROTATED_CLIENT_SECRET = "r0tated_SECRET-2";
const ORGANIZATION_ID = "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd";
const ADMIN_USER_ID = 2;

interface TokenRowDb {
  id: number;
  token: string;
  name: string;
  userid: number;
  externalserviceid: number;
}

/** Each resource step that is not a no-op, with the inputs the engine diffed (dynamic providers have no detailed diff). */
function changedSteps(events: EngineEvent[]): { type: string; op: string; diffs: string[] }[] {
  return events
    .map((e) => e.resourcePreEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m && !["same", "refresh", "read"].includes(m.op))
    .map((m) => {
      const olds = (m.old?.inputs ?? {}) as Record<string, unknown>;
      const news = (m.new?.inputs ?? {}) as Record<string, unknown>;
      const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])];
      return { type: m.type.split(":").pop() as string, op: m.op, diffs: keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort() };
    });
}

/** Debug diagnostics carry raw RPC payloads and are shown only with -v/--debug (see tests/engine/lifecycle). */
const shownToUsers = (e: EngineEvent) => (e.diagnosticEvent?.severity as string | undefined) !== "debug";

describeRealSite("PercipioIntegration through the real engine against the real Moodle", () => {
  let site: RealSite;
  let percipio: PercipioOAuthDouble;
  let test: TestStack & { dir: string };
  let siteBefore: ReturnType<typeof databaseFootprint>;
  /**
   * `pulumi stack export` of the deployed stack, as a user runs it (taken before destroy empties it).
   * Not Automation's exportStack(): that one passes --show-secrets and so prints them decrypted.
   */
  let exported = "";
  const stackExport = () =>
    execFileSync("pulumi", ["stack", "export", "--stack", test.stack.name], {
      cwd: test.dir,
      encoding: "utf8",
      env: { ...process.env, ...(test.stack.workspace as LocalWorkspace).envVars },
    });
  const everything: string[] = [];
  const tokenValues = new Set<string>();
  const output = (line: string) => everything.push(line);

  const tokens = () => site.rows<TokenRowDb>("SELECT id, token, name, userid, externalserviceid FROM mdl_external_tokens ORDER BY id");
  const setting = (name: string) => site.rows<{ value: string }>(`SELECT value FROM mdl_config_plugins WHERE plugin = 'percipio' AND name = '${name}'`)[0]?.value;
  const siteConfig = (name: string) => site.rows<{ value: string }>(`SELECT value FROM mdl_config WHERE name = '${name}'`)[0]?.value;
  const percipioServiceId = () => site.rows<{ id: number }>("SELECT id FROM mdl_external_services WHERE shortname = 'Percipio-API'")[0].id;

  async function previewRefresh() {
    const events: EngineEvent[] = [];
    const result = await test.stack.preview({ refresh: true, onOutput: output, onEvent: (e) => events.push(e) });
    everything.push(JSON.stringify(events.filter(shownToUsers)));
    return { steps: changedSteps(events), summary: result.changeSummary as Record<string, number> };
  }

  beforeAll(async () => {
    site = realSite();
    site.reset();
    siteBefore = databaseFootprint(site);
    percipio = await startPercipioOAuthDouble({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    percipio.acceptSecret(ROTATED_CLIENT_SECRET);
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: site.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminUser": { value: site.adminUser },
      "moodle:adminPassword": { value: site.adminPassword, secret: true },
      "moodle:tokenName": { value: "percipio-ci" },
      "moodle:percipioClientId": { value: CLIENT_ID },
      "moodle:percipioClientSecret": { value: CLIENT_SECRET, secret: true },
      "moodle:percipioOrganizationId": { value: ORGANIZATION_ID },
      "moodle:percipioRegion": { value: "custom" },
      "moodle:percipioOauthUrl": { value: percipio.url },
      "moodle:percipioApiUrl": { value: "https://api.percipio.com" },
      "moodle:percipioVerifyCredentials": { value: "true" },
    });
  });

  afterEach(async () => {
    if (!test) return;
    await test.settle();
    for (const t of tokens()) tokenValues.add(t.token);
    everything.push(backendText(test.backendDir));
  });

  afterAll(async () => {
    await test?.dispose();
    await percipio?.stop();
  });

  it("a fresh up performs every step of the procedure on the real site", async () => {
    expect(siteBefore).toMatchObject({ enablewebservices: "0", webserviceprotocols: "", tokens: [] });
    const result = await test.stack.up({ onOutput: output });
    expect(result.summary.resourceChanges).toEqual({ create: 7 });

    expect(siteConfig("enablewebservices")).toBe("1");
    expect(siteConfig("webserviceprotocols").split(",")).toContain("rest");
    const [token, ...others] = tokens();
    expect(others).toEqual([]);
    expect(token).toMatchObject({ userid: ADMIN_USER_ID, externalserviceid: percipioServiceId() });
    expect(token.name).toMatch(/^percipio-ci-[0-9a-f]{6}$/);
    expect({
      authenticationmethod: setting("authenticationmethod"),
      clientid: setting("clientid"),
      clientsecret: setting("clientsecret"),
      organizationid: setting("organizationid"),
      oauthurl: setting("oauthurl"),
      percipiourl: setting("percipiourl"),
    }).toEqual({
      authenticationmethod: "oauth",
      clientid: CLIENT_ID,
      clientsecret: CLIENT_SECRET,
      organizationid: ORGANIZATION_ID,
      oauthurl: percipio.url,
      percipiourl: "https://api.percipio.com",
    });
    expect(percipio.requests).toEqual([{ clientId: CLIENT_ID, grantType: "client_credentials" }]);
    expect(result.outputs.token).toEqual({ value: token.token, secret: true });
    expect(JSON.parse(result.outputs.handoff.value)).toMatchObject({
      moodleUrl: site.url,
      restEndpoint: `${site.url}/webservice/rest/server.php`,
      serviceShortname: "Percipio-API",
      token: token.token,
    });
  });

  it("a preview right after plans nothing, and so does one that reads Moodle first", async () => {
    expect((await test.stack.preview({ onOutput: output })).changeSummary).toEqual({ same: 7 });
    const { steps, summary } = await previewRefresh();
    expect(steps).toEqual([]);
    expect(summary).toEqual({ same: 7 });
  });

  describe.each([
    ["the client ID typed in the plugin's settings", "PercipioSettings", "clientId", ["--component=percipio", "--name=clientid", "--set=hand_edited"], () => setting("clientid") === CLIENT_ID],
    ["web services switched off", "WebServices", "enabled", ["--name=enablewebservices", "--set=0"], () => siteConfig("enablewebservices") === "1"],
  ])("a hand edit in Moodle: %s", (_name, type, field, cfgArgs, repaired) => {
    it(`preview --refresh reports only ${type}.${field}; up repairs it`, async () => {
      site.cli(["admin/cli/cfg.php", ...cfgArgs]);
      expect(repaired()).toBe(false);
      const { steps } = await previewRefresh();
      expect(steps).toEqual([{ type, op: "update", diffs: [field] }]);
      const up = await test.stack.up({ refresh: true, onOutput: output });
      expect(up.summary.resourceChanges).toEqual({ same: 6, update: 1 });
      expect(repaired()).toBe(true);
    });
  });

  it("a token deleted in Moodle is found gone by preview --refresh and recreated by up", async () => {
    const [old] = tokens();
    site.exec(`DELETE FROM mdl_external_tokens WHERE id = ${Number(old.id)}`);
    const { steps } = await previewRefresh();
    expect(steps).toEqual([{ type: "WebServiceToken", op: "create", diffs: expect.any(Array) }]);
    const up = await test.stack.up({ refresh: true, onOutput: output });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    const [fresh, ...others] = tokens();
    expect(others).toEqual([]);
    expect(fresh.id).not.toBe(old.id);
    expect(up.outputs.token.value).toBe(fresh.token);
  });

  it("rotating the client secret in config updates only the plugin's settings", async () => {
    await test.stack.setConfig("moodle:percipioClientSecret", { value: ROTATED_CLIENT_SECRET, secret: true });
    const up = await test.stack.up({ onOutput: output });
    expect(up.summary.resourceChanges).toEqual({ same: 6, update: 1 });
    expect(setting("clientsecret")).toBe(ROTATED_CLIENT_SECRET);
  });

  it("moodle:tokenRotation replaces the token, the new one created before the old one is deleted", async () => {
    const [old] = tokens();
    await test.stack.setConfig("moodle:tokenRotation", { value: "2" });
    const events: EngineEvent[] = [];
    const up = await test.stack.up({ onOutput: output, onEvent: (e) => events.push(e) });
    expect(up.summary.resourceChanges).toEqual({ same: 6, replace: 1 });
    const [fresh, ...others] = tokens();
    expect(others).toEqual([]);
    expect(fresh.id).not.toBe(old.id);
    expect(up.outputs.token.value).toBe(fresh.token);
    expect(createdBeforeDeleted(events, "WebServiceToken")).toBe(true);
  });

  it("destroy leaves the site's database as it was before the first up", async () => {
    exported = stackExport();
    const result = await test.stack.destroy({ onOutput: output });
    expect(result.summary.resourceChanges).toEqual({ delete: 7 });
    expect(databaseFootprint(site)).toEqual(siteBefore);
  });

  it("no secret appears in the state, its export or anything the engine printed", async () => {
    const text = [...everything, backendText(test.backendDir), exported].join("\n");
    expect(exported).toContain("ciphertext");
    // The first token, its recreation after deletion, and the rotation's.
    expect(tokenValues.size).toBeGreaterThanOrEqual(3);
    const leaks = [site.adminPassword, CLIENT_SECRET, ROTATED_CLIENT_SECRET, ...tokenValues]
      .filter((secret) => text.includes(secret))
      .map((secret) => text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 40));
    expect(leaks).toEqual([]);
  });
});
