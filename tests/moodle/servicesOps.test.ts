// External services and web-service protocols on recorded Moodle 5.0 pages through a stand-in session,
// looking at what each operation asks of the session: which reads must go to Moodle and which may use
// a page read since the last write (`reuse`), which pages a write makes stale (`invalidates`), which
// service forms a lookup reads and in what order, and which answers count as Moodle's.
import { MoodleNotAppliedError } from "../../moodle/errors";
import { enabledProtocols, readProtocols, setProtocolEnabled } from "../../moodle/protocols";
import {
  authorisedUsers,
  authoriseUser,
  deauthoriseUser,
  findService,
  getService,
  listServices,
  readServiceEditForm,
  setServiceEnabled,
  setServiceRestrictedUsers,
} from "../../moodle/services";
import { page } from "./fixtures";
import { errorPage, ok, pg, redirect, session } from "./standInSession";

const LIST = page("5.0", "p1-externalservices.html"); // mobile service id 1 (core), then "Percipio services" id 3 (mod_percipio)
const PLUGIN_FORM = page("5.0", "p2-service-edit.html"); // id 3, Percipio-API, unrestricted, restriction frozen
const ENABLED = page("5.0", "d2-service-edit.html"); // id 2, enabled, restricted, restriction frozen
const DISABLED = page("5.0", "d5-service-edit-disabled.html"); // id 2, disabled
const NO_USERS = page("5.0", "d7-service-users.html"); // service 2, nobody authorised
const ADMIN_AUTHORISED = page("5.0", "d8-service-users-add.html"); // service 2, user 2 authorised
const PROTOCOLS_OFF = page("5.0", "c1-webserviceprotocols.html"); // rest, soap: both off
const PROTOCOLS_REST_ON = page("5.0", "c3-webserviceprotocols-after.html"); // rest on, soap off
const DASHBOARD = page("5.0", "a6-my.html");

/** The mobile service's form: the Percipio form with another id and shortname (no recording has it). */
const MOBILE_FORM = PLUGIN_FORM.replace('name="id" type="hidden" value="3"', 'name="id" type="hidden" value="1"').replace(/Percipio-API/g, "moodle_mobile_app");
/** A custom (not plugin-declared) service: "Authorised users only" is editable. */
const CUSTOM_UNRESTRICTED = PLUGIN_FORM.replace(/(id="id_restrictedusers"\s*)disabled/, "$1");
const CUSTOM_RESTRICTED = ENABLED.replace(/(id="id_restrictedusers" checked\s*)disabled/, "$1");
/** The custom unrestricted form under id 2 (how CUSTOM_RESTRICTED reads back once switched off). */
const CUSTOM_UNRESTRICTED_2 = CUSTOM_UNRESTRICTED.replace('name="id" type="hidden" value="3"', 'name="id" type="hidden" value="2"');

/** The stand-in session, with whether each request may reuse a remembered page. */
function recording(answers: ReturnType<typeof ok>[]) {
  const stand = session(answers);
  return { ...stand, reuse: () => stand.requests.map((r) => r.reuse ?? false) };
}

