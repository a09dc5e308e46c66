// The admin client above its session: which pages an operation reads (the version check rides on the
// first page after login), when an unsupported Moodle is refused, that plain reads always go to Moodle,
// and which connections share a cached client. The transport is a stand-in Moodle answering with
// recorded 5.0 pages, so the real session (login, landing, remembered pages) runs underneath.
import { clearClientCache, clientFor, MoodleClient } from "../../moodle/client";
import { MoodleError, MoodleUnsupportedVersionError } from "../../moodle/errors";
import { HttpRequest, HttpResponse, MoodleHttp } from "../../moodle/http";
import { parseVersion } from "../../moodle/parsers/version";
import { page } from "./fixtures";

const RELEASE = "5.0.6+ (Build: 20260403)";
const OLD_RELEASE = "4.4.2 (Build: 20240812)";
const conn = { url: "https://moodle.example.com", username: "admin", password: "Admin-Pass-1!" };

const PAGES: Record<string, string> = {
  "/my/": "a6-my.html",
  "/admin/settings.php?section=optionalsubsystems": "b1-optionalsubsystems.html",
  "/admin/settings.php?section=webserviceprotocols": "c1-webserviceprotocols.html",
  "/admin/settings.php?section=externalservices": "d1-externalservices.html",
  "/admin/settings.php?section=modsettingpercipio": "p22-percipio-settings.html",
  "/admin/webservice/service.php?id=2": "d2-service-edit.html",
  "/admin/webservice/service.php?id=3": "p2-service-edit.html",
  "/admin/index.php": "h1-admin-index.html",
};

/**
 * Answers the client's HTTP requests as Moodle would: the login form, a successful login, and the
 * recorded admin pages, each passed through `edit` (to show another release, or none). Returns the
 * requests after the login, as "METHOD path".
 */
function standInMoodle(edit: (path: string, body: string) => string | { status: number; body: string } = (_p, b) => b) {
  const requests: string[] = [];
  jest.spyOn(MoodleHttp.prototype, "request").mockImplementation(async function (this: MoodleHttp, req: HttpRequest): Promise<HttpResponse> {
    const url = this.absolute(req.path);
    const answer = (status: number, body: string, location?: string): HttpResponse => ({ status, headers: {}, body, url, location });
    if (req.path.split("?")[0] === "/login/index.php") {
      return req.method === "GET" ? answer(200, page("5.0", "a1-login-get.html")) : answer(303, "", this.absolute("/login/index.php?testsession=2"));
    }
    requests.push(`${req.method} ${req.path}`);
    const file = PAGES[req.path];
    if (!file || req.method !== "GET") throw new Error(`unexpected request ${req.method} ${req.path}`);
    const edited = edit(req.path, page("5.0", file));
    return typeof edited === "string" ? answer(200, edited) : answer(edited.status, edited.body);
  });
  return requests;
}

const olderRelease = (_path: string, body: string) => body.split(RELEASE).join(OLD_RELEASE);
const noRelease = (body: string) => body.split(RELEASE).join("");

afterEach(() => {
  jest.restoreAllMocks();
  clearClientCache();
});

