// Answering Moodle's MFA page (moodle/mfa.ts) directly, on pages recorded from the real 5.0.6+
// (tests/fixtures/moodle-5.0-guarded): the code is RFC 6238's for the configured key, a step this
// machine already spent is never sent again, only a redirect counts as passing, and every refusal is
// a MoodleMfaError that names moodle:adminTotpSecret without ever showing the key. HTTP is scripted;
// the machine's code ledger is the real file ledger in a temporary folder, on a fake clock.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleHttp } from "../../moodle/http";
import { answerTotp, MFA_PATH } from "../../moodle/mfa";
import { MoodleMfaError } from "../../moodle/errors";
import { fileCodeLedger, RefusedKeyError, type CodeLedger } from "../../moodle/codeLedger";
import { stepStart } from "../../moodle/totp";
import { guarded } from "./fixtures";
import { scriptedHttp } from "../support/scriptedHttp";

const SITE = "http://127.0.0.1:8450";
/** RFC 6238 Appendix B's SHA-1 seed, the ASCII "12345678901234567890", in Base32 as Moodle shows a key. */
const RFC_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const KEY = "JBSW Y3DP EHPK 3PXP";

type Answer = { status: number; body?: string; location?: string };

const TOTP_PAGE: Answer = { status: 200, body: guarded("g06-mfa-auth-factorname-totp-lang-en.html") };
const WRONG: Answer = { status: 200, body: guarded("g08-mfa-post-wrong-code.html") };
const to = (location: string, status = 303): Answer => ({ status, location });

function scripted(answers: Answer[]) {
  const { http, sent } = scriptedHttp(SITE, answers);
  const posts = () => sent.filter((r) => r.method === "POST").map((r) => r.form as Record<string, string>);
  return { http, sent, posts };
}

/** A ledger that hands out the given steps in turn and records what it was told. */
function steps(...given: number[]) {
  const claims: number[] = [];
  const refusals: string[] = [];
  const ledger: CodeLedger = {
    async claimStep(minStep) {
      const step = Math.max(minStep, given.shift() ?? minStep);
      claims.push(step);
      return step;
    },
    async refuseKey(reason) {
      refusals.push(reason);
    },
  };
  return { ledger, claims, refusals };
}

function answer(http: MoodleHttp, key: string, ledger: CodeLedger) {
  const logs: string[] = [];
  return { logs, done: answerTotp(http, { key, ledger, log: (m) => logs.push(m) }) };
}

describe("the code sent for the second factor", () => {
  // RFC 6238 Appendix B (SHA-1): the 8-digit values' last 6 digits, which is what a 6-digit TOTP shows.
  it.each([
    [59, "287082"],
    [1111111109, "081804"],
    [1234567890, "005924"],
    [2000000000, "279037"],
  ])("at Unix time %i is RFC 6238's %s for the configured key", async (unixTime, expected) => {
    const t = scripted([TOTP_PAGE, to("/my/")]);
    const l = steps(Math.floor(unixTime / 30));
    await answer(t.http, RFC_KEY, l.ledger).done;
    expect(t.posts()).toHaveLength(1);
    expect(t.posts()[0].verificationcode).toBe(expected);
  });

  it("the key may be typed as Moodle shows it, lower-case, spaced and padded: the same code", async () => {
    const a = scripted([TOTP_PAGE, to("/my/")]);
    await answer(a.http, "gezd gnbv gy3t qojq gezd gnbv gy3t qojq====", steps(37037036).ledger).done;
    expect(a.posts()[0].verificationcode).toBe("081804");
  });
});

