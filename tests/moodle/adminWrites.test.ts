// What the admin-page modules say when Moodle does not do what was asked, on recorded Moodle 5.0
// pages through a stand-in session: a page that is not the expected one, a write Moodle did not
// apply, and requests refused before anything is sent.
import { MoodleNotAppliedError, MoodleSessionError, MoodleValidationError } from "../../moodle/errors";
import { pluginSettings, setPluginSettings } from "../../moodle/pluginSettings";
import { enabledProtocols, setProtocolEnabled } from "../../moodle/protocols";
import { setWebServicesEnabled, webServicesEnabled } from "../../moodle/siteSettings";
import { createToken, deleteToken, listTokens } from "../../moodle/tokens";
import { load } from "cheerio";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const WS_OFF = page("5.0", "b1-optionalsubsystems.html");
const WS_ON = page("5.0", "b3-optionalsubsystems-after.html");
const PROTOCOLS_OFF = page("5.0", "c1-webserviceprotocols.html"); // REST and SOAP installed, both off
const PROTOCOLS_REST_ON = page("5.0", "c3-webserviceprotocols-after.html");
const SETTINGS = page("5.0", "p22-percipio-settings.html");
const TOKENS_EMPTY = page("5.0", "e1-tokens-list-empty.html");
const SERVICE_FORM = page("5.0", "p2-service-edit.html"); // id 3, "Percipio services"
const DASHBOARD = page("5.0", "a6-my.html");

describe("web services switch", () => {
  it("reads the recorded pages as off and on", async () => {
    expect(await webServicesEnabled(session([ok(WS_OFF)]).s)).toBe(false);
    expect(await webServicesEnabled(session([ok(WS_ON)]).s)).toBe(true);
  });

  it("posts only enablewebservices; Moodle's redirect is the outcome, with no read-back", async () => {
    const { s, sent } = session([ok(WS_OFF), redirect]);
    await setWebServicesEnabled(s, true);
    expect(sent.map((r) => r.method)).toEqual(["GET", "POST"]);
    expect(sent[1].form).toEqual({ section: "optionalsubsystems", action: "save-settings", sesskey: "SESSKEY", return: "", s__enablewebservices: "1" });
  });

  it("a save that Moodle did not apply (a bad sesskey re-renders without errors) is an error", async () => {
    const { s } = session([ok(WS_OFF), ok(WS_OFF), ok(WS_OFF)]);
    const err = await setWebServicesEnabled(s, true).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toContain("enablewebservices still off after saving");
  });

  it("writes nothing when it already has the wanted value", async () => {
    const { s, sent } = session([ok(WS_ON)]);
    await setWebServicesEnabled(s, true);
    expect(sent).toHaveLength(1);
  });

  it("a page that is not the Advanced features section is an error naming the section", async () => {
    await expect(webServicesEnabled(session([ok(DASHBOARD)]).s)).rejects.toThrow('settings section "optionalsubsystems" not found (HTTP 200)');
  });
});

describe("protocols", () => {
  it("lists only the enabled ones", async () => {
    expect(await enabledProtocols(session([ok(PROTOCOLS_OFF)]).s)).toEqual([]);
    expect(await enabledProtocols(session([ok(PROTOCOLS_REST_ON)]).s)).toEqual(["rest"]);
  });

  it("toggles with the sesskey link, without following its redirect, and reads back", async () => {
    const { s, sent, flags } = session([ok(PROTOCOLS_OFF), redirect, ok(PROTOCOLS_REST_ON)]);
    await setProtocolEnabled(s, "rest", true);
    expect(sent[1].path).toBe("/admin/webservice/protocols.php?sesskey=SESSKEY&action=enable&webservice=rest");
    expect(flags[1].follow).toBe(false);
  });

  it("says when the toggle did not apply", async () => {
    const { s } = session([ok(PROTOCOLS_OFF), redirect, ok(PROTOCOLS_OFF)]);
    await expect(setProtocolEnabled(s, "rest", true)).rejects.toBeInstanceOf(MoodleNotAppliedError);
  });

  it("names the installed protocols when the wanted one is not installed, and sends nothing", async () => {
    const { s, sent } = session([ok(PROTOCOLS_OFF)]);
    await expect(setProtocolEnabled(s, "xmlrpc", true)).rejects.toThrow(/protocol "xmlrpc" is not installed \(available: .*rest.*\)/);
    expect(sent).toHaveLength(1);
  });

  it("a page without the protocol table is an error with its HTTP status", async () => {
    await expect(enabledProtocols(session([pg(503, "<html></html>")]).s)).rejects.toThrow("no protocol table on the Manage protocols page (HTTP 503)");
  });
});

