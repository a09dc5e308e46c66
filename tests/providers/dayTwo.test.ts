// Day-two behaviours of the provider implementations, called directly against the Moodle double:
// token generations, interrupted creates, the preflight, settings rollback and updates, and how
// errors reach the user.
import type { MoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache, MoodleClient } from "../../moodle/client";
import { MoodleLoginError, MoodleTransportError } from "../../moodle/errors";
import { UNKNOWN, withHints } from "../../providers/shared/common";
import { explained } from "../../providers/shared/explained";
import { percipioSettings } from "../../providers/percipioSettings/provider";
import { moodleTokenName, webServiceToken as token } from "../../providers/webServiceToken/provider";
import { webServices } from "../../providers/webServices/provider";
import { webServiceProtocol as restProtocol } from "../../providers/webServiceProtocol/provider";
import { externalServiceAccess as externalService } from "../../providers/externalServiceAccess/provider";
import type { PercipioOAuthDouble } from "../support/percipioOAuthDouble";
import { newRun, sitePosts, useProviderDoubles, webServicesOn } from "./doubles";
import { connectionTo, settingsInputsFor, tokenInputsFor } from "./inputs";

const CLIENT_SECRET = "s3cr3t_VALUE-1";
let moodle: MoodleDouble;
let percipio: PercipioOAuthDouble;
const state = () => moodle.control.state() as any;
const connection = () => connectionTo(moodle.url);
const tokenInputs = (overrides: Record<string, unknown> = {}) => tokenInputsFor(moodle.url, overrides);
const settingsInputs = (overrides: Record<string, unknown> = {}) => settingsInputsFor(moodle.url, percipio.url, CLIENT_SECRET, overrides);
const writes = () => sitePosts(moodle);

useProviderDoubles((started) => ({ moodle, percipio } = started as Required<typeof started>), { clientId: "abc_DEF-123", clientSecret: CLIENT_SECRET });

describe("destroy after a refresh (one provider process)", () => {
  test("each delete decides on the page the refresh just read: only the token and protocol read-backs and one look at who else uses web services go to Moodle", async () => {
    const conn = connection();
    const ws = await webServices.create!({ ...conn, enabled: true });
    const rest = await restProtocol.create!({ ...conn, protocol: "rest", enabled: true });
    const svc = await externalService.create!({ ...conn, shortname: "Percipio-API", tokenUser: "admin", enabled: true, userAllowed: true });
    const tok = await token.create!(tokenInputs());
    newRun(); // a new run: a new provider process
    for (const [p, r] of [[webServices, ws], [restProtocol, rest], [externalService, svc], [token, tok]] as const) await p.read!(r.id, r.outs);
    moodle.control.clearRequests();
    await token.delete!(tok.id, tok.outs);
    await externalService.delete!(svc.id, svc.outs);
    await restProtocol.delete!(rest.id, rest.outs);
    await webServices.delete!(ws.id, ws.outs);
    const gets = moodle.control.requests().filter((r) => r.method === "GET" && !r.path.startsWith("/admin/webservice/protocols.php"));
    // Before switching anything off, who else needs web services: the services list and one page of
    // Manage tokens, read once for both switches (Advanced features is the page the refresh read).
    expect(gets.map((r) => r.path)).toEqual([
      `/admin/webservice/tokens.php?action=delete&tokenid=${tok.id}`,
      "/admin/settings.php?section=externalservices",
      "/admin/webservice/tokens.php",
      "/admin/settings.php?section=webserviceprotocols",
    ]);
    expect(state().tokens).toEqual([]);
    expect(state().config.webserviceprotocols).toBe("");
    expect(state().config.enablewebservices).toBe("0");
  });
});