describe("a step this machine already spent is not sent again", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mfa-strength-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The machine's file ledger on a clock that sleeping moves on. */
  function machineLedger(clock: { now: number }, key = KEY) {
    return fileCodeLedger(SITE, "admin", key, {
      dir,
      now: () => clock.now,
      sleep: async (ms) => {
        clock.now += ms;
      },
    });
  }

  it("a second login in the same period waits for the next period and sends that period's code", async () => {
    const period = 59880152;
    const clock = { now: stepStart(period) * 1000 + 1000 };
    const first = scripted([TOTP_PAGE, to("/my/")]);
    const a = answer(first.http, RFC_KEY, machineLedger(clock, RFC_KEY));
    await a.done;
    const second = scripted([TOTP_PAGE, to("/my/")]);
    const b = answer(second.http, RFC_KEY, machineLedger(clock, RFC_KEY));
    await b.done;
    const [sentFirst] = first.posts();
    const [sentSecond] = second.posts();
    expect(sentSecond.verificationcode).not.toBe(sentFirst.verificationcode);
    // The next period starts 29 s after the first submission; Moodle would refuse the first code again.
    expect(b.logs).toContain("waiting 29 s for a TOTP period no run on this machine has used (Moodle refuses a code twice)");
    expect(a.logs.join("\n")).not.toMatch(/waiting/);
    expect(clock.now).toBeGreaterThanOrEqual(stepStart(period + 1) * 1000);
  });

  it("a key Moodle refused is not tried again from this machine, by any later login; another key is", async () => {
    const clock = { now: Date.parse("2026-12-04T18:00:05Z") };
    const refused = scripted([TOTP_PAGE, WRONG]);
    await expect(answer(refused.http, KEY, machineLedger(clock)).done).rejects.toThrow(/refused the code made from moodle:adminTotpSecret/);
    clock.now += 60_000;
    const again = scripted([TOTP_PAGE]);
    const err = await answer(again.http, KEY, machineLedger(clock)).done.catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toContain('Moodle refused this moodle:adminTotpSecret earlier ("Incorrect verification code. You have 9 attempts left.")');
    expect(err.message).toContain("it is not tried again before 2026-12-04T19:00:05.000Z");
    expect(again.posts()).toEqual([]);
    const other = scripted([TOTP_PAGE, to("/my/")]);
    await answer(other.http, RFC_KEY, machineLedger(clock, RFC_KEY)).done;
    expect(other.posts()).toHaveLength(1);
  });
});

describe("refusals name moodle:adminTotpSecret and never show the key", () => {
  it("a key refused earlier says to put the key shown at set-up in moodle:adminTotpSecret, and why it is not retried", async () => {
    const t = scripted([TOTP_PAGE]);
    const ledger: CodeLedger = {
      claimStep: async () => {
        throw new RefusedKeyError("Incorrect verification code.", Date.parse("2026-12-04T19:00:00Z"));
      },
      refuseKey: async () => undefined,
    };
    const err = await answer(t.http, KEY, ledger).done.catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toContain("tool_mfa's lockout, which only an admin can undo");
    expect(err.message).toContain("Put the key shown when the admin's authenticator app was set up in moodle:adminTotpSecret");
    expect(err.message).not.toContain("JBSW");
  });

  it("an empty or non-Base32 key is refused before Moodle is asked anything, naming the stack key only", async () => {
    for (const [key, why] of [
      ["   ", "the TOTP key is empty"],
      ["JBSWY3DPEHPK3PX1", "the TOTP key is not Base32"],
    ]) {
      const t = scripted([]);
      const err = await answer(t.http, key, steps().ledger).done.catch((e) => e);
      expect(err).toBeInstanceOf(MoodleMfaError);
      expect(err.message).toContain(`moodle:adminTotpSecret: ${why}`);
      expect(err.message).not.toContain("JBSWY3DPEHPK3PX1");
      expect(t.sent).toEqual([]);
    }
  });

  it("a ledger failure other than a refused key is passed on as it is", async () => {
    const t = scripted([TOTP_PAGE]);
    const broken = new Error("disk full");
    const ledger: CodeLedger = { claimStep: async () => Promise.reject(broken), refuseKey: async () => undefined };
    await expect(answer(t.http, KEY, ledger).done).rejects.toBe(broken);
  });

  it("the form shown again without a message is a refused code: the key is remembered as refused, with the HTTP status", async () => {
    const form = guarded("g06-mfa-auth-factorname-totp-lang-en.html");
    const t = scripted([TOTP_PAGE, { status: 200, body: form }]);
    const l = steps(59880152);
    const err = await answer(t.http, KEY, l.ledger).done.catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(l.refusals).toEqual(["HTTP 200 without a message"]);
    expect(err.message).toContain('Moodle refused the code made from moodle:adminTotpSecret ("HTTP 200 without a message")');
    expect(t.posts()).toHaveLength(1);
  });

  it("a form that names no factor is a factor it cannot answer, called unknown; no code is sent", async () => {
    const noFactor = guarded("g06-mfa-auth-factorname-totp-lang-en.html").replace('<input name="factor" type="alphaext" value="totp" />', "");
    const t = scripted([{ status: 200, body: noFactor }]);
    const l = steps(59880152);
    const err = await answer(t.http, KEY, l.ledger).done.catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toContain('Moodle asks the admin for its "unknown" factor');
    expect(l.claims).toEqual([]);
    expect(t.posts()).toEqual([]);
  });
});