describe("the version check", () => {
  it("rides on the first page an operation reads after login: no page of its own, none when asked again", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    expect(await c.webServicesEnabled()).toBe(false);
    expect(requests).toEqual(["GET /admin/settings.php?section=optionalsubsystems"]);
    expect((await c.version()).release).toBe(RELEASE);
    expect(requests).toHaveLength(1);
  });

  it("refuses an unsupported Moodle on the first operation's page, before that page is used", async () => {
    standInMoodle(olderRelease);
    const c = new MoodleClient(conn);
    const err = await c.webServicesEnabled().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleUnsupportedVersionError);
    expect(err.message).toContain(OLD_RELEASE);
  });

  it("refuses an unsupported Moodle on every later operation too, without reading anything", async () => {
    const requests = standInMoodle(olderRelease);
    const c = new MoodleClient(conn);
    await expect(c.webServicesEnabled()).rejects.toBeInstanceOf(MoodleUnsupportedVersionError);
    const read = requests.length;
    await expect(c.pluginSettings()).rejects.toBeInstanceOf(MoodleUnsupportedVersionError);
    await expect(c.listServices()).rejects.toBeInstanceOf(MoodleUnsupportedVersionError);
    expect(requests).toHaveLength(read);
  });

  it("asked before any operation, reads the dashboard and the release once; later calls and operations read no version page", async () => {
    // The dashboard of this site does not show the release: it is read from the protocols page.
    const requests = standInMoodle((path, body) => (path === "/my/" ? noRelease(body) : body));
    expect(parseVersion(noRelease(page("5.0", "a6-my.html")))).toBeUndefined();
    const c = new MoodleClient(conn);
    expect((await c.version()).release).toBe(RELEASE);
    const read = requests.length;
    expect(requests.filter((r) => r === "GET /my/")).toHaveLength(1);
    // The landing check reads the release once; version() takes that answer instead of reading again.
    expect(requests.filter((r) => r === "GET /admin/settings.php?section=webserviceprotocols")).toHaveLength(1);
    expect((await c.version()).release).toBe(RELEASE);
    expect(await c.webServicesEnabled()).toBe(false);
    expect(requests.slice(read)).toEqual(["GET /admin/settings.php?section=optionalsubsystems"]);
  });

  it("a release it could not read is asked for again next time, not remembered as a failure", async () => {
    let shown = false;
    const requests = standInMoodle((path, body) => (path === "/my/" || !shown ? noRelease(body) : body));
    const c = new MoodleClient(conn);
    const err = await c.version().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.message).toContain("the Moodle release is not shown on the admin pages");
    shown = true;
    const read = requests.length;
    expect((await c.version()).release).toBe(RELEASE);
    expect(requests.length).toBeGreaterThan(read);
  });

  it("when the release could not be read at login, the next operation reads it first and refuses an unsupported Moodle", async () => {
    let shown = false;
    const requests = standInMoodle((path, body) => (!shown ? noRelease(body) : olderRelease(path, body)));
    const c = new MoodleClient(conn);
    await expect(c.webServicesEnabled()).rejects.toThrow("the Moodle release is not shown on the admin pages");
    shown = true;
    const read = requests.length;
    await expect(c.webServicesEnabled()).rejects.toBeInstanceOf(MoodleUnsupportedVersionError);
    expect(requests.slice(read)).not.toContain("GET /admin/settings.php?section=optionalsubsystems");
  });
});

describe("plain reads go to Moodle unless reuse is asked for", () => {
  it("web services switch", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    await c.webServicesEnabled();
    await c.webServicesEnabled();
    expect(requests).toEqual(["GET /admin/settings.php?section=optionalsubsystems", "GET /admin/settings.php?section=optionalsubsystems"]);
    await c.webServicesEnabled(true);
    expect(requests).toHaveLength(2);
  });

  it("Percipio settings", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    await c.pluginSettings();
    await c.pluginSettings();
    expect(requests.filter((r) => r.includes("modsettingpercipio"))).toHaveLength(2);
    await c.pluginSettings(true);
    expect(requests.filter((r) => r.includes("modsettingpercipio"))).toHaveLength(2);
  });

  it("a service by id", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    expect(await c.getService(3)).toMatchObject({ id: 3, shortname: "Percipio-API" });
    await c.getService(3);
    expect(requests).toEqual(["GET /admin/webservice/service.php?id=3", "GET /admin/webservice/service.php?id=3"]);
    await c.getService(3, true);
    expect(requests).toHaveLength(2);
  });

  it("a service found by shortname before: its edit form is read again", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    expect(await c.findService({ shortname: "percipio_services" })).toMatchObject({ id: 2, name: "Percipio services" });
    const read = requests.length;
    expect(await c.findService({ shortname: "percipio_services" })).toMatchObject({ id: 2 });
    expect(requests.slice(read)).toEqual(["GET /admin/webservice/service.php?id=2"]);
    await c.findService({ shortname: "percipio_services" }, true);
    expect(requests.slice(read)).toHaveLength(1);
  });
});

describe("service settings", () => {
  it("refuses to change 'Authorised users only' of a built-in service, naming it, and posts nothing", async () => {
    const requests = standInMoodle();
    const c = new MoodleClient(conn);
    await expect(c.setServiceRestrictedUsers(3, true)).rejects.toThrow('"Percipio services" is a built-in service');
    expect(requests).toEqual(["GET /admin/webservice/service.php?id=3"]);
  });
});

describe("clientFor connections", () => {
  const base = { url: "https://moodle.example.com", username: "admin", password: "one" };

  it("usernames that differ in lower case are different accounts, even when their upper case agrees", () => {
    // Moodle compares lower-cased usernames: "admın" (dotless i) and "admin" are two accounts.
    const a = clientFor({ ...base, username: "admin" });
    expect(clientFor({ ...base, username: "admın" })).not.toBe(a);
    expect(clientFor({ ...base, username: "straße" })).not.toBe(clientFor({ ...base, username: "strasse" }));
  });

  it("two different CA certificates are two connections; an empty one is no CA", () => {
    const a = clientFor({ ...base, caCertPem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" });
    expect(clientFor({ ...base, caCertPem: "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n" })).not.toBe(a);
    const none = clientFor(base);
    expect(clientFor({ ...base, caCertPem: "" })).toBe(none);
  });
});
