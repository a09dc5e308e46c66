// The double's language: Moodle's current_language() and setup.php's ?lang= / ?forcelang= (lang.ts),
// and its non-English pages against pages recorded from a real Moodle in French and German
// (tests/fixtures/moodle-5.0-fr, -de).
import * as fs from "fs";
import * as path from "path";
import * as cheerio from "cheerio";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { defaultState, DoubleState } from "../../testkit/moodle-double/state";
import { enabledTranslations, languageAtLogin, pageLanguage, setupLanguage, translationExists } from "../../testkit/moodle-double/lang";
import type { Session } from "../../testkit/moodle-double/sessions";
import { Browser, mcfg, Resp } from "./helpers";

const PACKS = { fr: "Français \u200e(fr)\u200e", de: "Deutsch \u200e(de)\u200e" };

function site(patch: (s: DoubleState) => void = () => undefined): DoubleState {
  const s = defaultState("5.0");
  s.languages = { ...PACKS };
  patch(s);
  return s;
}

function sessionOf(userId = 2, extra: Partial<Session> = {}): Session {
  return { id: "x", sesskey: "k", userId, logintoken: "t", lastSeen: 0, flash: {}, ...extra };
}

describe("pageLanguage: current_language() on the site course's pages", () => {
  test("site default, then the user's own language, then the session's, then a forced one", () => {
    const s = site((x) => (x.config.lang = "de"));
    expect(pageLanguage(s, sessionOf())).toBe("de");
    expect(pageLanguage(s, undefined)).toBe("de");
    s.users[0].lang = "fr";
    expect(pageLanguage(s, sessionOf())).toBe("fr");
    expect(pageLanguage(s, sessionOf(0))).toBe("de"); // nobody logged in: no user language
    expect(pageLanguage(s, sessionOf(2, { lang: "de" }))).toBe("de");
    expect(pageLanguage(s, sessionOf(2, { lang: "de", forcelang: "en" }))).toBe("en");
  });

  test("a language forced on the front page (the site course) never applies", () => {
    const s = site((x) => (x.site.lang = "de"));
    expect(pageLanguage(s, sessionOf())).toBe("en");
    s.users[0].lang = "fr";
    expect(pageLanguage(s, sessionOf())).toBe("fr");
  });

  test("a site default set in config.php wins over the stored one; no default at all is English", () => {
    const s = site((x) => {
      x.config.lang = "fr";
      x.forced = { config: { lang: "de" } };
    });
    expect(pageLanguage(s, sessionOf())).toBe("de");
    delete s.forced;
    delete s.config.lang;
    expect(pageLanguage(s, sessionOf())).toBe("en");
  });
});

describe("setupLanguage: lib/setup.php's ?lang= and ?forcelang=", () => {
  test("?lang= only for an installed pack that langlist lets through, and only from the query", () => {
    const s = site((x) => (x.config.langlist = "en,fr"));
    expect(enabledTranslations(s)).toEqual(["en", "fr"]);
    const sess = sessionOf();
    setupLanguage(s, sess, { method: "GET", query: { lang: "de" } });
    expect(sess.lang).toBeUndefined(); // installed but not in langlist
    setupLanguage(s, sess, { method: "GET", query: { lang: "it" } });
    expect(sess.lang).toBeUndefined(); // not installed
    setupLanguage(s, sess, { method: "POST", query: {}, body: { lang: "fr" } });
    expect(sess.lang).toBeUndefined(); // setup.php: "do not accept lang parameter from POST"
    setupLanguage(s, sess, { method: "GET", query: { lang: "fr" } });
    expect(sess.lang).toBe("fr");
  });

  test("langlist naming no installed pack offers them all", () => {
    const s = site((x) => (x.config.langlist = "it,pt"));
    expect(translationExists(s, "de")).toBe(true);
  });

  test("?forcelang= needs a logged-in admin and an existing pack; anything else drops it", () => {
    const s = site();
    const guest = sessionOf(0);
    setupLanguage(s, guest, { method: "GET", query: { forcelang: "fr" } });
    expect(guest.forcelang).toBeUndefined();
    const admin = sessionOf(2);
    setupLanguage(s, admin, { method: "GET", query: { forcelang: "de" } });
    expect(admin.forcelang).toBe("de");
    setupLanguage(s, admin, { method: "GET", query: { forcelang: "none" } });
    expect(admin.forcelang).toBeUndefined();
  });

  test("the browser's language counts only without a session or user language, with autolang on", () => {
    const s = site();
    const anon = sessionOf(0);
    setupLanguage(s, anon, { method: "GET", query: {}, acceptLanguage: "it-IT,de;q=0.8,fr;q=0.9" });
    expect(anon.lang).toBe("fr");
    s.config.autolang = "0";
    const other = sessionOf(0);
    setupLanguage(s, other, { method: "GET", query: {}, acceptLanguage: "de" });
    expect(other.lang).toBeUndefined();
  });

  test("at login a user with a language of their own drops the session's language", () => {
    const s = site();
    const sess = sessionOf(0, { lang: "de" });
    languageAtLogin(sess, { ...s.users[0], lang: "" });
    expect(sess.lang).toBe("de");
    languageAtLogin(sess, { ...s.users[0], lang: "fr" });
    expect(sess.lang).toBeUndefined();
  });
});