describe("reads that must go to Moodle, and checks before a write that may reuse a page", () => {
  it("reading a service's form or the service asks Moodle unless the caller allows a remembered page", async () => {
    const plain = recording([ok(ENABLED), ok(ENABLED), ok(ENABLED)]);
    await readServiceEditForm(plain.s, 2);
    await getService(plain.s, 2);
    await getService(plain.s, 2, true);
    expect(plain.reuse()).toEqual([false, false, true]);
    expect(plain.requests[0].step).toBe("read external service");
  });

  it("listing services reads the list and every form from Moodle", async () => {
    const r = recording([ok(LIST), ok(MOBILE_FORM), ok(PLUGIN_FORM)]);
    expect((await listServices(r.s)).map((s) => s.shortname)).toEqual(["moodle_mobile_app", "Percipio-API"]);
    expect(r.reuse()).toEqual([false, false, false]);
  });

  it("finding a service reads from Moodle by default and passes 'reuse' on to the list and the form", async () => {
    const fresh = recording([ok(LIST), ok(PLUGIN_FORM)]);
    await findService(fresh.s, { shortname: "Percipio-API" });
    expect(fresh.reuse()).toEqual([false, false]);
    const before = recording([ok(LIST), ok(PLUGIN_FORM)]);
    await findService(before.s, { shortname: "Percipio-API" }, true);
    expect(before.reuse()).toEqual([true, true]);
  });

  it("switching a service checks a page that may be remembered, but reads the outcome from Moodle", async () => {
    const r = recording([ok(DISABLED), redirect, ok(ENABLED)]);
    await setServiceEnabled(r.s, 2, true);
    expect(r.reuse()).toEqual([true, false, false]);
  });

  it("'Authorised users only' is checked on a page that may be remembered and read back from Moodle", async () => {
    const r = recording([ok(CUSTOM_RESTRICTED), redirect, ok(CUSTOM_UNRESTRICTED_2)]);
    await setServiceRestrictedUsers(r.s, 2, false);
    expect(r.reuse()).toEqual([true, false, false]);
  });

  it("the authorised users are read from Moodle; before (de)authorising, a remembered page will do", async () => {
    const read = recording([ok(ADMIN_AUTHORISED)]);
    expect(await authorisedUsers(read.s, 2)).toEqual([{ id: 2, label: "Admin User (admin@example.com)" }]);
    expect(read.reuse()).toEqual([false]);
    expect(read.requests[0].step).toBe("read authorised users");
    const change = recording([ok(NO_USERS), redirect, ok(ADMIN_AUTHORISED)]);
    await authoriseUser(change.s, 2, 2);
    expect(change.reuse()).toEqual([true, false, false]);
  });
});

describe("what a write makes stale", () => {
  it("saving a service's form: that service's form and the services list", async () => {
    const r = recording([ok(DISABLED), redirect, ok(ENABLED)]);
    await setServiceEnabled(r.s, 2, true);
    expect(r.requests[1].invalidates).toEqual(["/admin/webservice/service.php?id=2", "/admin/settings.php?section=externalservices"]);
  });

  it("(de)authorising a user: the service's users page and the services list", async () => {
    const r = recording([ok(ADMIN_AUTHORISED), ok(NO_USERS)]);
    await deauthoriseUser(r.s, 2, 2);
    expect(r.requests[1].invalidates).toEqual(["/admin/webservice/service_users.php?id=2", "/admin/settings.php?section=externalservices"]);
  });

  it("toggling a protocol: the Manage protocols page", async () => {
    const r = recording([ok(PROTOCOLS_OFF), redirect, ok(PROTOCOLS_REST_ON)]);
    await setProtocolEnabled(r.s, "rest", true);
    expect(r.requests[1].invalidates).toEqual(["/admin/settings.php?section=webserviceprotocols"]);
  });
});

describe("looking services up", () => {
  it("a service asked for by name is read first, even a core one", async () => {
    const { s, sent } = session([ok(LIST), ok(MOBILE_FORM)]);
    expect(await findService(s, { shortname: "moodle_mobile_app", name: "Moodle mobile web service" })).toMatchObject({ id: 1, component: "moodle" });
    expect(sent.map((r) => r.path)).toEqual(["/admin/settings.php?section=externalservices", "/admin/webservice/service.php?id=1"]);
  });

  it("a name that no service has finds nothing, after reading every form", async () => {
    const { s, sent } = session([ok(LIST), ok(PLUGIN_FORM), ok(MOBILE_FORM)]);
    expect(await findService(s, { name: "No such service" })).toBeUndefined();
    expect(sent).toHaveLength(3);
  });

  it("a remembered service whose shortname was changed since is not taken: the list is read again", async () => {
    const renamed = PLUGIN_FORM.replace(/Percipio-API/g, "Renamed-API");
    const { s, sent } = session([ok(LIST), ok(PLUGIN_FORM), ok(renamed), ok(LIST), ok(renamed), ok(MOBILE_FORM)]);
    await findService(s, { shortname: "Percipio-API" });
    expect(await findService(s, { shortname: "Percipio-API" })).toBeUndefined();
    expect(sent.map((r) => r.path)).toEqual([
      "/admin/settings.php?section=externalservices",
      "/admin/webservice/service.php?id=3",
      "/admin/webservice/service.php?id=3",
      "/admin/settings.php?section=externalservices",
      "/admin/webservice/service.php?id=3",
      "/admin/webservice/service.php?id=1",
    ]);
  });

  it("the services list answered with an error status is not read as the list", async () => {
    await expect(listServices(session([pg(500, LIST)]).s)).rejects.toThrow(
      "list external services failed at /admin/settings.php: no external services page (HTTP 500)",
    );
  });
});

