// External services through a stand-in session that answers with recorded Moodle 5.0 pages: only a
// real "no such record" makes a service gone, every other failure is an error naming the service;
// switching a service and authorising a user post only when needed and check that Moodle applied it.
import { MoodleNotAppliedError, MoodleRecordMissingError } from "../../moodle/errors";
import { authoriseUser, deauthoriseUser, findService, getService, listServices, readServiceEditForm, setServiceEnabled, setServiceRestrictedUsers } from "../../moodle/services";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const ENABLED = page("5.0", "d2-service-edit.html"); // id 2, enabled
const PLUGIN_LIST = page("5.0", "p1-externalservices.html"); // mobile service id 1, Percipio services id 3
const PLUGIN_FORM = page("5.0", "p2-service-edit.html"); // id 3, shortname Percipio-API, unrestricted and frozen
const DISABLED = page("5.0", "d5-service-edit-disabled.html");
const NO_USERS = page("5.0", "d7-service-users.html");
const ADMIN_AUTHORISED = page("5.0", "d8-service-users-add.html"); // user 2 authorised

describe("reading a service", () => {
  it.each(["invalidrecordunknown", "invalidrecord"])("is gone only when Moodle says it has no record (%s)", async (code) => {
    const { s } = session([pg(404, errorPage("Can't find data record in database.", code))]);
    expect(await getService(s, 9)).toBeUndefined();
  });

  it("an other error page is an error naming the service and what Moodle said, never gone", async () => {
    const { s } = session([pg(500, errorPage("Error reading from database", "dmlreadexception"))]);
    const err = await getService(s, 9).catch((e) => e);
    expect(err).not.toBeInstanceOf(MoodleRecordMissingError);
    expect(err.message).toBe('read external service failed at /admin/webservice/service.php: service id 9: Moodle said "Error reading from database"');
  });

  it("a page that is neither the form nor an error page is an error with its HTTP status", async () => {
    const { s } = session([pg(502, "<html>Bad gateway</html>")]);
    await expect(readServiceEditForm(s, 2)).rejects.toThrow("read external service failed at /admin/webservice/service.php: no edit form for service id 2 (HTTP 502)");
  });

  it("the edit form of another service, or a form answered with an error status, is not this service", async () => {
    await expect(readServiceEditForm(session([ok(ENABLED)]).s, 3)).rejects.toThrow("no edit form for service id 3 (HTTP 200)");
    await expect(readServiceEditForm(session([pg(500, ENABLED)]).s, 2)).rejects.toThrow("(HTTP 500)");
  });

  it("reads the service from its edit form; a frozen restriction marks it built in", async () => {
    const { s, sent } = session([ok(ENABLED)]);
    expect(await getService(s, 2)).toEqual({ id: 2, name: expect.any(String), shortname: "percipio_services", component: "", builtin: true, enabled: true, restrictedUsers: true });
    expect(sent).toEqual([{ method: "GET", path: "/admin/webservice/service.php?id=2", form: undefined }]);
  });
});

