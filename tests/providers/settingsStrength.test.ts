// The plugin settings provider's edges: what a failed write followed by a failed rollback tells the
// user (exactly which settings were left changed, none, or that they could not be read back), create
// taking the settings page the preflight just read, a delete with no recorded previous values, and
// read-backs that give the engine no undefined inputs. Called directly against the Moodle double.
import type { MoodleDouble } from "../../testkit/moodle-double";
import { MoodleClient } from "../../moodle/client";
import { percipioSettings } from "../../providers/percipioSettings/provider";
import { webServices } from "../../providers/webServices/provider";
import type { PercipioOAuthDouble } from "../support/percipioOAuthDouble";
import { newRun, useProviderDoubles } from "./doubles";
import { connectionTo, settingsInputsFor } from "./inputs";

const CLIENT_SECRET = "s3cr3t_VALUE-3";
let moodle: MoodleDouble;
let percipio: PercipioOAuthDouble;
const state = () => moodle.control.state() as any;
const plugin = () => ({ ...state().pluginConfig.percipio }) as Record<string, string>;
const inputs = (overrides: Record<string, unknown> = {}) => settingsInputsFor(moodle.url, percipio.url, CLIENT_SECRET, { verifyCredentials: false, ...overrides });

useProviderDoubles((started) => ({ moodle, percipio } = started as Required<typeof started>), { clientId: "abc_DEF-123", clientSecret: CLIENT_SECRET });

/** Resource field -> mod_percipio setting, as the plugin names them. */
const SETTING_OF: Record<string, string> = {
  authenticationMethod: "authenticationmethod",
  clientId: "clientid",
  clientSecret: "clientsecret",
  organizationId: "organizationid",
  oauthUrl: "oauthurl",
  apiUrl: "percipiourl",
  scope: "scope",
};
const SETTINGS_PAGE = "/admin/settings.php?section=modsettingpercipio";

/** Fails every write after the first `real` ones (which go to Moodle) with `failure`. */
function writesFailAfter(real: number, failure: Error) {
  const original = MoodleClient.prototype.setPluginSettings;
  let calls = 0;
  jest.spyOn(MoodleClient.prototype, "setPluginSettings").mockImplementation(async function (this: MoodleClient, values) {
    if (++calls > real) throw failure;
    return original.call(this, values);
  });
}

describe("a rejected write whose rollback fails too", () => {
  it("names exactly the settings left changed on the site, in the plugin's order, and no others", async () => {
    const before = plugin();
    // Moodle saves the valid fields of the rejected form; then it stops answering the rollback.
    writesFailAfter(1, new Error("Moodle stopped answering (503)"));
    const message = await percipioSettings.create(inputs({ clientId: "bad id!" })).then(
      () => "created",
      (e: Error) => e.message,
    );
    const after = plugin();
    const left = Object.keys(SETTING_OF).filter((f) => after[SETTING_OF[f]] !== before[SETTING_OF[f]]);
    expect(left).not.toContain("clientId");
    expect(left.length).toBeGreaterThan(1);
    expect(message).toContain(`(Moodle stopped answering (503)); settings left changed: ${left.join(", ")}. Check them`);
  });

  it("a write that saved nothing says none was left changed", async () => {
    const before = plugin();
    writesFailAfter(0, new Error("connection reset"));
    const failure = percipioSettings.create(inputs());
    await expect(failure).rejects.toThrow(/^connection reset\. Putting mod_percipio's previous settings back failed too \(connection reset\); settings none left changed\. /);
    expect(plugin()).toEqual(before);
  });

  it("when the settings cannot even be read back, says to check every one of them", async () => {
    writesFailAfter(0, new Error("connection reset"));
    const original = MoodleClient.prototype.pluginSettings;
    let reads = 0;
    jest.spyOn(MoodleClient.prototype, "pluginSettings").mockImplementation(async function (this: MoodleClient, reuse?: boolean) {
      if (++reads > 1) throw new Error("Moodle is gone");
      return original.call(this, reuse);
    });
    await expect(percipioSettings.create(inputs())).rejects.toThrow(/settings could not be read back; check every mod_percipio setting\. /);
  });
});

describe("create", () => {
  it("takes the settings page the preflight just read instead of reading it again", async () => {
    const needs = { serviceShortname: "Percipio-API", tokenUser: "admin", percipioSettings: true };
    expect((await webServices.check!({}, { ...connectionTo(moodle.url), enabled: true, preflight: needs })).failures).toEqual([]);
    moodle.control.clearRequests();
    await percipioSettings.create(inputs());
    expect(moodle.control.requests().filter((r) => r.method === "GET" && r.path === SETTINGS_PAGE)).toEqual([]);
    expect(plugin()).toMatchObject({ clientid: "abc_DEF-123", organizationid: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" });
  });
});

describe("delete", () => {
  it("with no previous values recorded (state of an earlier version) clears every setting and puts back the plugin's default method", async () => {
    const created = await percipioSettings.create(inputs());
    newRun();
    const { previous: _none, ...withoutPrevious } = created.outs;
    await percipioSettings.delete!(created.id, withoutPrevious);
    const after = plugin();
    for (const setting of Object.values(SETTING_OF).filter((s) => s !== "authenticationmethod")) expect(after[setting] ?? "").toBe("");
    expect(after.authenticationmethod).toBe("service_account_bearer_token");
  });
});

describe("read", () => {
  it("gives the engine only inputs that have a value: no TOTP secret key for an admin without one", async () => {
    const created = await percipioSettings.create(inputs());
    newRun();
    const read = await percipioSettings.read!(created.id, created.outs);
    expect(Object.keys(read.inputs!)).not.toContain("adminTotpSecret");
    expect(Object.values(read.inputs!)).not.toContain(undefined);
    expect(read.inputs).toMatchObject({ clientId: "abc_DEF-123", verifyCredentials: false, moodleUrl: moodle.url });
  });
});
