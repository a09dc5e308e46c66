// A login through Moodle's MFA page with the TOTP factor, on pages recorded from the real 5.0.6+
// (tests/fixtures/moodle-5.0-guarded): what is sent, when a code is retried (once, two steps on,
// after "already used"), and what each refusal tells the user. HTTP is scripted.
import type { HttpResponse } from "../../moodle/http";
import { MoodleSession, forcedPageFor } from "../../moodle/session";
import { MANUAL_LOGIN_PATH } from "../../moodle/login";
import { MoodleForcedPageError, MoodleLoginError, MoodleMfaError } from "../../moodle/errors";
import { RefusedKeyError, type CodeLedger } from "../../moodle/codeLedger";
import { decodeBase32Key, totpCode } from "../../moodle/totp";
import { guarded } from "./fixtures";
import { scriptedHttp } from "../support/scriptedHttp";

const SITE = "http://127.0.0.1:8450";
const KEY = "JBSW Y3DP EHPK 3PXP";
const PASSWORD = "Admin-Pass-1!";

type Answer = { status: number; body?: string; location?: string; headers?: HttpResponse["headers"] };

function fakeLedger(opts: { refused?: string; now?: number } = {}) {
  const claims: { minStep: number; step: number }[] = [];
  const refusals: string[] = [];
  let current = opts.now ?? 59880152;
  const ledger: CodeLedger = {
    async claimStep(minStep, waiting) {
      if (opts.refused) throw new RefusedKeyError(opts.refused, Date.parse("2026-12-04T19:00:00Z"));
      if (minStep > current) {
        waiting((minStep - current) * 30);
        current = minStep;
      }
      claims.push({ minStep, step: current });
      return current;
    },
    async refuseKey(reason) {
      refusals.push(reason);
    },
  };
  return { ledger, claims, refusals };
}

function scripted(answers: Answer[], opts: { key?: string; ledger?: CodeLedger } = {}) {
  const { http, sent } = scriptedHttp(SITE, answers);
  http.resetCookies = () => undefined;
  const logs: string[] = [];
  const fake = fakeLedger();
  const ledger = opts.ledger ?? fake.ledger;
  const s = new MoodleSession(http, { username: "admin", password: PASSWORD, totpKey: "key" in opts ? opts.key : KEY }, (m) => logs.push(m), () => ledger);
  return { s, sent, logs, fake, paths: () => sent.map((r) => `${r.method} ${r.path}`) };
}

const ok = (file: string): Answer => ({ status: 200, body: guarded(file) });
const to = (location: string): Answer => ({ status: 303, location });
/** The password accepted (g02) and the testsession hop sent to the MFA page (g03). */
const passwordThenMfa: Answer[] = [ok("g01-mfa-login-get.html"), to("/login/index.php?testsession=2"), to("/admin/tool/mfa/auth.php")];
const TOTP_PAGE = ok("g06-mfa-auth-factorname-totp-lang-en.html");
const code = (step: number) => totpCode(decodeBase32Key(KEY), step);