describe("token generations", () => {
  beforeEach(() => webServicesOn(moodle));
  it("a replacement never takes its predecessor's name, even when only the site URL changed", async () => {
    const first = tokenInputs();
    const created = await token.check!({}, first);
    expect(created.inputs.generation).toBe(0);
    // State written before generations existed has none: it keeps the name it had.
    expect(moodleTokenName(created.inputs)).toBe(moodleTokenName(first));

    const renamedSite = (await token.check!(created.inputs, { ...first, moodleUrl: moodle.url.replace("127.0.0.1", "localhost") })).inputs;
    expect(renamedSite.generation).toBe(1);
    expect(moodleTokenName(renamedSite)).not.toBe(moodleTokenName(created.inputs));
    expect(await token.diff!("1", created.inputs, renamedSite)).toMatchObject({ changes: true });

    // Nothing that needs a new token changed: the generation (and so the name) is kept.
    const again = (await token.check!(renamedSite, { ...renamedSite, adminPassword: "Other-1!", generation: undefined })).inputs;
    expect(again.generation).toBe(1);
  });

  it("an expired token found by refresh is replaced new-first under the next generation's name", async () => {
    // A rolling token whose day has come: time passing is played by its recorded valid-until and
    // Moodle's (a refresh reads only whether it exists: Moodle cannot edit a token).
    const threeDaysAgo = new Date(Date.now() - 3 * 86400e3).toISOString().slice(0, 10);
    const rolling = tokenInputs({ validDays: 30, renewBeforeDays: 7 });
    const inputs = (await token.check!({}, rolling)).inputs;
    const created = await token.create(inputs);
    moodle.control.patchState({ tokens: state().tokens.map((t: any) => ({ ...t, validuntil: Math.floor(Date.now() / 1000) - 86400 * 3 })) });
    const read = await token.read!(created.id, { ...created.outs, validUntil: threeDaysAgo });
    expect(read.props.validUntil).toBe(threeDaysAgo);
    // The engine's check sees the inputs of the last up (nothing changed there); diff sees the expiry.
    const next = (await token.check!(inputs, rolling)).inputs;
    expect((await token.diff!(created.id, read.props, next)).replaces).toEqual(["validUntil"]);
    const replacement = await token.create(next);
    expect(replacement.outs.moodleName).not.toBe(created.outs.moodleName);
    expect(replacement.outs.generation).toBe(1);
    await token.delete!(created.id, read.props);
    expect(state().tokens.map((t: any) => t.name)).toEqual([replacement.outs.moodleName]);
  });

  it("state without a generation plans no change", async () => {
    const { generation: _none, ...legacyInputs } = (await token.check!({}, tokenInputs())).inputs;
    const news = (await token.check!(legacyInputs, tokenInputs())).inputs;
    expect(await token.diff!("1", { ...legacyInputs, moodleName: moodleTokenName(legacyInputs) }, news)).toMatchObject({ changes: false });
  });

  it("the token's last access (Skillsoft using it) is not recorded, so it never shows as a change", async () => {
    const created = await token.create((await token.check!({}, tokenInputs())).inputs);
    moodle.control.patchState({ tokens: state().tokens.map((t: any) => ({ ...t, lastaccess: Math.floor(Date.now() / 1000) })) });
    const read = await token.read!(created.id, created.outs);
    expect(read.props).toEqual(created.outs);
  });
});

describe("a token left by an interrupted create", () => {
  beforeEach(() => webServicesOn(moodle));
  it("is recognised as ours (exact generation name, same attributes, never used) and replaced", async () => {
    const inputs = (await token.check!({}, tokenInputs())).inputs;
    const lost = await token.create(inputs); // its value "lost": the run died before recording it
    // ... and before calling it: Moodle shows it never used. (A run that dies after its calls leaves a
    // used token, which the next run cannot prove it made: it stops and says how to go on, below.)
    moodle.control.patchState({ tokens: state().tokens.map((t: any) => ({ ...t, lastaccess: 0 })) });
    clearClientCache();
    const again = await token.create(inputs);
    expect(again.id).not.toBe(lost.id);
    expect(state().tokens.map((t: any) => t.id)).toEqual([Number(again.id)]);
    expect(again.outs.token).toBe(state().tokens[0].token);
  });

  it("still stops the run, with the options, when the same-named token was used", async () => {
    const inputs = (await token.check!({}, tokenInputs())).inputs;
    await token.create(inputs);
    moodle.control.patchState({ tokens: state().tokens.map((t: any) => ({ ...t, lastaccess: Math.floor(Date.now() / 1000) })) });
    clearClientCache();
    await expect(token.create(inputs)).rejects.toThrow(/already has a token named 'percipio-unit-[0-9a-f]{6}'.*cannot prove.*moodle:adoptExistingToken/);
    expect(state().tokens).toHaveLength(1);
  });
});

