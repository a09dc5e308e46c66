// Conformance of the double's guarded-site behaviours with the answers recorded on the real Moodle 5.0.6+
// (tests/fixtures/moodle-5.0-guarded/, set-up in tests/fixtures/README.md "Guarded logins and token
// checks"; manifest.txt gives the request behind each file): tool_mfa with TOTP (g01–g40),
// alternateloginurl (g41–g48), the login lockout (g49–g61), REST token checks and the token report's
// Missing capabilities (g62–g77) and the built-in service's functions (g78).
//
// Each test drives the double into the recorded situation (same settings, users, tokens, and the
// double's clock stopped at each recorded answer's Date, so TOTP codes and "Current system time" are
// the recorded ones) and compares what a client reads: status, redirect Location (without the site's
// base URL), session cookies, the project's parsers' view of the page (moodle/parsers), and the raw
// structure of the forms and elements those parsers and the client rely on. Volatile values (sesskeys,
// login tokens, form ids, uniqids) are normalised or left out. Where they disagree, the recording wins.
import * as fs from "fs";
import * as path from "path";
import * as cheerio from "cheerio";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import type { DoubleState, DoubleToken, DoubleUser } from "../../testkit/moodle-double";
import { totpAt } from "../../testkit/moodle-double/totp";
import { Browser, Form, Resp, mcfg } from "./helpers";
import { attemptsLeft, classifyCodeRefusal, parseMfaPage } from "../../moodle/parsers/mfa";
import { parseLoginPage } from "../../moodle/parsers/login";
import { parseTokenReport } from "../../moodle/parsers/tokens";
import { parseServiceFunctions } from "../../moodle/parsers/services";

const DIR = path.join(__dirname, "..", "fixtures", "moodle-5.0-guarded");
/** wwwroot of the recording site. */
const REAL_BASE = "http://127.0.0.1:8450";
/** The TOTP secret the recording gave admin (README: g01–g40 set-up). */
const SECRET = "JBSWY3DPEHPK3PXP";
const AUTH = "/admin/tool/mfa/auth.php";
/** The recording site's names, so titles and the support mailto read the same. */
const SITE = { fullname: "moodle-percipio-iac test site", shortname: "iactest" };
const SUPPORT_EMAIL = "support@example.com";

/** One HTTP answer, recorded or the double's, with its site's base URL. */
interface Answer {
  status: number;
  location?: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  base: string;
}

