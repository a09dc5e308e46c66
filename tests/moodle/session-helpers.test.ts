// The small modules on top of the session: reading the Moodle version, finding a user by username or
// email, the token-page mutex, and the errors and redaction every message goes through. The session is
// a scripted stand-in here: these modules only ask it for pages.
import { readVersion, assertSupported } from "../../moodle/version";
import { userIdFor } from "../../moodle/users";
import { Mutex } from "../../moodle/lock";
import { redact, registerSecret } from "../../moodle/redact";
import {
  MoodleError,
  MoodleForcedPageError,
  MoodleRestError,
  MoodleTokenExistsError,
  MoodleTransportError,
  MoodleUnsupportedVersionError,
  MoodleValidationError,
  stripQuery,
} from "../../moodle/errors";
import type { MoodleSession } from "../../moodle/session";
import { page } from "./fixtures";

interface Call {
  step: string;
  path: string;
  method?: string;
  json?: unknown;
  idempotent?: boolean;
}

/** A session that answers requests from a script, one answer per call, and records them. */
function scriptedSession(answers: Array<{ status: number; body: string }>, username = "admin") {
  const calls: Call[] = [];
  let relogins = 0;
  const session = {
    username,
    ensure: async () => ({ userId: 2, sesskey: "SESSKEY123" }),
    forceRelogin: async () => {
      relogins++;
      return { userId: 2, sesskey: "NEWKEY4567" };
    },
    request: async (req: { step: string; path: string | ((s: string) => string); method?: string; json?: unknown; idempotent?: boolean }) => {
      const path = typeof req.path === "function" ? req.path(relogins ? "NEWKEY4567" : "SESSKEY123") : req.path;
      calls.push({ step: req.step, path, method: req.method, json: req.json, idempotent: req.idempotent });
      const next = answers.shift();
      if (!next) throw new Error(`unexpected request ${path}`);
      return { ...next, url: `https://m.example.com${path}`, headers: {} };
    },
  };
  return { session: session as unknown as MoodleSession, calls, relogins: () => relogins };
}

describe("reading the Moodle version", () => {
  test("from the protocols page footer, one request", async () => {
    const s = scriptedSession([{ status: 200, body: page("5.0", "c1-webserviceprotocols.html") }]);
    await expect(readVersion(s.session)).resolves.toEqual({ release: "5.0.6+ (Build: 20260403)", major: 5, minor: 0 });
    expect(s.calls.map((c) => c.path)).toEqual(["/admin/settings.php?section=webserviceprotocols"]);
  });

  test("falls back to admin/index.php when the first page has no release or is not a 200", async () => {
    const noRelease = scriptedSession([
      { status: 200, body: "<html><footer>nothing</footer></html>" },
      { status: 200, body: page("5.0", "h1-admin-index.html") },
    ]);
    await expect(readVersion(noRelease.session)).resolves.toMatchObject({ major: 5, minor: 0 });
    expect(noRelease.calls.map((c) => c.path)).toEqual(["/admin/settings.php?section=webserviceprotocols", "/admin/index.php"]);
    const notOk = scriptedSession([
      { status: 404, body: page("5.0", "c1-webserviceprotocols.html") },
      { status: 200, body: page("5.0", "h1-admin-index.html") },
    ]);
    await expect(readVersion(notOk.session)).resolves.toMatchObject({ release: "5.0.6+ (Build: 20260403)" });
    expect(notOk.calls).toHaveLength(2);
  });

  test("neither page shows it: a clear error", async () => {
    const s = scriptedSession([
      { status: 200, body: "<html></html>" },
      { status: 500, body: page("5.0", "h1-admin-index.html") },
    ]);
    await expect(readVersion(s.session)).rejects.toThrow(
      "read the Moodle version failed at /admin/settings.php: the Moodle release is not shown on the admin pages",
    );
  });

  test.each([
    [4, 5, true],
    [4, 6, true],
    [5, 0, true],
    [4, 4, false],
    [4, 3, false],
    [4, 2, false],
    [3, 11, false],
  ])("%i.%i supported: %s", (major, minor, ok) => {
    const check = () => assertSupported({ release: `${major}.${minor} (Build: 1)`, major, minor });
    if (ok) expect(check).not.toThrow();
    else expect(check).toThrow(MoodleUnsupportedVersionError);
  });

  test("4.3 and 4.4 get the token-list reason; 4.2 and older the name-field reason; the release is kept", () => {
    const err = (major: number, minor: number) => {
      try {
        assertSupported({ release: `${major}.${minor}`, major, minor });
      } catch (e) {
        return e as MoodleUnsupportedVersionError;
      }
      throw new Error("accepted");
    };
    expect(err(4, 3).message).toBe(
      "check the Moodle version failed at /admin/settings.php: Moodle 4.3 is not supported: before 4.5 the token list is the older table (not the report builder list this client reads). Supported: 4.5 and 5.x",
    );
    expect(err(4, 2).message).toContain("Moodle 4.2 is not supported: before 4.3 the token form has no name field");
    expect(err(4, 2).release).toBe("4.2");
  });
});