describe("preflight (WebServices check)", () => {
  const needs = (overrides: Record<string, unknown> = {}) => ({ serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: true, ...overrides });

  it("lists every problem at once and writes nothing", async () => {
    const result = await webServices.check!({}, { ...connection(), enabled: true, preflight: needs({ serviceShortname: "Nope-API", tokenUser: "nobody@example.com" }) });
    const reasons = (result.failures ?? []).map((f) => f.reason);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/moodle:serviceShortname: Moodle has no external service with shortname 'Nope-API'/);
    expect(reasons[1]).toMatch(/moodle:tokenUser: .*nobody@example\.com/);
    expect(writes()).toEqual([]);
    expect(state().config.enablewebservices).toBe("0");
  });

  it("reports a failed login alone, with its hint once", async () => {
    const result = await webServices.check!({}, { ...connection(), adminPassword: "Wrong-1!", enabled: true, preflight: needs() });
    expect(result.failures).toHaveLength(1);
    expect(result.failures![0].reason.match(/run `pulumi up` once/g)).toHaveLength(1);
  });

  it("passes a good plan, and a no-op run (same needs) reads nothing for it", async () => {
    const inputs = { ...connection(), enabled: true, preflight: needs() };
    expect((await webServices.check!({}, inputs)).failures).toEqual([]);
    moodle.control.clearRequests();
    expect((await webServices.check!(inputs, inputs)).failures).toEqual([]);
    expect(moodle.control.requests()).toEqual([]);
  });

  it("is skipped while inputs are unknown (preview of a stack whose Moodle does not exist yet)", async () => {
    const result = await webServices.check!({}, { ...connection(), moodleUrl: UNKNOWN, enabled: true, preflight: needs() });
    expect(result.failures).toEqual([]);
  });
});