// ---- the double's pages against the recordings ----

const FIXTURES = path.join(__dirname, "..", "fixtures");
const RECORDED_BASE = "http://127.0.0.1:8450";

function recorded(lang: string, name: string): cheerio.CheerioAPI {
  return cheerio.load(fs.readFileSync(path.join(FIXTURES, `moodle-5.0-${lang}`, name), "utf8"));
}

const clean = (s: string | undefined) => (s ?? "").replace(/\s+/g, " ").trim();
const texts = ($: cheerio.CheerioAPI, sel: string) => $(sel).toArray().map((e) => clean($(e).text()));

/** What a page says where the client and an admin look: language, footer, notices, headings, labels, errors. */
function words($: cheerio.CheerioAPI, base: string) {
  const cfg = mcfg($.html());
  return {
    lang: $("html").attr("lang"),
    language: cfg.language,
    release: clean($("footer .footer-section").last().children().last().text()),
    logininfo: clean($(".logininfo .logininfo").text()).replace(/\(.*\)/, "()"),
    notices: texts($, "#user-notifications [role=alert], #region-main [role=main] > [role=alert]").map((t) => t.replace(/×/g, "").trim()),
    headings: texts($, "#region-main h2, #region-main h3.main"),
    th: texts($, "#region-main table thead th"),
    labels: texts($, "#region-main form label").map((t) => t.replace(base, "BASE")),
    errors: texts($, "#region-main span.error, #region-main .alert-warning, #region-main .alert-info"),
    errormessage: texts($, "p.errormessage"),
    errorlink: $("p.errorcode a").attr("href"),
    // (not the cookie notice's modal button, which the double does not draw)
    buttons: texts($, "#region-main button:not([data-modal]), #loginbtn").concat($("#region-main input[type=submit]").toArray().map((e) => $(e).attr("value") ?? "")),
  };
}