describe("finding a user", () => {
  const found = (list: unknown[]) => ({ status: 200, body: JSON.stringify([{ error: false, data: { list } }]) });
  const user = (id: number, username: string, email: string) => ({
    id,
    fullname: `User ${id}`,
    extrafields: [
      { name: "username", value: username },
      { name: "email", value: email },
    ],
  });

  test("the admin itself (any case) needs no search", async () => {
    const s = scriptedSession([], "Admin");
    await expect(userIdFor(s.session, "ADMIN")).resolves.toBe(2);
    expect(s.calls).toEqual([]);
  });

  test("exact username or email (any case) among loose matches; the search is an idempotent AJAX call", async () => {
    const s = scriptedSession([found([user(7, "percipio2", "p2@example.com"), user(8, "percipio", "svc@example.com")])]);
    await expect(userIdFor(s.session, "Percipio")).resolves.toBe(8);
    expect(s.calls).toEqual([
      {
        step: 'find user "Percipio"',
        method: "POST",
        path: "/lib/ajax/service.php?sesskey=SESSKEY123&info=core_user_search_identity",
        json: [{ index: 0, methodname: "core_user_search_identity", args: { query: "Percipio" } }],
        idempotent: true,
      },
    ]);
    const byEmail = scriptedSession([found([user(7, "p", "p@example.com"), user(9, "q", "SVC@example.com")])]);
    await expect(userIdFor(byEmail.session, "svc@example.com")).resolves.toBe(9);
  });

  test("other identity fields that happen to equal the name do not count", async () => {
    const s = scriptedSession([found([{ id: 5, fullname: "x", extrafields: [{ name: "idnumber", value: "svc" }] }, { id: 6, fullname: "svc" }])]);
    await expect(userIdFor(s.session, "svc")).rejects.toThrow(
      'find user "svc" failed at /lib/ajax/service.php: no user with username or email "svc" (the search shows usernames only when "Show user identity" includes username; the email address always works)',
    );
  });

  test("the recorded search answer of real Moodle finds nobody by a name it does not show", async () => {
    const s = scriptedSession([{ status: 200, body: page("5.0", "e15-ajax-user-search.json") }]);
    await expect(userIdFor(s.session, "no-such-user-xyz")).rejects.toThrow(/no user with username or email/);
  });

  test("two exact matches are ambiguous, with their ids", async () => {
    const s = scriptedSession([found([user(3, "a", "dup@example.com"), user(4, "b", "dup@example.com")])]);
    await expect(userIdFor(s.session, "dup@example.com")).rejects.toThrow('2 users match "dup@example.com" exactly (ids 3, 4)');
  });

  test("a lost session or sesskey: one fresh login and the search again with the new sesskey", async () => {
    for (const code of ["invalidsesskey", "servicerequireslogin", "requireloginerror"]) {
      const s = scriptedSession([
        { status: 200, body: JSON.stringify([{ error: true, exception: { errorcode: code, message: "Session gone" } }]) },
        found([user(8, "svc", "svc@example.com")]),
      ]);
      await expect(userIdFor(s.session, "svc")).resolves.toBe(8);
      expect(s.relogins()).toBe(1);
      expect(s.calls[1].path).toContain("sesskey=NEWKEY4567");
    }
  });

  test("lost twice: Moodle's words, no loop", async () => {
    const lost = { status: 200, body: JSON.stringify([{ error: true, exception: { errorcode: "invalidsesskey", message: "Invalid sesskey" } }]) };
    const s = scriptedSession([lost, lost]);
    await expect(userIdFor(s.session, "svc")).rejects.toThrow('find user "svc" failed at /lib/ajax/service.php: Moodle said "Invalid sesskey"');
    expect(s.relogins()).toBe(1);
  });

  test("another error is not retried; without a message the code is shown, without either 'error'", async () => {
    const s = scriptedSession([{ status: 200, body: JSON.stringify([{ error: true, exception: { errorcode: "nopermissions" } }]) }]);
    await expect(userIdFor(s.session, "svc")).rejects.toThrow('Moodle said "nopermissions"');
    expect(s.relogins()).toBe(0);
    const bare = scriptedSession([{ status: 200, body: JSON.stringify([{ error: true }]) }]);
    await expect(userIdFor(bare.session, "svc")).rejects.toThrow('Moodle said "error"');
  });

  test("answers that are not JSON or empty", async () => {
    await expect(userIdFor(scriptedSession([{ status: 500, body: "<html>" }]).session, "svc")).rejects.toThrow(
      'find user "svc" failed at /lib/ajax/service.php: not JSON (HTTP 500)',
    );
    await expect(userIdFor(scriptedSession([{ status: 200, body: "[]" }]).session, "svc")).rejects.toThrow("empty answer");
    await expect(userIdFor(scriptedSession([{ status: 200, body: "{}" }]).session, "svc")).rejects.toThrow("empty answer");
    await expect(userIdFor(scriptedSession([{ status: 200, body: JSON.stringify([{ error: false }]) }]).session, "svc")).rejects.toThrow("no user with");
  });
});