describe("plugin settings", () => {
  it("when the rollback after a rejected write fails too, says which settings were left on the site (no values)", async () => {
    const original = MoodleClient.prototype.setPluginSettings;
    let calls = 0;
    jest.spyOn(MoodleClient.prototype, "setPluginSettings").mockImplementation(async function (this: MoodleClient, values) {
      // The second write is the rollback: Moodle stops answering it.
      if (++calls === 2) moodle.control.injectFault({ method: "POST", path: "/admin/settings.php", kind: "status", status: 503 });
      return original.call(this, values);
    });
    const failure = percipioSettings.create(settingsInputs({ clientId: "bad id!", verifyCredentials: false }));
    await expect(failure).rejects.toThrow(/Putting mod_percipio's previous settings back failed too .*settings left changed: [a-zA-Z, ]*organizationId/);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).not.toContain(CLIENT_SECRET);
    expect(message).not.toContain("b001e4aa");
  });

  it("an update where only connection details changed writes nothing and asks Percipio nothing", async () => {
    const created = await percipioSettings.create(settingsInputs());
    percipio.requests.length = 0;
    moodle.control.clearRequests();
    await percipioSettings.update!(created.id, created.outs, { ...settingsInputs(), requestTimeoutSeconds: 20 });
    expect(writes()).toEqual([]);
    expect(percipio.requests).toEqual([]);
  });

  it("verifies credentials only when a credential field changed, and writes only what changed", async () => {
    const created = await percipioSettings.create(settingsInputs());
    percipio.requests.length = 0;
    await percipioSettings.update!(created.id, created.outs, settingsInputs({ organizationId: "c001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" }));
    expect(percipio.requests).toEqual([]);
    expect(state().pluginConfig.percipio.organizationid).toBe("c001e4aa-7ac9-4d15-8ddc-b0c58f6982dd");
  });
});

describe("plugin settings on destroy", () => {
  it("puts back exactly the values found before the stack, and the plugin's default method when none was set", async () => {
    // A site where the plugin's method was never saved (its settings page preselects the default).
    moodle.control.patchState({ pluginConfig: { ...state().pluginConfig, percipio: { ...state().pluginConfig.percipio, authenticationmethod: "" } } });
    const before = { ...state().pluginConfig.percipio };
    const created = await percipioSettings.create(settingsInputs({ verifyCredentials: false }));
    expect(state().pluginConfig.percipio.clientid).toBe("abc_DEF-123");
    await percipioSettings.delete!(created.id, created.outs);
    const after = state().pluginConfig.percipio;
    for (const [key, value] of Object.entries(before)) expect([key, after[key]]).toEqual([key, key === "authenticationmethod" && !value ? "service_account_bearer_token" : value]);
  });

  it("a site filled in by hand before the stack gets its own values back, the secret included", async () => {
    const handMade = { clientid: "hand_made-1", clientsecret: "hand-secret-1", organizationid: "a001e4aa-7ac9-4d15-8ddc-b0c58f6982dd", authenticationmethod: "oauth" };
    moodle.control.patchState({ pluginConfig: { ...state().pluginConfig, percipio: { ...state().pluginConfig.percipio, ...handMade } } });
    clearClientCache();
    const created = await percipioSettings.create(settingsInputs({ verifyCredentials: false }));
    expect(state().pluginConfig.percipio.clientsecret).toBe(CLIENT_SECRET);
    await percipioSettings.delete!(created.id, created.outs);
    expect(state().pluginConfig.percipio).toMatchObject(handMade);
  });
});

describe("a changed admin password", () => {
  it("is an in-place update of the resource (nothing replaced) that records the new one, which read-back then uses", async () => {
    const created = await webServices.create({ ...connection(), enabled: true });
    moodle.control.patchState({ users: state().users.map((u: any) => (u.username === "admin" ? { ...u, password: "Rotated-Pass-2!" } : u)) });
    clearClientCache();
    // Read-back with what state recorded: the old password fails, and the resource is kept as recorded.
    await expect(webServices.read!(created.id, created.outs)).resolves.toMatchObject({ props: created.outs });
    const news = { ...connection(), adminPassword: "Rotated-Pass-2!", enabled: true };
    expect(await webServices.diff!(created.id, created.outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await webServices.update!(created.id, created.outs, news);
    expect(updated.outs!.adminPassword).toBe("Rotated-Pass-2!");
    clearClientCache();
    await expect(webServices.read!(created.id, updated.outs!)).resolves.toMatchObject({ props: { enabled: true, adminPassword: "Rotated-Pass-2!" } });
  });
});

describe("errors as users see them", () => {
  it("one login failure shared by five resources carries its hint once in each, and no stack trace", async () => {
    const shared = new MoodleLoginError("log in", "/login/index.php", "Invalid login, please try again");
    const failing = withHints({ create: async () => Promise.reject(shared) } as any);
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      const err = await failing.create({}).catch((e: Error) => e);
      messages.push((err as Error).message);
      expect((err as Error).stack).not.toMatch(/\n\s+at /);
    }
    for (const m of messages) expect(m.match(/run `pulumi up` once/g)).toHaveLength(1);
  });

  it("unexpected errors keep their stack trace", () => {
    const bug = new TypeError("x is undefined");
    expect(explained(bug)).toBe(bug);
  });

  it("a refusal our own code raises (a plain Error) is expected: same message, no stack trace", () => {
    const refusal = new Error("Moodle has no external service with shortname 'X' (moodle:serviceShortname).");
    const shown = explained(refusal) as Error;
    expect(shown).not.toBe(refusal);
    expect(shown.message).toBe(refusal.message);
    expect(shown.stack).toBe("(expected error, no stack trace)");
  });

  it("a private CA's certificate names moodle:caCertPath; nothing listening says nothing answers", () => {
    const tls = new MoodleTransportError("log in", "/login/index.php", "GET h: unable to verify the first certificate", { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    expect((explained(tls) as Error).message).toMatch(/TLS verification of the site's certificate failed.*moodle:caCertPath/);
    const refused = new MoodleTransportError("log in", "/login/index.php", "GET h: connection error ECONNREFUSED after 4 attempt(s)", { code: "ECONNREFUSED" });
    expect((explained(refused) as Error).message).toMatch(/Nothing answers at moodle:url/);
  });
});

describe("refresh right after an admin password change", () => {
  it("a read whose login fails keeps the resource as recorded, with a warning; other calls still fail", async () => {
    const recorded = { ...connection(), adminPassword: "Old-Pass-0!", enabled: true, enabledBefore: false };
    const warnings: string[] = [];
    jest.spyOn(console, "error").mockImplementation((line: string) => void warnings.push(line));
    const read = await withHints(webServices).read!("enablewebservices", recorded);
    expect(read).toEqual({ id: "enablewebservices", props: recorded });
    expect(warnings.join("\n")).toMatch(/warning: not read back from Moodle .*Invalid login/);
    await expect(withHints(webServices).delete!("enablewebservices", recorded)).rejects.toThrow(/Invalid login.*run `pulumi up` once: it records the new one/);
  });
});