describe("what each answer of Moodle means", () => {
  it.each([300, 302, 303, 307])("the MFA page redirecting (HTTP %i) means nothing is left to pass: no step is spent, no code sent", async (status) => {
    // Recorded: once the factor is passed, auth.php sends the admin on (g11, HTTP 303 to the site root).
    const t = scripted([to("http://127.0.0.1:8450/", status)]);
    const l = steps(59880152);
    await answer(t.http, KEY, l.ledger).done;
    expect(t.sent.map((r) => `${r.method} ${r.path}`)).toEqual([`GET ${MFA_PATH}?factorname=totp&lang=en`]);
    expect(l.claims).toEqual([]);
  });

  it("an error page (HTTP 400) instead of the MFA form is not taken as passed", async () => {
    const t = scripted([{ status: 400, body: "<html><body><p>Bad request</p></body></html>" }]);
    const l = steps(59880152);
    await expect(answer(t.http, KEY, l.ledger).done).rejects.toThrow(MoodleMfaError);
    expect(l.claims).toEqual([]);
  });

  it.each([300, 302, 303, 307])("a redirect (HTTP %i) after the code, away from the MFA page, is a passed factor", async (status) => {
    const t = scripted([TOTP_PAGE, to("/my/", status)]);
    const a = answer(t.http, KEY, steps(59880152).ledger);
    await a.done;
    expect(a.logs).toContain("passed multi-factor authentication with the authenticator-app (TOTP) code");
  });

  it.each([200, 400])("a refusal page (HTTP %i) is read as a refusal even when it carries a Location header", async (status) => {
    const t = scripted([TOTP_PAGE, { ...WRONG, status, location: "/my/" }]);
    const l = steps(59880152);
    const a = answer(t.http, KEY, l.ledger);
    const err = await a.done.catch((e) => e);
    expect(err).toBeInstanceOf(MoodleMfaError);
    expect(err.message).toContain('refused the code made from moodle:adminTotpSecret ("Incorrect verification code. You have 9 attempts left.")');
    expect(l.refusals).toEqual(["Incorrect verification code. You have 9 attempts left."]);
    expect(a.logs.join("\n")).not.toMatch(/passed multi-factor/);
  });

  it("a redirect without a Location after the code is not taken as passed", async () => {
    const t = scripted([TOTP_PAGE, { status: 303 }]);
    const a = answer(t.http, KEY, steps(59880152).ledger);
    await expect(a.done).rejects.toThrow(/Unable to authenticate/);
    expect(a.logs.join("\n")).not.toMatch(/passed multi-factor/);
  });

  it("unticks \"Trust this device\" also when the form has the checkbox alone (no hidden default)", async () => {
    const checkboxOnly = guarded("g06-mfa-auth-factorname-totp-lang-en.html").replace(
      'name="verificationcode"',
      'name="verificationcode"><input type="checkbox" name="factor_token_trust" value="1" checked',
    );
    const t = scripted([{ status: 200, body: checkboxOnly }, to("/my/")]);
    await answer(t.http, KEY, steps(59880152).ledger).done;
    expect(t.posts()[0].factor_token_trust).toBe("0");
  });

  it("a form without \"Trust this device\" posts no such field", async () => {
    const t = scripted([TOTP_PAGE, to("/my/")]);
    await answer(t.http, KEY, steps(59880152).ledger).done;
    expect(Object.keys(t.posts()[0]).sort()).toEqual(["_qf__tool_mfa_local_form_login_form", "factor", "sesskey", "verificationcode"]);
  });
});