/** A recorded answer: `NAME.html` or `NAME.json` and its status line and headers in `NAME.headers`. */
function recorded(name: string): Answer {
  const bodyFile = [".html", ".json"].map((ext) => path.join(DIR, name + ext)).find((f) => fs.existsSync(f));
  if (!bodyFile) throw new Error(`no recorded body for ${name}`);
  const [statusLine, ...lines] = fs.readFileSync(path.join(DIR, `${name}.headers`), "utf8").split(/\r?\n/);
  const headers: Record<string, string | string[]> = {};
  for (const line of lines) {
    const m = /^([^:]+):\s?(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    if (key === "set-cookie") headers[key] = [...((headers[key] as string[] | undefined) ?? []), m[2]];
    else headers[key] = m[2];
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    location: headers.location as string | undefined,
    headers,
    body: fs.readFileSync(bodyFile, "utf8"),
    base: REAL_BASE,
  };
}

/** The instant a recorded answer was made (its Date header), in Unix seconds. */
function at(name: string): number {
  return Math.floor(Date.parse(String(recorded(name).headers.date)) / 1000);
}

function mine(r: Resp, base: string): Answer {
  return { status: r.status, location: r.location, headers: r.headers, body: r.body, base };
}

/** A Location without the site's own base URL (another site's URL stays whole). */
function where(a: Answer): string | undefined {
  return a.location === undefined ? undefined : a.location.startsWith(a.base) ? a.location.slice(a.base.length) || "/" : a.location;
}

const cookies = (a: Answer) => ([] as string[]).concat(a.headers["set-cookie"] ?? []);
/** A new MoodleSession cookie is set (login, logout), not the deleting kind. */
const newSession = (a: Answer) => cookies(a).some((c) => /^MoodleSession=[^;]+/.test(c) && !/^MoodleSession=deleted/.test(c));

/** What a redirect tells a client: status, Location, whether a new session was started. */
const redirectOf = (a: Answer) => ({ status: a.status, location: where(a), newSession: newSession(a) });

interface Page {
  $: cheerio.CheerioAPI;
  /** base URL -> BASE, the page's sesskey -> SK, whitespace collapsed. */
  norm: (s: string | undefined) => string;
  sesskey: string;
  html: string;
}

function page(a: Answer): Page {
  let sesskey = "";
  try {
    sesskey = String(mcfg(a.body).sesskey ?? "");
  } catch {
    // A page without M.cfg: nothing to normalise.
  }
  const norm = (s: string | undefined) => {
    let v = (s ?? "").split(a.base).join("BASE");
    if (sesskey) v = v.split(sesskey).join("SK");
    return v.replace(/\s+/g, " ").trim();
  };
  return { $: cheerio.load(a.body), norm, sesskey, html: a.body };
}

/** One line per form control: tag, type, name, value (normalised), and the boolean attributes that carry state. */
function controls(p: Page, scope: string, skipValuesOf?: RegExp): string[] {
  const { $ } = p;
  return $(scope)
    .find("input, select, textarea, button[name]")
    .map((_, el) => {
      const e = $(el);
      const name = e.attr("name") ?? "";
      const flags = ["checked", "disabled", "readonly"].filter((f) => e.attr(f) !== undefined).join(",");
      const value = skipValuesOf?.test(name) ? "*" : p.norm(e.attr("value"));
      return `${el.tagName}|${e.attr("type") ?? ""}|${name}|${value}|${flags}`;
    })
    .get();
}

/** M.cfg's keys and the user and context it names. */
function cfgOf(a: Answer) {
  const cfg = mcfg(a.body);
  return { keys: Object.keys(cfg), userId: cfg.userId, contextid: cfg.contextid, contextInstanceId: cfg.contextInstanceId };
}

/** The verification page as a client reads it (parseMfaPage and the refusal helpers) and its structure. */
function mfaView(a: Answer) {
  const p = page(a);
  const { $ } = p;
  const parsed = parseMfaPage(a.body);
  const form = ".mfa-verify-form form";
  const attrs = (sel: string, names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, p.norm($(sel).first().attr(n))]));
  return {
    status: a.status,
    parsed: parsed && {
      ...parsed,
      // The session's own sesskey, whatever its value.
      hiddenFields: { ...parsed.hiddenFields, sesskey: parsed.hiddenFields.sesskey === p.sesskey },
    },
    refusal: parsed?.error === undefined ? undefined : { kind: classifyCodeRefusal(parsed.error), left: attemptsLeft(parsed.error) },
    // The message as shown, line breaks and double spaces included (only trimmed).
    errorText: $("#id_error_verificationcode").text().trim(),
    form: { ...attrs(form, ["action", "method", "class"]), controls: controls(p, form) },
    codeField: <Record<string, string>>{
      fitem: p.norm($("#fitem_id_verificationcode").attr("class")),
      ...attrs("#id_verificationcode", ["type", "class", "value", "aria-describedby", "autocomplete", "inputmode", "pattern", "maxlength", "autofocus"]),
    },
    factorInput: attrs(`${form} input[name="factor"]`, ["type", "value"]),
    heading: p.norm($("h2").first().text()),
    shown: { title: p.norm($("strong").first().text()), desc: p.norm($("strong").first().parent().text()), icon: attrs(".pt-1 i", ["class", "title", "aria-label"]) },
    others: $('input[name="factorname"]')
      .map((_, input) => {
        const f = $(input).closest("form");
        return [
          {
            factorname: $(input).attr("value"),
            form: `${f.attr("method")} ${p.norm(f.attr("action"))}`,
            controls: controls(p, `form[id="${f.attr("id")}"]`),
            option: p.norm(f.find(".tool-mfa-factor-choose-text").text()),
            button: p.norm(f.find("button").attr("class")),
            icon: `${p.norm(f.find("i").attr("class"))}|${f.find("i").attr("title")}|${f.find("i").attr("aria-label")}`,
          },
        ];
      })
      .get(),
    alternativesHeading: p.norm($("p.fw-bold").first().text()),
    cancel: { action: p.norm($("form#cancelmfa").attr("action")), method: $("form#cancelmfa").attr("method"), controls: controls(p, "form#cancelmfa") },
    support: `${p.norm($(".tool-mfa-site-support").text())}|${p.norm($(".tool-mfa-site-support a").attr("href"))}`,
    title: $("title").text(),
    bodyId: $("body").attr("id"),
    cfg: cfgOf(a),
  };
}

/** tool_mfa's "Unable to authenticate" page: no verification form, the message, the Log out form, the support link. */
function cannotLoginView(a: Answer) {
  const p = page(a);
  const { $ } = p;
  const logout = $('[role="main"] .singlebutton form');
  return {
    status: a.status,
    parsed: parseMfaPage(a.body),
    alert: { class: p.norm($('[role="main"] .alert').attr("class")), html: p.norm($('[role="main"] .alert').html() ?? "") },
    logout: {
      action: p.norm(logout.attr("action")),
      method: logout.attr("method"),
      controls: controls(p, '[role="main"] .singlebutton form'),
      button: `${p.norm(logout.find("button").attr("type"))}|${p.norm(logout.find("button").attr("class"))}|${p.norm(logout.find("button").text())}`,
    },
    supportLink: `${p.norm($('[role="main"] > a').last().attr("href"))}|${p.norm($('[role="main"] > a').last().text())}`,
    title: $("title").text(),
    cfg: cfgOf(a),
  };
}