describe("which answers to a service form POST are Moodle accepting it", () => {
  it.each([300, 302, 303, 399])("a %i redirect is the form saved; the outcome is then read back", async (status) => {
    const { s, sent } = session([ok(DISABLED), pg(status, ""), ok(ENABLED)]);
    await setServiceEnabled(s, 2, true);
    expect(sent.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
  });

  it("a 400 without Moodle's error page is the form not accepted", async () => {
    await expect(setServiceEnabled(session([ok(DISABLED), pg(400, "<html></html>")]).s, 2, true)).rejects.toThrow(
      "the form was not accepted (HTTP 400, re-rendered)",
    );
  });
});

describe("'Authorised users only' on a custom service", () => {
  it("switching it off posts 0 and succeeds when the form reads back unrestricted", async () => {
    const { s, sent } = session([ok(CUSTOM_RESTRICTED), redirect, ok(CUSTOM_UNRESTRICTED_2)]);
    await setServiceRestrictedUsers(s, 2, false);
    expect(sent[1]).toMatchObject({ method: "POST", path: "/admin/webservice/service.php", form: expect.objectContaining({ restrictedusers: "0", id: "2" }) });
    expect(sent).toHaveLength(3);
  });

  it("switching it on succeeds when the form reads back restricted", async () => {
    const restricted3 = CUSTOM_RESTRICTED.replace('name="id" type="hidden" value="2"', 'name="id" type="hidden" value="3"');
    const { s, sent } = session([ok(CUSTOM_UNRESTRICTED), redirect, ok(restricted3)]);
    await expect(setServiceRestrictedUsers(s, 3, true)).resolves.toBeUndefined();
    expect(sent[1].form).toMatchObject({ restrictedusers: "1" });
  });
});

describe("the authorised users page", () => {
  it("answered with an error status it is not read, even when it shows the selector", async () => {
    await expect(authorisedUsers(session([pg(500, ADMIN_AUTHORISED)]).s, 2)).rejects.toThrow(
      "read authorised users failed at /admin/webservice/service_users.php: no user selector for service id 2 (HTTP 500)",
    );
  });

  it("Moodle's error page is quoted with the service id", async () => {
    await expect(authorisedUsers(session([pg(404, errorPage("Can't find data record in database.", "invalidrecord"))]).s, 7)).rejects.toThrow(
      `read authorised users failed at /admin/webservice/service_users.php: service id 7: Moodle said "Can't find data record in database."`,
    );
  });

  it("after the POST, an answer that is not a 200 is not trusted: the users are read again", async () => {
    const { s, sent } = session([ok(NO_USERS), pg(500, ADMIN_AUTHORISED), ok(NO_USERS)]);
    await expect(authoriseUser(s, 2, 2)).rejects.toBeInstanceOf(MoodleNotAppliedError);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /admin/webservice/service_users.php?id=2",
      "POST /admin/webservice/service_users.php?id=2",
      "GET /admin/webservice/service_users.php?id=2",
    ]);
  });
});

describe("Manage protocols", () => {
  it("a page without the protocol table is an error even when it is a 200", async () => {
    await expect(enabledProtocols(session([ok(DASHBOARD)]).s)).rejects.toThrow(
      "read web service protocols failed at /admin/settings.php: no protocol table on the Manage protocols page (HTTP 200)",
    );
  });

  it("the protocol table answered with an error status is not trusted", async () => {
    await expect(readProtocols(session([pg(500, PROTOCOLS_REST_ON)]).s)).rejects.toThrow("no protocol table on the Manage protocols page (HTTP 500)");
  });

  it("sends nothing when the protocol already has the wanted state", async () => {
    const { s, sent } = session([ok(PROTOCOLS_REST_ON)]);
    await setProtocolEnabled(s, "rest", true);
    expect(sent).toHaveLength(1);
  });

  it("reads back the toggled protocol itself, not another one that is on", async () => {
    const { s, sent } = session([ok(PROTOCOLS_OFF), redirect, ok(PROTOCOLS_REST_ON)]);
    await expect(setProtocolEnabled(s, "soap", true)).rejects.toThrow("soap is still disabled after the toggle");
    expect(sent[1].path).toBe("/admin/webservice/protocols.php?sesskey=SESSKEY&action=enable&webservice=soap");
  });
});