describe("the token-page mutex", () => {
  test("runs one job at a time, in order, and passes results through", async () => {
    const m = new Mutex();
    const events: string[] = [];
    const job = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([m.run(job("a", 30)), m.run(job("b", 1)), m.run(job("c", 1))]);
    expect(results).toEqual(["a", "b", "c"]);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  test("a failed job rejects its caller and does not block the next", async () => {
    const m = new Mutex();
    const failed = m.run(async () => {
      throw new Error("boom");
    });
    const next = m.run(async () => "next");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("next");
  });
});

describe("errors", () => {
  test("name, step, path without query, and a detail with secrets redacted", () => {
    const e = new MoodleError("save settings", "/admin/settings.php?section=x&sesskey=AbCdEfGhIj#frag", "sesskey=AbCdEfGhIj rejected");
    expect(e.name).toBe("MoodleError");
    expect(e.step).toBe("save settings");
    expect(e.path).toBe("/admin/settings.php");
    expect(e.detail).toBe("sesskey=[REDACTED] rejected");
    expect(e.message).toBe("save settings failed at /admin/settings.php: sesskey=[REDACTED] rejected");
    expect(new MoodleError("connect", "", "x").message).toBe("connect failed at /: x");
    expect(new MoodleTransportError("a", "/b", "c").name).toBe("MoodleTransportError");
  });

  test("validation errors list every field with its messages", () => {
    const e = new MoodleValidationError("save", "/admin/settings.php", { clientid: ["This value is not valid", "Too long"], scope: ["Bad"] });
    expect(e.message).toBe("save failed at /admin/settings.php: Moodle rejected settings (clientid: This value is not valid; Too long, scope: Bad)");
    expect(e.fields.scope).toEqual(["Bad"]);
    expect(new MoodleValidationError("save", "/p", { a: ["b"] }, "Some settings were not changed").message).toBe(
      "save failed at /p: Some settings were not changed (a: b)",
    );
  });

  test("typed details are kept for callers", () => {
    expect(new MoodleTokenExistsError("create", "/t", "exists", [4, 5]).tokenIds).toEqual([4, 5]);
    expect(new MoodleForcedPageError("login", "/login", "/login/change_password.php", "change it").page).toBe("/login/change_password.php");
    const rest = new MoodleRestError("call f", "/ws", { exception: "e", errorcode: "c", message: "m" });
    expect(rest.message).toBe("call f failed at /ws: c: m");
    expect(rest.debuginfo).toBeUndefined();
    const t = new MoodleTransportError("s", "/p", "d", { status: 503, code: "X" });
    expect([t.status, t.code]).toEqual([503, "X"]);
  });

  test("stripQuery cuts at the first ? or #", () => {
    expect(stripQuery("/a.php#x?y")).toBe("/a.php");
    expect(stripQuery("/a.php?x#y")).toBe("/a.php");
    expect(stripQuery("/a.php")).toBe("/a.php");
  });
});

describe("redaction", () => {
  test("registered secrets of 4+ characters are hidden wherever they appear; shorter ones are not registered", () => {
    registerSecret("Pw-9!xyz");
    registerSecret("abc");
    registerSecret("Qz7#");
    registerSecret(undefined);
    registerSecret("");
    expect(redact("login with Pw-9!xyz failed; Pw-9!xyz again")).toBe("login with [REDACTED] failed; [REDACTED] again");
    expect(redact("abc stays, Qz7# goes")).toBe("abc stays, [REDACTED] goes");
  });

  test("key=value and JSON forms of every secret key, case-insensitive, up to the next separator", () => {
    expect(redact("a?wstoken=x1&b=2 TOKEN: y2, Password='z3' privatetoken=p4;LOGINTOKEN=l5}")).toBe(
      "a?wstoken=[REDACTED]&b=2 TOKEN: [REDACTED], Password='[REDACTED]' privatetoken=[REDACTED];LOGINTOKEN=[REDACTED]}",
    );
    expect(redact('{"sesskey": "k1", "other": "v"}')).toBe('{"sesskey": "[REDACTED]", "other": "v"}');
    expect(redact("mytoken=abc")).toBe("mytoken=abc");
  });

  test("session cookies and 32-hex values (any case), but not longer hex strings", () => {
    expect(redact("MoodleSession=abc; MoodleSessiontest=def; MOODLEID1_=ghi; MOODLEID_x=jkl; other=mno")).toBe(
      "MoodleSession=[REDACTED]; MoodleSessiontest=[REDACTED]; MOODLEID1_=[REDACTED]; MOODLEID_x=[REDACTED]; other=mno",
    );
    expect(redact("t 0123456789ABCDEF0123456789abcdef.")).toBe("t [REDACTED-TOKEN].");
    const longer = "0123456789abcdef0123456789abcdef0";
    expect(redact(longer)).toBe(longer);
  });
});