describe.each(["fr", "de"] as const)("the double's pages in %s match the recorded ones", (lang) => {
  let d: MoodleDouble;
  let b: Browser;
  let serviceId: number;

  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());
  beforeEach(async () => {
    d.control.reset();
    const users = d.control.state().users.map((u) => (u.id === 2 ? { ...u, lang } : u));
    d.control.patchState({ languages: PACKS, users });
    serviceId = d.control.state().services.find((s) => s.shortname === "Percipio-API")!.id;
    b = new Browser(d.url);
  });

  const same = async (res: Resp, name: string, pick: (keyof ReturnType<typeof words>)[]) => {
    expect(res.headers["content-language"]).toBe(lang);
    const mine = words(cheerio.load(res.body), d.url);
    const theirs = words(recorded(lang, name), RECORDED_BASE);
    for (const k of pick) expect([k, mine[k]]).toEqual([k, theirs[k]]);
  };

  test("dashboard and admin settings: language, footer release line, saved notice, headings, labels", async () => {
    const sk = await b.login();
    await same(await b.get("/my/"), "a6-my.html", ["lang", "language", "release"]);
    await same(await b.get("/admin/settings.php?section=optionalsubsystems"), "b1-optionalsubsystems.html", ["lang", "language", "release", "notices", "buttons"]);
    const saved = await b.follow(await b.post("/admin/settings.php?section=optionalsubsystems", { section: "optionalsubsystems", action: "save-settings", sesskey: sk, return: "", s__enablewebservices: "1" }));
    await same(saved, "b3-optionalsubsystems-after.html", ["notices", "release"]);
  });

  test("Percipio settings: a rejected value's error, the error notice, an invalid current value", async () => {
    const sk = await b.login();
    const rejected = await b.post("/admin/settings.php?section=modsettingpercipio", {
      section: "modsettingpercipio",
      action: "save-settings",
      sesskey: sk,
      return: "",
      s_percipio_clientid: "not a valid id!",
    });
    await same(rejected, "p25-percipio-settings-invalid-clientid-post.html", ["notices", "errors"]);
    d.control.patchState({ pluginConfig: { percipio: { authenticationmethod: "foo", clientid: "" } } });
    await same(await b.get("/admin/settings.php?section=modsettingpercipio"), "p31-percipio-settings-after-cli-invalid.html", ["errors", "notices"]);
  });

  test("protocols and external services: headings, table headers, form labels and buttons", async () => {
    await b.login();
    await same(await b.get("/admin/settings.php?section=webserviceprotocols"), "c1-webserviceprotocols.html", ["th"]);
    await same(await b.get("/admin/settings.php?section=externalservices"), "d1-externalservices.html", ["th"]);
    await same(await b.get(`/admin/webservice/service.php?id=${serviceId}`), "d2-service-edit.html", ["buttons"]);
  });

  test("error pages: the message in the language and the documentation link's language", async () => {
    await b.login();
    await same(await b.get("/admin/webservice/service.php?id=999"), "d9-service-missing.html", ["errormessage", "errorlink"]);
    await same(await b.post("/admin/webservice/service.php", { id: String(serviceId), sesskey: "wrong", _qf__external_service_form: "1", enabled: "1" }), "d4-service-edit-bad-sesskey.html", [
      "errormessage",
      "errorlink",
    ]);
    await same(await b.get("/admin/settings.php?section=nosuchsection"), "b9-section-error.html", ["errormessage", "errorlink"]);
  });

  test("with the site default in the language, the login page and a failed login speak it too", async () => {
    const users = d.control.state().users.map((u) => (u.id === 2 ? { ...u, lang: "" } : u));
    d.control.patchState({ users, config: { lang } });
    await same(await b.get("/login/index.php"), "a1-login-get.html", ["lang", "language", "buttons"]);
    const token = cheerio.load((await b.get("/login/index.php")).body)('input[name="logintoken"]').attr("value")!;
    const failed = await b.follow(await b.post("/login/index.php", { anchor: "", logintoken: token, username: "admin", password: "wrong" }));
    expect(clean(cheerio.load(failed.body)("#loginerrormessage").text())).toBe(clean(recorded(lang, "a3-login-bad-follow.html")("#loginerrormessage").text()));
    await b.login();
    await same(await b.get("/my/"), "s6-my-site-default.html", ["lang", "language", "release"]);
  });
});

test("a language forced on the front page changes none of the double's pages (as recorded)", async () => {
  const d = await startMoodleDouble();
  try {
    const users = d.control.state().users.map((u) => (u.id === 2 ? { ...u, lang: "fr" } : u));
    d.control.patchState({ languages: PACKS, users, site: { lang: "de" } });
    const b = new Browser(d.url);
    const login = await b.get("/login/index.php");
    expect(cheerio.load(login.body)("html").attr("lang")).toBe(recorded("fr", "f1-login-front-page-forced-de.html")("html").attr("lang"));
    await b.login();
    const my = await b.get("/my/");
    expect(cheerio.load(my.body)("html").attr("lang")).toBe(recorded("fr", "f6-my-front-page-forced-de.html")("html").attr("lang"));
    expect(my.headers["content-language"]).toBe("fr");
  } finally {
    await d.stop();
  }
});