/** The login page as the client reads it, and its form's controls (login token values are per session). */
function loginView(a: Answer) {
  const p = page(a);
  const parsed = parseLoginPage(a.body);
  const err = p.$("#loginerrormessage");
  return {
    status: a.status,
    parsed: { ...parsed, logintoken: /^[A-Za-z0-9]{32}$/.test(parsed.logintoken ?? "") },
    action: p.norm(p.$("form#login").attr("action")),
    controls: controls(p, "form#login", /^logintoken$/),
    error: err.length ? `${err.prop("tagName")}|${err.attr("class")}|${err.attr("role")}|${p.norm(err.text())}` : undefined,
    cfg: cfgOf(a),
  };
}

/** A JSON answer (REST, AJAX) byte for byte, with the headers a client looks at. */
const jsonAnswer = (a: Answer) => ({
  status: a.status,
  contentType: a.headers["content-type"],
  cors: a.headers["access-control-allow-origin"],
  body: a.body,
});

describe("conformance with the recorded 5.0.6+ guarded-site answers (moodle-5.0-guarded)", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble({ moodleVersion: "5.0" });
  });
  afterAll(() => d.stop());
  beforeEach(() => {
    d.control.reset();
    d.control.patchState({ site: SITE, config: { supportemail: SUPPORT_EMAIL } });
  });

  const state = (): DoubleState => d.control.state();
  /** Replace one user (patchState replaces arrays). */
  const patchUser = (id: number, fields: Partial<DoubleUser> | ((u: DoubleUser) => DoubleUser)) =>
    d.control.patchState({ users: state().users.map((u) => (u.id !== id ? u : typeof fields === "function" ? fields(u) : { ...u, ...fields })) });
  const ans = (r: Resp) => mine(r, d.url);
  /** Stops the double's clock at the moment `name` was recorded. */
  const clockAt = (name: string) => d.control.setClock(at(name));

  /** GET the login form, then POST it (as curl did: anchor, logintoken, username, password). */
  async function loginPost(b: Browser, password: string, username = "admin"): Promise<{ form: Resp; post: Resp }> {
    const form = await b.get("/login/index.php");
    const post = await b.post("/login/index.php", { anchor: "", logintoken: parseLoginPage(form.body).logintoken ?? "", username, password });
    return { form, post };
  }

  /** The verification form's own fields, plus the code, as the recording posted them. */
  function codeForm(r: Resp, code: string): Form {
    const parsed = parseMfaPage(r.body)!;
    return { ...parsed.hiddenFields, verificationcode: code, submitbutton: "Continue" };
  }

  /** The recording's AJAX request while MFA is pending (g07, g32). */
  const pendingAjax = (b: Browser, sesskey: string) =>
    b.request("POST", `/lib/ajax/service.php?sesskey=${sesskey}`, JSON.stringify([{ index: 0, methodname: "core_fetch_notifications", args: { contextid: 1 } }]), "application/json");

  describe("tool_mfa with TOTP for admin (g01–g40)", () => {
    /** README g01–g40 set-up: tool_mfa on with lockout N, factor_order, TOTP weight 100 window 15, admin's TOTP row. */
    function mfaSite(opts: { lockout: string; order: string; email: boolean; lastverified?: number }): void {
      d.control.patchState({
        pluginConfig: {
          tool_mfa: { enabled: "1", lockout: opts.lockout, factor_order: opts.order },
          factor_totp: { enabled: "1", weight: "100", window: "15" },
          factor_email: { enabled: opts.email ? "1" : "0" },
        },
      });
      patchUser(2, { mfa: { totp: { secret: SECRET, lastverified: opts.lastverified ?? 0, lockcounter: 0 } } });
    }

    /** A fresh jar's login form, password POST and testsession, each compared with its recording. */
    async function freshLogin(steps: [string, string, string]): Promise<Browser> {
      const b = new Browser(d.url);
      clockAt(steps[0]);
      const { form, post } = await loginPost(b, d.adminPassword);
      expect(loginView(ans(form))).toEqual(loginView(recorded(steps[0])));
      expect(redirectOf(ans(post))).toEqual(redirectOf(recorded(steps[1])));
      clockAt(steps[2]);
      const testsession = await b.get(post.location!);
      expect(redirectOf(ans(testsession))).toEqual(redirectOf(recorded(steps[2])));
      return b;
    }

    test("first login: password, testsession, auth.php (also ?factorname=totp, &lang=en), AJAX while pending, a wrong code, the right one, /my/, auth.php after (g01–g11)", async () => {
      mfaSite({ lockout: "10", order: "totp", email: false });
      const b = await freshLogin(["g01-mfa-login-get", "g02-mfa-login-post", "g03-mfa-testsession"]);
      expect(redirectOf(recorded("g03-mfa-testsession")).location).toBe(AUTH);

      clockAt("g04-mfa-auth-get");
      const shown = await b.get(AUTH);
      const g04 = mfaView(recorded("g04-mfa-auth-get"));
      expect(mfaView(ans(shown))).toEqual(g04);
      // The form a client posts back: factor (rendered with type="alphaext"), sesskey, the form marker.
      expect(g04.parsed).toMatchObject({ factor: "totp", hiddenFields: { factor: "totp", sesskey: true, _qf__tool_mfa_local_form_login_form: "1" } });
      expect(g04.factorInput.type).toBe("alphaext");
      expect(mfaView(ans(await b.get(`${AUTH}?factorname=totp`)))).toEqual(mfaView(recorded("g05-mfa-auth-factorname-totp")));
      expect(mfaView(ans(await b.get(`${AUTH}?factorname=totp&lang=en`)))).toEqual(mfaView(recorded("g06-mfa-auth-factorname-totp-lang-en")));

      const ajax = await pendingAjax(b, page(ans(shown)).sesskey);
      expect(jsonAnswer(ans(ajax))).toEqual(jsonAnswer(recorded("g07-mfa-pending-ajax")));

      clockAt("g08-mfa-post-wrong-code");
      const wrong = mfaView(ans(await b.post(AUTH, codeForm(shown, "000000"))));
      const g08 = mfaView(recorded("g08-mfa-post-wrong-code"));
      expect(wrong).toEqual(g08);
      expect(g08.refusal).toEqual({ kind: "wrong", left: 9 });
      // The refused code stays in the field, marked invalid (README "Observed differences").
      expect(g08.codeField).toMatchObject({ value: "000000", class: "form-control is-invalid", "aria-describedby": "id_error_verificationcode" });

      clockAt("g09-mfa-post-right-code");
      const right = await b.post(AUTH, codeForm(shown, totpAt(SECRET, at("g09-mfa-post-right-code"))));
      expect(redirectOf(ans(right))).toEqual(redirectOf(recorded("g09-mfa-post-right-code")));
      expect(where(recorded("g09-mfa-post-right-code"))).toBe("/my/");

      clockAt("g10-mfa-passed-my");
      const my = await b.get(right.location!);
      const g10 = recorded("g10-mfa-passed-my");
      expect(my.status).toBe(g10.status);
      expect(mcfg(my.body).userId).toBe(mcfg(g10.body).userId);
      expect(Object.keys(mcfg(my.body))).toEqual(Object.keys(mcfg(g10.body)));
      clockAt("g11-mfa-passed-auth-get");
      expect(redirectOf(ans(await b.get(AUTH)))).toEqual(redirectOf(recorded("g11-mfa-passed-auth-get")));
    });

    test("second login in the step of the last pass: the code already used, one 3 steps old, one 3 steps ahead; 9, 8, 7 attempts left (g12–g18)", async () => {
      // After g09: the code of 17:16:01's step was accepted; the pass put the counter back to 0.
      mfaSite({ lockout: "10", order: "totp", email: false, lastverified: at("g09-mfa-post-right-code") });
      const b = await freshLogin(["g12-mfa2-login-get", "g13-mfa2-login-post", "g14-mfa2-testsession"]);
      clockAt("g15-mfa2-auth-get");
      const shown = await b.get(AUTH);
      expect(mfaView(ans(shown))).toEqual(mfaView(recorded("g15-mfa2-auth-get")));

      const steps: [string, number, "used" | "clock", number][] = [
        ["g16-mfa2-post-code-already-used", 0, "used", 9],
        ["g17-mfa2-post-old-code", -3, "clock", 8],
        ["g18-mfa2-post-future-code", 3, "clock", 7],
      ];
      for (const [name, offset, kind, left] of steps) {
        const r = mfaView(recorded(name));
        // The code the recording posted is in its page; it is the code `offset` steps from the last pass's / this moment's step.
        const code = r.codeField.value;
        expect(code).toBe(totpAt(SECRET, (offset === 0 ? at("g09-mfa-post-right-code") : at(name)) + offset * 30));
        clockAt(name);
        const answer = mfaView(ans(await b.post(AUTH, codeForm(shown, code))));
        expect(answer).toEqual(r);
        expect(r.refusal).toEqual({ kind, left });
      }
      // Old and future codes: a line break and four spaces in the message, two spaces before the hour (%l).
      expect(mfaView(recorded("g17-mfa2-post-old-code")).errorText).toMatch(/try again\.\n {4}Current system time is {2}5:16:10 pm GMT\.\u00a0You have 8 attempts left\.$/);
    });

    test("lockout 3: 2 attempts left, 1 attempts left, then Unable to authenticate now, on auth.php, after /my/ and after a later login; AJAX; the Log out button (g19–g33)", async () => {
      mfaSite({ lockout: "3", order: "totp", email: false, lastverified: at("g09-mfa-post-right-code") });
      const b = await freshLogin(["g19-mfa3-login-get", "g20-mfa3-login-post", "g21-mfa3-testsession"]);
      clockAt("g22-mfa3-auth-get");
      const shown = await b.get(AUTH);
      expect(mfaView(ans(shown))).toEqual(mfaView(recorded("g22-mfa3-auth-get")));
      for (const [name, left] of [
        ["g23-mfa3-post-wrong-1", 2],
        ["g24-mfa3-post-wrong-2", 1],
      ] as const) {
        clockAt(name);
        const r = mfaView(recorded(name));
        expect(mfaView(ans(await b.post(AUTH, codeForm(shown, "000000"))))).toEqual(r);
        expect(r.refusal).toEqual({ kind: "wrong", left });
      }
      // No singular: "You have 1 attempts left."
      expect(mfaView(recorded("g24-mfa3-post-wrong-2")).errorText).toBe("Incorrect verification code.\u00a0You have 1 attempts left.");

      clockAt("g25-mfa3-post-wrong-3-locked");
      const locked = ans(await b.post(AUTH, codeForm(shown, "000000")));
      const g25 = cannotLoginView(recorded("g25-mfa3-post-wrong-3-locked"));
      expect(cannotLoginView(locked)).toEqual(g25);
      expect(g25.parsed).toBeUndefined();
      clockAt("g26-mfa3-auth-get-locked");
      expect(cannotLoginView(ans(await b.get(AUTH)))).toEqual(cannotLoginView(recorded("g26-mfa3-auth-get-locked")));
      clockAt("g27-mfa3-my-locked");
      expect(redirectOf(ans(await b.get("/my/")))).toEqual(redirectOf(recorded("g27-mfa3-my-locked")));

      // A later fresh login: the password is still accepted, then auth.php is "Unable to authenticate" at once.
      const later = await freshLogin(["g28-mfa4-login-get", "g29-mfa4-login-post", "g30-mfa4-testsession"]);
      clockAt("g31-mfa4-auth-get-locked");
      const lockedPage = await later.get(AUTH);
      expect(cannotLoginView(ans(lockedPage))).toEqual(cannotLoginView(recorded("g31-mfa4-auth-get-locked")));
      clockAt("g32-mfa4-pending-ajax-locked");
      expect(jsonAnswer(ans(await pendingAjax(later, page(ans(lockedPage)).sesskey)))).toEqual(jsonAnswer(recorded("g32-mfa4-pending-ajax-locked")));

      // The page's Log out form, posted as it is (logout=1, sesskey): 303 to the pending wantsurl, a new session.
      clockAt("g33-mfa4-locked-logout-post");
      const $locked = cheerio.load(lockedPage.body);
      const form = $locked('[role="main"] .singlebutton form');
      const fields: Form = {};
      form.find("input[name]").each((_, input) => {
        fields[$locked(input).attr("name")!] = $locked(input).attr("value") ?? "";
      });
      const out = await later.post(new URL(form.attr("action")!).pathname, fields);
      expect(redirectOf(ans(out))).toEqual(redirectOf(recorded("g33-mfa4-locked-logout-post")));
      expect(redirectOf(recorded("g33-mfa4-locked-logout-post"))).toEqual({ status: 303, location: "/my/", newSession: true });
    });

    test("email first (factor_order email,totp): the email factor with the Authenticator alternative, ?factorname=totp with the email alternative, the right TOTP code (g34–g40)", async () => {
      mfaSite({ lockout: "10", order: "email,totp", email: true, lastverified: at("g09-mfa-post-right-code") });
      const b = await freshLogin(["g34-mfa5-email-login-get", "g35-mfa5-email-login-post", "g36-mfa5-email-testsession"]);
      clockAt("g37-mfa5-email-auth-get");
      const g37 = mfaView(recorded("g37-mfa5-email-auth-get"));
      expect(mfaView(ans(await b.get(AUTH)))).toEqual(g37);
      expect(g37.parsed).toMatchObject({ factor: "email", otherFactors: ["totp"] });
      clockAt("g38-mfa5-email-auth-factorname-totp");
      const totpPage = await b.get(`${AUTH}?factorname=totp`);
      const g38 = mfaView(recorded("g38-mfa5-email-auth-factorname-totp"));
      expect(mfaView(ans(totpPage))).toEqual(g38);
      expect(g38.parsed).toMatchObject({ factor: "totp", otherFactors: ["email"] });

      clockAt("g39-mfa5-email-post-right-totp");
      const right = await b.post(AUTH, codeForm(totpPage, totpAt(SECRET, at("g39-mfa5-email-post-right-totp"))));
      expect(redirectOf(ans(right))).toEqual(redirectOf(recorded("g39-mfa5-email-post-right-totp")));
      clockAt("g40-mfa5-email-passed-my");
      const my = await b.get(right.location!);
      expect([my.status, mcfg(my.body).userId]).toEqual([recorded("g40-mfa5-email-passed-my").status, mcfg(recorded("g40-mfa5-email-passed-my").body).userId]);
    });
  });

  describe("alternateloginurl (g41–g48)", () => {
    const ALT = "https://sso.example.com/login";
    beforeEach(() => d.control.patchState({ config: { alternateloginurl: ALT } }));

    test("the login page goes there; ?loginredirect=0 shows the form; a wrong password comes back with Invalid login; the right one logs in (g41–g46)", async () => {
      const b = new Browser(d.url);
      clockAt("g41-altlogin-login-get");
      expect(redirectOf(ans(await b.get("/login/index.php")))).toEqual(redirectOf(recorded("g41-altlogin-login-get")));
      expect(where(recorded("g41-altlogin-login-get"))).toBe(ALT);
      const form = await b.get("/login/index.php?loginredirect=0");
      expect(loginView(ans(form))).toEqual(loginView(recorded("g42-altlogin-login-get-loginredirect0")));
      const token = () => parseLoginPage(form.body).logintoken ?? "";
      const bad = await b.post("/login/index.php", { anchor: "", logintoken: token(), username: "admin", password: "wrong-password" });
      expect(redirectOf(ans(bad))).toEqual(redirectOf(recorded("g43-altlogin-login-post-bad")));
      const shown = await b.get(bad.location!);
      const g44 = loginView(recorded("g44-altlogin-login-bad-follow"));
      expect(loginView(ans(shown))).toEqual(g44);
      expect(g44.parsed.errorMessage).toBe("Invalid login, please try again");
      const ok = await b.post("/login/index.php", { anchor: "", logintoken: parseLoginPage(shown.body).logintoken ?? "", username: "admin", password: d.adminPassword });
      expect(redirectOf(ans(ok))).toEqual(redirectOf(recorded("g45-altlogin-login-post-ok")));
      expect(redirectOf(ans(await b.get(ok.location!)))).toEqual(redirectOf(recorded("g46-altlogin-testsession")));
    });

    test("a fresh session without the bypass and without a login token: wrong password to the SSO URL with errorcode=3, the right one logs in (g47, g48)", async () => {
      const bad = await new Browser(d.url).post("/login/index.php", { username: "admin", password: "wrong-password" });
      expect(redirectOf(ans(bad))).toEqual(redirectOf(recorded("g47-altlogin-login-post-bad-no-bypass")));
      expect(where(recorded("g47-altlogin-login-post-bad-no-bypass"))).toBe(`${ALT}?errorcode=3`);
      const ok = await new Browser(d.url).post("/login/index.php", { username: "admin", password: d.adminPassword });
      expect(redirectOf(ans(ok))).toEqual(redirectOf(recorded("g48-altlogin-login-post-ok-no-logintoken")));
    });
  });

  describe("login lockout, threshold 3 (g49–g61)", () => {
    /** The second site admin the recording made to look at the users list while admin was locked. */
    const LOCKADMIN: DoubleUser = { id: 3, username: "lockadmin", password: "Lock-Admin-1!", firstname: "Second", lastname: "Admin", email: "lockadmin@example.com", siteAdmin: true };

    /** The Unlock account actions of admin/user.php: their link (normalised) and label. */
    const unlockActions = (a: Answer) => {
      const p = page(a);
      return p
        .$('a[href*="unlock="]')
        .map((_, el) => `${p.norm(p.$(el).attr("href"))}|${p.$(el).attr("aria-label")}`)
        .get();
    };

    test("three wrong passwords each 303 to the form with Invalid login (the 3rd too); then the right one is 200 with the locked box; Unlock account; after the unlock a login (g49–g61)", async () => {
      d.control.patchState({ config: { lockoutthreshold: "3" }, users: [...state().users, LOCKADMIN] });
      const b = new Browser(d.url);
      clockAt("g49-lockout-login-get");
      let form = await b.get("/login/index.php");
      expect(loginView(ans(form))).toEqual(loginView(recorded("g49-lockout-login-get")));
      for (const [post, follow] of [
        ["g50-lockout-post-bad-1", "g51-lockout-post-bad-1-follow"],
        ["g52-lockout-post-bad-2", "g53-lockout-post-bad-2-follow"],
        ["g54-lockout-post-bad-3", "g55-lockout-post-bad-3-follow"],
      ]) {
        clockAt(post);
        const bad = await b.post("/login/index.php", { anchor: "", logintoken: parseLoginPage(form.body).logintoken ?? "", username: "admin", password: "wrong-password" });
        expect(redirectOf(ans(bad))).toEqual(redirectOf(recorded(post)));
        form = await b.get(bad.location!);
        expect(loginView(ans(form))).toEqual(loginView(recorded(follow)));
      }
      expect(loginView(recorded("g55-lockout-post-bad-3-follow")).parsed.errorMessage).toBe("Invalid login, please try again");

      clockAt("g56-lockout-post-right-password-locked");
      const locked = await b.post("/login/index.php", { anchor: "", logintoken: parseLoginPage(form.body).logintoken ?? "", username: "admin", password: d.adminPassword });
      const g56 = loginView(recorded("g56-lockout-post-right-password-locked"));
      expect(loginView(ans(locked))).toEqual(g56);
      expect(g56).toMatchObject({ status: 200, parsed: { errorMessage: "Your account is locked. An unlock link has been sent via email." } });
      expect(g56.controls).toContain("input|text|username|admin|");

      clockAt("g57-lockout-users-list-locked");
      const other = new Browser(d.url);
      await other.login(LOCKADMIN.username, LOCKADMIN.password);
      const list = unlockActions(ans(await other.get("/admin/user.php")));
      expect(list).toEqual(unlockActions(recorded("g57-lockout-users-list-locked")));
      expect(list).toEqual(["BASE/admin/user.php?unlock=2&sesskey=SK|Unlock account"]);

      // The recording unlocked with SQL (DELETE FROM mdl_user_preferences ... login_lockout%, login_failed%).
      patchUser(2, (u) => ({ ...u, lockout: { secret: u.lockout?.secret } }));
      const again = new Browser(d.url);
      clockAt("g58-lockout-unlocked-login-get");
      const { form: form2, post } = await loginPost(again, d.adminPassword);
      expect(loginView(ans(form2))).toEqual(loginView(recorded("g58-lockout-unlocked-login-get")));
      expect(redirectOf(ans(post))).toEqual(redirectOf(recorded("g59-lockout-unlocked-login-post")));
      expect(redirectOf(ans(await again.get(post.location!)))).toEqual(redirectOf(recorded("g60-lockout-unlocked-testsession")));
      clockAt("g61-lockout-users-list-unlocked");
      expect(unlockActions(ans(await again.get("/admin/user.php")))).toEqual(unlockActions(recorded("g61-lockout-users-list-unlocked")));
      expect(unlockActions(recorded("g61-lockout-users-list-unlocked"))).toEqual([]);
    });
  });

  describe("a token of an ordinary user: REST answers and the token report's Missing capabilities (g62–g78)", () => {
    const SERVICE = 3; // Percipio-API on the 5.0 double (2 on the recording site: only its name is shown)
    const PROBE_TOKEN = "fc3f5866" + "0".repeat(24);
    const ADMIN_TOKEN = "59c8adf0" + "0".repeat(24);
    /** user_create_user() as the recording ran it: wsprobe = user id 4. */
    const WSPROBE: DoubleUser = { id: 4, username: "wsprobe", password: "Ws-Probe-1!", firstname: "W", lastname: "P", email: "wsprobe@example.com", siteAdmin: false };
    const token = (id: number, value: string, name: string, userId: number): DoubleToken => ({
      id,
      token: value,
      name,
      userId,
      serviceId: SERVICE,
      iprestriction: "",
      validuntil: 0,
      lastaccess: 0,
      creatorId: 2,
      timecreated: at("g62-tokens-list-two-tokens") - 10,
    });

    beforeEach(() => {
      d.control.patchState({
        config: { enablewebservices: "1", webserviceprotocols: "rest" },
        users: [...state().users, WSPROBE],
        tokens: [token(1, PROBE_TOKEN, "probe", 4), token(2, ADMIN_TOKEN, "admin-probe", 2)],
        // The recording site's token report is report id 2 (table system-report-table-2).
        tokenReportId: 2,
      });
    });

    /** Probe A: the token and the format only; probe B: plus percipio_progress_tracking without `data`. No cookies. */
    const probe = async (kind: "a" | "b") =>
      ans(
        await new Browser(d.url).post("/webservice/rest/server.php", {
          wstoken: PROBE_TOKEN,
          moodlewsrestformat: "json",
          ...(kind === "b" ? { wsfunction: "percipio_progress_tracking" } : {}),
        }),
      );

    /** The report as parseTokenReport reads it, rows by name (same "Valid until": no stable order), and the raw cells a client looks at. */
    function reportView(a: Answer) {
      const p = page(a);
      const report = parseTokenReport(a.body);
      const rows = [...report.rows].sort((x, y) => x.name.localeCompare(y.name));
      const rowIds = p
        .$("table.reportbuilder-table tbody tr")
        .filter((_, tr) => p.$(tr).find('a[href*="tokenid="]').length > 0)
        .map((_, tr) => `${p.norm(p.$(tr).children("td").first().text())}:${/^system-report-table-\d+_r\d+$/.test(p.$(tr).attr("id") ?? "")}`)
        .get()
        .sort();
      const missingCell = (name: string) => {
        const tr = p.$("table.reportbuilder-table tbody tr").filter((_, el) => p.norm(p.$(el).children("td").first().text()) === name);
        return p.norm(tr.children("td").eq(8).html() ?? "");
      };
      return {
        status: a.status,
        rows,
        rowIds,
        reportId: report.reportId,
        tableId: p.$(".table-dynamic").attr("data-table-uniqueid"),
        totalRows: report.totalRows,
        heads: p.$("table.reportbuilder-table thead th").map((_, th) => p.norm(p.$(th).text())).get(),
        missingCells: { probe: missingCell("probe"), "admin-probe": missingCell("admin-probe") },
      };
    }

    test("Manage tokens: the probe row lists the 10 missing capabilities, the admin row none; the report is system-report-table-2 (g62)", async () => {
      const b = new Browser(d.url);
      clockAt("g62-tokens-list-two-tokens");
      await b.login();
      const g62 = reportView(recorded("g62-tokens-list-two-tokens"));
      expect(reportView(ans(await b.get("/admin/webservice/tokens.php")))).toEqual(g62);
      expect(g62.rows.find((r) => r.name === "probe")!.missingCapabilities).toHaveLength(10);
      expect(g62.tableId).toBe("system-report-table-2");
    });

    test("REST probes, byte for byte: no rest:use, rest:use granted, user suspended, function removed, each at debug 0 and 15; then the report (g63–g77)", async () => {
      const debug = (level: string) => d.control.patchState({ config: { debug: level } });
      const check = async (kind: "a" | "b", name: string) => expect(jsonAnswer(await probe(kind))).toEqual(jsonAnswer(recorded(name)));

      await check("a", "g63-rest-norestuse-probe-a");
      await check("b", "g64-rest-norestuse-probe-b");
      debug("15");
      await check("a", "g65-rest-norestuse-probe-a-debug15");
      await check("b", "g66-rest-norestuse-probe-b-debug15");
      debug("0");

      // assign_capability('webservice/rest:use', CAP_ALLOW, <role user>, system)
      d.control.patchState({ roleCapabilities: { user: { "webservice/rest:use": "allow" } } });
      await check("a", "g67-rest-restuse-probe-a");
      await check("b", "g68-rest-restuse-probe-b");
      debug("15");
      await check("a", "g69-rest-restuse-probe-a-debug15");
      await check("b", "g70-rest-restuse-probe-b-debug15");
      debug("0");

      patchUser(4, { suspended: true });
      await check("a", "g71-rest-suspended-probe-a");
      await check("b", "g72-rest-suspended-probe-b");
      debug("15");
      await check("b", "g73-rest-suspended-probe-b-debug15");
      debug("0");
      patchUser(4, { suspended: false });

      // DELETE FROM mdl_external_services_functions ... functionname='percipio_progress_tracking'
      d.control.patchState({ services: state().services.map((s) => (s.id === SERVICE ? { ...s, functions: s.functions.filter((f) => f !== "percipio_progress_tracking") } : s)) });
      await check("a", "g74-rest-fnremoved-probe-a");
      await check("b", "g75-rest-fnremoved-probe-b");
      debug("15");
      await check("b", "g76-rest-fnremoved-probe-b-debug15");
      debug("0");

      // The probes wrote the probe token's last access (the double's token times are real time).
      const written = state().tokens.find((t) => t.name === "probe")!.lastaccess;
      expect(written).toBeGreaterThan(0);
      expect(state().tokens.find((t) => t.name === "admin-probe")!.lastaccess).toBe(0);
      // Put at the recorded first probe's moment, to compare the cell's words too.
      d.control.patchState({ tokens: state().tokens.map((t) => (t.name === "probe" ? { ...t, lastaccess: at("g63-rest-norestuse-probe-a") } : t)) });
      const b = new Browser(d.url);
      await b.login();
      const g77 = reportView(recorded("g77-tokens-list-after-fnremoved"));
      expect(reportView(ans(await b.get("/admin/webservice/tokens.php")))).toEqual(g77);
      expect(g77.rows.find((r) => r.name === "probe")).toMatchObject({ used: true, lastAccess: "Friday, 4 December 2026, 5:17 PM" });
      expect(g77.rows.find((r) => r.name === "probe")!.missingCapabilities).not.toContain("moodle/grade:manage");
    });

    test("the built-in Percipio service's functions page (g78)", async () => {
      const b = new Browser(d.url);
      await b.login();
      const r = recorded("g78-service-functions-builtin");
      const got = ans(await b.get(`/admin/webservice/service_functions.php?id=${SERVICE}`));
      expect(got.status).toBe(r.status);
      expect(parseServiceFunctions(got.body)).toEqual(parseServiceFunctions(r.body));
      const main = (a: Answer) => {
        const p = page(a);
        return { heading: p.norm(p.$('[role="main"] h2').text()), table: p.norm(p.$('[role="main"] .table-responsive').html() ?? "") };
      };
      expect(main(got)).toEqual(main(r));
    });
  });
});