describe("Percipio settings", () => {
  it("a settings page without the plugin's fields asks whether mod_percipio is installed", async () => {
    const noFields = SETTINGS.replace(/s_percipio_/g, "s_other_");
    await expect(pluginSettings(session([ok(noFields)]).s)).rejects.toThrow("has no s_percipio_* fields; is mod_percipio installed?");
  });

  it("a page lacking some fields names them (another plugin version)", async () => {
    const noScope = SETTINGS.replace(/s_percipio_scope/g, "s_percipio_renamed");
    await expect(pluginSettings(session([ok(noScope)]).s)).rejects.toThrow("lacks scope");
  });

  it("an unknown settings section (plugin not installed) says so", async () => {
    const { s } = session([pg(404, errorPage("Section error!", "sectionerror"))]);
    await expect(pluginSettings(s)).rejects.toThrow('Moodle said "Section error!"; is mod_percipio installed?');
  });

  it("refuses names that are not settings before sending anything, naming the plugin's run-time keys", async () => {
    const { s, sent } = session([]);
    await expect(setPluginSettings(s, { oauthToken: "x", colour: "blue" } as any)).rejects.toThrow(
      "not Percipio settings: oauthToken, colour (oauthToken are written by the plugin at run time)",
    );
    expect(sent).toEqual([]);
  });

  it("says which settings Moodle did not save, hiding the secret's values", async () => {
    const current = await pluginSettings(session([ok(SETTINGS)]).s);
    // Answered with the page re-rendered without errors (how a bad sesskey looks), then read back.
    const { s } = session([ok(SETTINGS), ok(SETTINGS), ok(SETTINGS)]);
    const err = await setPluginSettings(s, { clientid: `${current.clientid}X`, clientsecret: "never-shown-1" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toContain(`clientid (wanted "${current.clientid}X", Moodle has "${current.clientid}")`);
    expect(err.message).toContain("clientsecret");
    expect(err.message).not.toContain("never-shown-1");
  });

  it("a value outside a select's options is refused up front", async () => {
    const { s, sent } = session([ok(SETTINGS)]);
    const err = await setPluginSettings(s, { authenticationmethod: "kerberos" } as any).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleValidationError);
    expect(sent).toHaveLength(1);
  });
});

/** The recorded settings page with the given fields holding the given values (all are empty there). */
function settingsWith(values: Record<string, string>): string {
  let html = SETTINGS;
  for (const [name, value] of Object.entries(values)) {
    const field = `name="s_percipio_${name}" value=""`;
    if (!html.includes(field)) throw new Error(`the recorded page has no empty ${name} field`);
    html = html.replace(field, `name="s_percipio_${name}" value="${value}"`);
  }
  return html;
}
const REJECTED_CLIENTID = page("5.0", "p25-percipio-settings-invalid-clientid-post.html");

describe("Percipio settings writes", () => {
  it("posts only the settings whose values differ, reading the page with the last read allowed", async () => {
    const { s, sent, flags } = session([ok(settingsWith({ clientid: "abc" })), redirect]);
    await setPluginSettings(s, { clientid: "abc", scope: "api" });
    expect(sent.map((r) => r.method)).toEqual(["GET", "POST"]);
    expect(flags[0].reuse).toBe(true);
    const posted = Object.keys(sent[1].form!).filter((k) => k.startsWith("s_percipio_"));
    expect(posted).toEqual(["s_percipio_scope"]);
    expect(sent[1].form!.s_percipio_scope).toBe("api");
  });

  it("settings left out (undefined) are neither compared nor posted, and none at all sends nothing", async () => {
    const { s, sent } = session([ok(SETTINGS), redirect]);
    await setPluginSettings(s, { clientid: undefined, scope: "api" });
    expect(Object.keys(sent[1].form!).filter((k) => k.startsWith("s_percipio_"))).toEqual(["s_percipio_scope"]);
    const none = session([]);
    await setPluginSettings(none.s, { clientid: undefined });
    expect(none.sent).toEqual([]);
  });

  it("values already in place post nothing", async () => {
    const { s, sent } = session([ok(settingsWith({ clientid: "abc", scope: "api" }))]);
    await setPluginSettings(s, { clientid: "abc", scope: "api" });
    expect(sent).toHaveLength(1);
  });

  it("a select value outside its options names the options it may take", async () => {
    const { s } = session([ok(SETTINGS)]);
    const err = await setPluginSettings(s, { authenticationmethod: "kerberos" } as any).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleValidationError);
    expect(err.fields.authenticationmethod).toEqual([expect.stringMatching(/"kerberos" is not one of .+/)]);
  });

  it("a page re-rendered with field errors is a validation error, with no read-back", async () => {
    const { s, sent } = session([ok(SETTINGS), ok(REJECTED_CLIENTID)]);
    const err = await setPluginSettings(s, { clientid: "bad id" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleValidationError);
    expect(Object.keys(err.fields).length).toBeGreaterThan(0);
    expect(sent).toHaveLength(2);
  });

  it("after a re-render without errors, only the settings the read-back lacks are named, and none is no error", async () => {
    const partly = session([ok(SETTINGS), ok(SETTINGS), ok(settingsWith({ clientid: "abc" }))]);
    const err = await setPluginSettings(partly.s, { clientid: "abc", scope: "api" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.detail).toBe('not saved: scope (wanted "api", Moodle has "")');
    const all = session([ok(SETTINGS), ok(SETTINGS), ok(settingsWith({ clientid: "abc", scope: "api" }))]);
    await expect(setPluginSettings(all.s, { clientid: "abc", scope: "api" })).resolves.toBeUndefined();
    expect(all.sent).toHaveLength(3);
  });

  it("a session failure while reading is passed on as it is, not as a missing plugin", async () => {
    const failure = new MoodleSessionError("read Percipio settings", "/admin/settings.php", "logged out");
    const s = { request: async () => Promise.reject(failure) } as any;
    await expect(pluginSettings(s)).rejects.toBe(failure);
  });

  it("reads the settings without reuse unless asked", async () => {
    const fresh = session([ok(SETTINGS)]);
    await pluginSettings(fresh.s);
    expect(fresh.flags[0].reuse).toBe(false);
    const reused = session([ok(SETTINGS)]);
    await pluginSettings(reused.s, true);
    expect(reused.flags[0].reuse).toBe(true);
  });
});

describe("web services switch writes", () => {
  it("reads the section without reuse unless asked, and names its step when the page is wrong", async () => {
    const fresh = session([ok(WS_OFF)]);
    await webServicesEnabled(fresh.s);
    expect(fresh.flags[0].reuse).toBe(false);
    expect(fresh.sent[0].path).toContain("section=optionalsubsystems");
    await expect(webServicesEnabled(session([ok(DASHBOARD)]).s)).rejects.toThrow(/^read web services setting failed/);
  });

  it("switching off posts 0", async () => {
    const { s, sent } = session([ok(WS_ON), redirect]);
    await setWebServicesEnabled(s, false);
    expect(sent[1].form!.s__enablewebservices).toBe("0");
  });

  it("a page without the setting's input is an error, and nothing is posted", async () => {
    const { s, sent } = session([ok(WS_OFF.replace(/s__enablewebservices/g, "s__renamed"))]);
    await expect(setWebServicesEnabled(s, true)).rejects.toThrow("no s__enablewebservices input");
    expect(sent).toHaveLength(1);
  });

  it("a setting defined in config.php is refused before posting, naming it", async () => {
    const $ = load(WS_OFF);
    $("div#admin-enablewebservices label").append('<div class="alert alert-info">Defined in config.php</div>');
    const { s, sent } = session([ok($.html())]);
    await expect(setWebServicesEnabled(s, true)).rejects.toThrow(/enablewebservices/);
    expect(sent).toHaveLength(1);
  });

  it("a re-render without errors whose read-back shows the new value is a success", async () => {
    const { s, sent } = session([ok(WS_OFF), ok(WS_OFF), ok(WS_ON)]);
    await expect(setWebServicesEnabled(s, true)).resolves.toBeUndefined();
    expect(sent).toHaveLength(3);
  });
});

describe("tokens", () => {
  it("an error page instead of the token list says what Moodle said", async () => {
    await expect(listTokens(session([pg(404, errorPage("Access denied", "accessdenied"))]).s)).rejects.toThrow('Moodle said "Access denied"');
    await expect(listTokens(session([ok(DASHBOARD)]).s)).rejects.toThrow("no token list on the page (HTTP 200)");
  });

  it.each(["", " padded", "padded "])("refuses the name %j before sending anything", async (name) => {
    const { s, sent } = session([]);
    await expect(createToken(s, { name, userId: 2, serviceId: 3 })).rejects.toThrow("a non-empty token name without surrounding spaces is required");
    expect(sent).toEqual([]);
  });

  it.each(["2030-1-01", "1899-12-31", "2051-01-01", "31/12/2030"])("refuses valid-until %s outside Moodle's date selector", async (validUntil) => {
    const { s, sent } = session([]);
    await expect(createToken(s, { name: "percipio", userId: 2, serviceId: 3, validUntil })).rejects.toThrow(`validUntil must be YYYY-MM-DD between 1900 and 2050`);
    expect(sent).toEqual([]);
  });

  it("a service id Moodle has no record of is named, and nothing is posted", async () => {
    const { s, sent } = session([pg(404, errorPage("Can't find data record in database.", "invalidrecord"))]);
    await expect(createToken(s, { name: "percipio", userId: 2, serviceId: 99 })).rejects.toThrow("service id 99 does not exist");
    expect(sent.every((r) => r.method === "GET")).toBe(true);
  });

  it("a create refused with an error page says what Moodle said", async () => {
    const { s } = session([ok(SERVICE_FORM), ok(TOKENS_EMPTY), pg(404, errorPage("Invalid sesskey", "invalidsesskey"))]);
    await expect(createToken(s, { name: "percipio", userId: 2, serviceId: 3 })).rejects.toThrow('Moodle refused: Invalid sesskey');
  });

  it("a delete that leaves the token in place (its confirmation page still there) is an error naming the token", async () => {
    const confirm = page("5.0", "e8-token-delete-confirm.html");
    const id = Number(/name="tokenid" value="(\d+)"/.exec(confirm)![1]);
    const { s } = session([redirect, ok(confirm)]);
    const err = await deleteToken(s, id).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toContain(`token ${id} still exists (HTTP 303)`);
  });
});