describe("switching a service on or off", () => {
  it("does nothing when it already is", async () => {
    const { s, sent } = session([ok(ENABLED)]);
    await setServiceEnabled(s, 2, true);
    expect(sent).toHaveLength(1);
  });

  it("posts the whole form with only 'enabled' changed, then checks it applied", async () => {
    const { s, sent } = session([ok(DISABLED), redirect, ok(ENABLED)]);
    await setServiceEnabled(s, 2, true);
    expect(sent.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
    expect(sent[1].path).toBe("/admin/webservice/service.php");
    expect(sent[1].form).toMatchObject({ enabled: "1", id: "2", sesskey: "SESSKEY", _qf__external_service_form: "1", submitbutton: "Save changes" });
  });

  it("says so when Moodle kept it as it was", async () => {
    const { s, sent, flags } = session([ok(ENABLED), redirect, ok(ENABLED)]);
    const err = await setServiceEnabled(s, 2, false).catch((e) => e);
    expect(sent[1].form).toMatchObject({ enabled: "0" });
    expect(flags[1]).toMatchObject({ idempotent: true });
    expect(err).toBeInstanceOf(MoodleNotAppliedError);
    expect(err.message).toMatch(/^disable external service 2 failed at \/admin\/webservice\/service\.php: service ".+" is still enabled$/);
  });

  it("a re-rendered form is not accepted; an error page says what Moodle said", async () => {
    await expect(setServiceEnabled(session([ok(DISABLED), ok(DISABLED)]).s, 2, true)).rejects.toThrow(
      "enable external service 2 failed at /admin/webservice/service.php: the form was not accepted (HTTP 200, re-rendered)",
    );
    await expect(setServiceEnabled(session([ok(DISABLED), pg(400, errorPage("Invalid sesskey", "invalidsesskey"))]).s, 2, true)).rejects.toThrow(
      'Moodle said "Invalid sesskey"',
    );
  });
});

describe("authorising a user on a service", () => {
  it("adds the user and reads the result from the re-rendered page", async () => {
    const { s, sent, flags } = session([ok(NO_USERS), ok(ADMIN_AUTHORISED)]);
    await authoriseUser(s, 2, 2);
    expect(sent[0]).toEqual({ method: "GET", path: "/admin/webservice/service_users.php?id=2", form: undefined });
    expect(flags[1]).toEqual({ idempotent: true, follow: true });
    expect(sent[1]).toEqual({ method: "POST", path: "/admin/webservice/service_users.php?id=2", form: { sesskey: "SESSKEY", "addselect[]": [2], add: "Add" } });
  });

  it("does nothing for a user already authorised, and removes only that user", async () => {
    const already = session([ok(ADMIN_AUTHORISED)]);
    await authoriseUser(already.s, 2, 2);
    expect(already.sent).toHaveLength(1);
    const { s, sent } = session([ok(ADMIN_AUTHORISED), ok(NO_USERS)]);
    await deauthoriseUser(s, 2, 2);
    expect(sent[1].form).toEqual({ sesskey: "SESSKEY", "removeselect[]": [2], remove: "Remove" });
  });

  it("re-reads after a redirect and says when the user is still not authorised", async () => {
    const { s, sent } = session([ok(NO_USERS), redirect, ok(NO_USERS)]);
    await expect(authoriseUser(s, 2, 2)).rejects.toThrow("authorise user 2 on external service 2 failed at /admin/webservice/service_users.php: user 2 is still not authorised");
    expect(sent).toHaveLength(3);
  });

  it("a users page that does not render is an error naming the service", async () => {
    await expect(authoriseUser(session([pg(503, "<html></html>")]).s, 2, 2)).rejects.toThrow(
      "no user selector for service id 2 (HTTP 503)",
    );
  });
});

describe("finding services", () => {
  const missing = pg(404, errorPage("Can't find data record in database.", "invalidrecord"));
  /** The mobile service's form: the Percipio form with another id and shortname (no recording has it). */
  const MOBILE_FORM = PLUGIN_FORM.replace('name="id" type="hidden" value="3"', 'name="id" type="hidden" value="1"').replace(/Percipio-API/g, "moodle_mobile_app");

  it("reads the plugin's service first and stops at the matching shortname: the mobile service's form is never read", async () => {
    const { s, sent } = session([ok(PLUGIN_LIST), ok(PLUGIN_FORM)]);
    const found = await findService(s, { shortname: "Percipio-API" });
    expect(found).toEqual({ id: 3, name: "Percipio services", shortname: "Percipio-API", component: "mod_percipio", builtin: true, enabled: true, restrictedUsers: false });
    expect(sent.map((r) => r.path)).toEqual(["/admin/settings.php?section=externalservices", "/admin/webservice/service.php?id=3"]);
  });

  it("a later lookup in the same session reads only the remembered service's form", async () => {
    const { s, sent } = session([ok(PLUGIN_LIST), ok(PLUGIN_FORM), ok(PLUGIN_FORM)]);
    await findService(s, { shortname: "Percipio-API" });
    expect(await findService(s, { shortname: "Percipio-API" })).toMatchObject({ id: 3, enabled: true });
    expect(sent.map((r) => r.path).slice(2)).toEqual(["/admin/webservice/service.php?id=3"]);
  });

  it("lists again when the remembered service was deleted since", async () => {
    const { s, sent } = session([ok(PLUGIN_LIST), ok(PLUGIN_FORM), missing, ok(PLUGIN_LIST), missing, ok(MOBILE_FORM)]);
    await findService(s, { shortname: "Percipio-API" });
    expect(await findService(s, { shortname: "Percipio-API" })).toBeUndefined();
    expect(sent).toHaveLength(6);
  });

  it("finds by name when no shortname is asked for, reading every form", async () => {
    const { s } = session([ok(PLUGIN_LIST), ok(PLUGIN_FORM), ok(MOBILE_FORM)]);
    expect(await findService(s, { name: "Percipio services" })).toMatchObject({ id: 3, shortname: "Percipio-API" });
  });

  it("lists every service with its shortname, leaving out one deleted between the list and its form", async () => {
    const { s } = session([ok(PLUGIN_LIST), missing, ok(PLUGIN_FORM)]);
    expect(await listServices(s)).toEqual([expect.objectContaining({ id: 3, shortname: "Percipio-API", component: "mod_percipio" })]);
  });

  it("an edit form that fails for another reason is an error, not a missing service", async () => {
    const { s } = session([ok(PLUGIN_LIST), pg(500, errorPage("Error reading from database", "dmlreadexception"))]);
    await expect(listServices(s)).rejects.toThrow('Moodle said "Error reading from database"');
  });

  it("a page that is not the external services list is an error with its HTTP status", async () => {
    await expect(listServices(session([pg(200, "<html><body>Dashboard</body></html>")]).s)).rejects.toThrow(
      "list external services failed at /admin/settings.php: no external services page (HTTP 200)",
    );
  });
});

describe("'Authorised users only'", () => {
  it("does nothing when it already has the wanted value", async () => {
    const { s, sent } = session([ok(PLUGIN_FORM)]);
    await setServiceRestrictedUsers(s, 3, false);
    expect(sent).toHaveLength(1);
  });

  it("refuses to change a built-in service, whose plugin fixes the value", async () => {
    const { s, sent } = session([ok(PLUGIN_FORM)]);
    await expect(setServiceRestrictedUsers(s, 3, true)).rejects.toThrow('"Percipio services" is a built-in service: its plugin fixes "Authorised users only" to off');
    expect(sent).toHaveLength(1);
  });

  it("posts the form with only the restriction changed on a custom service, and says when Moodle kept it", async () => {
    const custom = PLUGIN_FORM.replace(/(id="id_restrictedusers"\s*)disabled/, "$1");
    const { s, sent } = session([ok(custom), redirect, ok(custom)]);
    await expect(setServiceRestrictedUsers(s, 3, true)).rejects.toThrow('"Authorised users only" unchanged on "Percipio services"');
    expect(sent[1]).toMatchObject({ method: "POST", path: "/admin/webservice/service.php", form: expect.objectContaining({ restrictedusers: "1", id: "3", sesskey: "SESSKEY" }) });
  });
});