describe("logging in with a second factor (TOTP key configured)", () => {
  it("answers the MFA page: asks for the TOTP form by name in English, posts the form's fields with the current step's code, and is logged in", async () => {
    const t = scripted([...passwordThenMfa, TOTP_PAGE, to("/my/")]);
    await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
    expect(t.paths()).toEqual([
      `GET ${MANUAL_LOGIN_PATH}`,
      "POST /login/index.php",
      "GET /login/index.php?testsession=2",
      "GET /admin/tool/mfa/auth.php?factorname=totp&lang=en",
      "POST /admin/tool/mfa/auth.php",
    ]);
    const form = t.sent[4].form as Record<string, string>;
    expect(form).toEqual({
      factor: "totp",
      sesskey: expect.stringMatching(/^\w{10}$/),
      _qf__tool_mfa_local_form_login_form: "1",
      verificationcode: code(59880152),
    });
    expect(t.sent[4].idempotent).toBe(false);
    expect(t.fake.claims).toEqual([{ minStep: 0, step: 59880152 }]);
    expect(t.logs.join("\n")).toMatch(/passed multi-factor authentication/);
  });

  it("without MFA on the site, the testsession hop goes elsewhere and nothing more is asked", async () => {
    const t = scripted([ok("g01-mfa-login-get.html"), to("/login/index.php?testsession=2"), to("/my/")]);
    await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
    expect(t.paths()).toHaveLength(3);
    expect(t.fake.claims).toEqual([]);
  });

  it("a code refused as already used (another machine, same admin) is retried once, two steps on, after saying it waits", async () => {
    const t = scripted([...passwordThenMfa, TOTP_PAGE, ok("g16-mfa2-post-code-already-used.html"), to("/my/")]);
    await expect(t.s.ensure()).resolves.toEqual({ userId: 2 });
    expect(t.fake.claims).toEqual([
      { minStep: 0, step: 59880152 },
      { minStep: 59880154, step: 59880154 },
    ]);
    const posts = t.sent.filter((r) => r.method === "POST" && r.path.startsWith("/admin/tool/mfa"));
    expect(posts.map((p) => (p.form as Record<string, string>).verificationcode)).toEqual([code(59880152), code(59880154)]);
    // The retry posts the sesskey of the page Moodle answered with.
    expect((posts[1].form as Record<string, string>).sesskey).toMatch(/^\w{10}$/);
    expect(t.logs.join("\n")).toMatch(/already used .*trying once more/);
    expect(t.logs.join("\n")).toMatch(/^waiting 60 s for a TOTP period/m);
  });

  it("a second 'already used' ends the login with a message about concurrent runs", async () => {
    const used = ok("g16-mfa2-post-code-already-used.html");
    const t = scripted([...passwordThenMfa, TOTP_PAGE, used, used]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toMatch(/again as already used .*other runs are logging in as this admin/);
    expect(t.sent.filter((r) => r.method === "POST")).toHaveLength(3);
  });

  it("no retry after 'already used' when only one attempt is left (it would lock the factor)", async () => {
    const used = guarded("g16-mfa2-post-code-already-used.html").replace("You have 9 attempts left", "You have 1 attempts left");
    const t = scripted([...passwordThenMfa, TOTP_PAGE, { status: 200, body: used }]);
    await expect(t.s.ensure()).rejects.toBeInstanceOf(MoodleMfaError);
    expect(t.fake.claims).toHaveLength(1);
  });

  it("a wrong key: one attempt, then an error naming moodle:adminTotpSecret; the key is remembered as refused; no second try in the run", async () => {
    const t = scripted([...passwordThenMfa, TOTP_PAGE, ok("g08-mfa-post-wrong-code.html")]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err).toBeInstanceOf(MoodleLoginError);
    expect(err.message).toMatch(/refused the code made from moodle:adminTotpSecret \("Incorrect verification code\. You have 9 attempts left\."\)/);
    expect(t.fake.refusals).toEqual(["Incorrect verification code. You have 9 attempts left."]);
    await expect(t.s.ensure()).rejects.toBe(err);
    expect(t.sent.filter((r) => r.method === "POST" && r.path.startsWith("/admin/tool/mfa"))).toHaveLength(1);
    expect(err.message).not.toContain("JBSW");
  });

  it("a key this machine saw refused before is not tried at all", async () => {
    const refused = fakeLedger({ refused: "Incorrect verification code." });
    const t = scripted([...passwordThenMfa, TOTP_PAGE], { ledger: refused.ledger });
    const err = await t.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toMatch(/refused this moodle:adminTotpSecret earlier \("Incorrect verification code\."\); it is not tried again before 2026-12-04T19:00:00.000Z .*remove the folder totp-ledger/);
    expect(t.sent.filter((r) => r.method === "POST" && r.path.startsWith("/admin/tool/mfa"))).toHaveLength(0);
  });

  it("a code refused as too old or too new is a clock problem, said so, without a retry", async () => {
    for (const file of ["g17-mfa2-post-old-code.html", "g18-mfa2-post-future-code.html"]) {
      const t = scripted([...passwordThenMfa, TOTP_PAGE, ok(file)]);
      const err = await t.s.ensure().catch((e) => e);
      expect(err.message).toMatch(/clock and Moodle's differ .*synchronise the clocks/);
      expect(t.fake.refusals).toEqual([]);
    }
  });

  it("a locked factor (\"Unable to authenticate\") is reported as locked, with how an admin resets it, whether shown at once or after the code", async () => {
    const atOnce = scripted([...passwordThenMfa, ok("g31-mfa4-auth-get-locked.html")]);
    const err = await atOnce.s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toMatch(/Unable to authenticate.*locked .*Reset user authentication factors/);
    expect(atOnce.fake.claims).toEqual([]);
    const afterCode = scripted([...passwordThenMfa, TOTP_PAGE, ok("g25-mfa3-post-wrong-3-locked.html")]);
    await expect(afterCode.s.ensure()).rejects.toThrow(/locked after too many refused codes/);
  });

  it("a factor it cannot answer (email) is named, with what works unattended; no code is sent", async () => {
    const t = scripted([...passwordThenMfa, ok("g37-mfa5-email-auth-get.html")]);
    const err = await t.s.ensure().catch((e) => e);
    expect(err.message).toMatch(/asks the admin for its "email" factor, which this client cannot answer/);
    expect(err.message).toMatch(/IP range factor .*admin account reserved for automation/);
    expect(t.fake.claims).toEqual([]);
  });

  it("an accepted code followed by the MFA page again (weights below 100) asks for what works", async () => {
    const t = scripted([...passwordThenMfa, TOTP_PAGE, to("/admin/tool/mfa/auth.php")]);
    await expect(t.s.ensure()).rejects.toThrow(/asks for a further factor/);
  });

  it("ticks off \"Trust this device\" when the form offers it", async () => {
    const withTrust = guarded("g06-mfa-auth-factorname-totp-lang-en.html").replace(
      'name="verificationcode"',
      'name="verificationcode"><input type="hidden" name="factor_token_trust" value="0"><input type="checkbox" name="factor_token_trust" value="1" checked',
    );
    const t = scripted([...passwordThenMfa, { status: 200, body: withTrust }, to("/my/")]);
    await t.s.ensure();
    expect((t.sent[4].form as Record<string, string>).factor_token_trust).toBe("0");
  });

  it("a key that is not Base32 is an error naming the key, before any code is sent", async () => {
    const t = scripted([...passwordThenMfa], { key: "not-base32!" });
    await expect(t.s.ensure()).rejects.toThrow(/moodle:adminTotpSecret: the TOTP key is not Base32/);
  });
});

describe("logging in where Moodle asks for a second factor and no key is configured", () => {
  it("the first page's redirect to the MFA page is an error that says what to configure and what works", async () => {
    const t = scripted([ok("g01-mfa-login-get.html"), to("/login/index.php?testsession=2"), to("/admin/tool/mfa/auth.php")], { key: undefined });
    await t.s.ensure();
    const err = await t.s.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" }).catch((e) => e);
    expect(err).toBeInstanceOf(MoodleForcedPageError);
    expect(err.message).toMatch(/asks the admin for a second factor .*no moodle:adminTotpSecret is set; what works unattended/);
    expect(forcedPageFor("/admin/tool/mfa/auth.php")).toBe("multi-factor authentication");
  });
});
