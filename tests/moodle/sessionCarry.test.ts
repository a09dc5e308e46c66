// The logged-in session handed from one process of a run to the next: taken while it stands (idle and
// total limits), only with the same credentials and run, unreadable without them; and a session that
// takes one over logs in no more, or once when Moodle no longer knows it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CARRY_IDLE_MS, CARRY_MAX_MS, fileSessionCarry, type CarriedSession, type CarryIdentity } from "../../moodle/sessionCarry";
import { MoodleHttp, type HttpRequest } from "../../moodle/http";
import { MoodleSession, PAGE_MEMO_MS } from "../../moodle/session";
import { MANUAL_LOGIN_PATH } from "../../moodle/login";
import { page } from "./fixtures";
import { MoodleAccountLockedError, MoodleLoginError, MoodleMfaError, MoodleTransportError } from "../../moodle/errors";

// scrypt costs tens of milliseconds a call: how many a process spends is counted.
let mockScryptCalls = 0;
jest.mock("crypto", () => {
  const real = jest.requireActual("crypto");
  return { ...real, scryptSync: (...args: unknown[]) => (mockScryptCalls++, real.scryptSync(...args)) };
});

const ID = { url: "https://moodle.example.com", username: "admin", password: "S3cret-Pass!", totpKey: "JBSWY3DPEHPK3PXP" };
const SESSION: CarriedSession = { cookies: { version: "tough-cookie@6", cookies: [] }, userId: 2, sesskey: "AbCdEf1234" };

let dir: string;
let now: number;
const carry = (identity: CarryIdentity = ID, scope = "run-1") => fileSessionCarry(identity, scope, { dir, now: () => now });
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-sessions-"));
  now = Date.now();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("fileSessionCarry", () => {
  it("hands the kept session to the run's next process", () => {
    carry().keep(SESSION);
    expect(carry().take()).toEqual(SESSION);
  });

  it("costs one key derivation per process for its name and its key together", () => {
    const before = mockScryptCalls;
    const mine = carry();
    mine.keep(SESSION);
    expect(mine.take()).toEqual(SESSION);
    expect(mockScryptCalls - before).toBe(1);
  });

  it.each([
    ["another run", { scope: "run-2" }],
    ["another site", { identity: { ...ID, url: "https://other.example.com" } }],
    ["another admin", { identity: { ...ID, username: "robot" } }],
    ["another password", { identity: { ...ID, password: "Rotated-1" } }],
    ["another TOTP key", { identity: { ...ID, totpKey: "KRUGS4ZANFZSAYJA" } }],
  ])("is not handed to %s", (_what, other: any) => {
    carry().keep(SESSION);
    expect(carry(other.identity ?? ID, other.scope ?? "run-1").take()).toBeUndefined();
  });

  it("matches the site however its URL ends and the admin's name however it is cased", () => {
    carry().keep(SESSION);
    expect(carry({ ...ID, url: `${ID.url}/`, username: "Admin" }).take()).toEqual(SESSION);
    // ... and the TOTP key however it was typed (Moodle shows it in groups of four).
    expect(carry({ ...ID, totpKey: "jbsw y3dp ehpk 3pxp" }).take()).toEqual(SESSION);
  });

  it("stands CARRY_IDLE_MS after its last use, each use restarting that time, and CARRY_MAX_MS in all", () => {
    carry().keep(SESSION);
    now += CARRY_IDLE_MS - 1000;
    expect(carry().take()).toEqual(SESSION);
    now += CARRY_IDLE_MS - 1000;
    expect(carry().take()).toEqual(SESSION);
    now += CARRY_IDLE_MS + 1000;
    expect(carry().take()).toBeUndefined();
    carry().keep(SESSION);
    for (let used = 0; used < CARRY_MAX_MS; used += CARRY_IDLE_MS / 2) {
      now += CARRY_IDLE_MS / 2;
      if (used + CARRY_IDLE_MS / 2 <= CARRY_MAX_MS) expect(carry().take()).toEqual(SESSION);
    }
    now += CARRY_IDLE_MS / 2;
    expect(carry().take()).toBeUndefined();
  });

  it("still stands, and is not swept, at exactly CARRY_IDLE_MS after its last use", () => {
    now = 1_900_000_000_000;
    carry().keep(SESSION);
    now += CARRY_IDLE_MS;
    // Another stack's keep sweeps the folder at this very moment: ours is not yet expired.
    carry(ID, "run-2").keep(SESSION);
    expect(carry().take()).toEqual(SESSION);
  });

  it("lives in the sessions folder of the project's cache by default", () => {
    const saved = process.env.MOODLE_PERCIPIO_CACHE;
    const cache = path.join(dir, "cache");
    process.env.MOODLE_PERCIPIO_CACHE = cache;
    try {
      fileSessionCarry(ID, "run-1").keep(SESSION);
      expect(fs.readdirSync(path.join(cache, "sessions")).filter((f) => f.endsWith(".session"))).toHaveLength(1);
      expect(fileSessionCarry(ID, "run-1").take()).toEqual(SESSION);
    } finally {
      if (saved === undefined) delete process.env.MOODLE_PERCIPIO_CACHE;
      else process.env.MOODLE_PERCIPIO_CACHE = saved;
    }
  });

  it("a session without its user is no session", () => {
    carry().keep({ ...SESSION, userId: undefined as unknown as number });
    expect(carry().take()).toBeUndefined();
  });

  it("is not handed between admins whose names differ beyond case (straße and strasse are two Moodle users)", () => {
    carry({ ...ID, username: "straße" }).keep(SESSION);
    expect(carry({ ...ID, username: "strasse" }).take()).toBeUndefined();
    expect(carry({ ...ID, username: "STRASSE" }).take()).toBeUndefined();
    expect(carry({ ...ID, username: "Straße" }).take()).toEqual(SESSION);
  });

  it("an admin without a second factor is the same whether the TOTP key is absent or empty", () => {
    carry({ url: ID.url, username: ID.username, password: ID.password }).keep(SESSION);
    expect(carry({ ...ID, totpKey: "" }).take()).toEqual(SESSION);
  });

  it("a session file put in the place of another admin's is not handed to that admin: its content is sealed under the credentials", () => {
    const sessions = () => fs.readdirSync(dir).filter((f) => f.endsWith(".session"));
    carry().keep(SESSION);
    const [ours] = sessions();
    const other = { ...ID, username: "robot", password: "Robot-Pass-2" };
    carry(other).keep({ ...SESSION, userId: 3 });
    const [theirs] = sessions().filter((f) => f !== ours);
    fs.copyFileSync(path.join(dir, ours), path.join(dir, theirs));
    expect(carry(other).take()).toBeUndefined();
  });

  it("waits for another process's login however long it takes within a TOTP period or two, rather than taking its turn", async () => {
    carry().keep(SESSION);
    const [file] = fs.readdirSync(dir).filter((f) => f.endsWith(".session"));
    const lock = path.join(dir, `${file}.lock`);
    const started = 1_900_000_000_000;
    fs.writeFileSync(lock, "12345");
    fs.utimesSync(lock, new Date(started), new Date(started));
    // Another process began its login a minute ago: it may be waiting for the next TOTP step.
    jest.spyOn(Date, "now").mockReturnValue(started + 60_000);
    try {
      let ran = false;
      const ours = carry().inTurn(async () => (ran = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(ran).toBe(false);
      expect(fs.existsSync(lock)).toBe(true);
      fs.rmSync(lock);
      await expect(ours).resolves.toBe(true);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it("keeping a session sweeps the sessions nobody can take any more, and only session files", () => {
    carry(ID, "run-old").keep(SESSION);
    fs.writeFileSync(path.join(dir, "notes.txt"), "");
    const before = fs.readdirSync(dir).filter((f) => f.endsWith(".session"));
    now += CARRY_IDLE_MS / 2;
    carry(ID, "run-young").keep(SESSION);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".session"))).toHaveLength(before.length + 1);
    now += CARRY_IDLE_MS / 2 + 1000;
    carry(ID, "run-new").keep(SESSION);
    const left = fs.readdirSync(dir);
    expect(left).toContain("notes.txt");
    for (const f of before) expect(left).not.toContain(f);
    expect(carry(ID, "run-young").take()).toEqual(SESSION);
    expect(carry(ID, "run-new").take()).toEqual(SESSION);
  });

  it("keeps nothing readable (no cookie, sesskey, site, user or password) in a file only its owner reads", () => {
    carry().keep({ ...SESSION, cookies: { cookies: [{ key: "MoodleSession", value: "v3ryS3cretSessionId" }] } });
    const names = fs.readdirSync(dir);
    const all = names.join(" ") + names.map((n) => fs.readFileSync(path.join(dir, n)).toString("latin1")).join(" ");
    for (const secret of ["v3ryS3cretSessionId", SESSION.sesskey!, "moodle.example.com", ID.password]) expect(all).not.toContain(secret);
    for (const n of names) expect(fs.statSync(path.join(dir, n)).mode & 0o077).toBe(0);
  });

  it("a damaged file is no session", () => {
    carry().keep(SESSION);
    for (const n of fs.readdirSync(dir).filter((x) => x.endsWith(".session"))) fs.writeFileSync(path.join(dir, n), "garbage");
    expect(carry().take()).toBeUndefined();
  });

  it("lets the run's processes log in one at a time", async () => {
    const order: string[] = [];
    const login = (name: string) => async () => {
      order.push(`${name} starts`);
      await new Promise((r) => setTimeout(r, 30));
      order.push(`${name} ends`);
    };
    await Promise.all([carry().inTurn(login("a")), carry().inTurn(login("b"))]);
    expect(order).toEqual(["a starts", "a ends", "b starts", "b ends"]);
  });

  it("hands a refused login to the run's later processes for CARRY_MAX_MS, to no other run or admin, unreadable", () => {
    const REFUSED = { kind: "locked" as const, step: "log in", path: "/login/index.php", detail: 'Moodle said "Invalid login" for user "admin"' };
    expect(carry().refusal()).toBeUndefined();
    carry().refuse(REFUSED);
    expect(carry().refusal()).toEqual(REFUSED);
    expect(carry(ID, "run-2").refusal()).toBeUndefined();
    expect(carry({ ...ID, password: "Other-Pass-1" }).refusal()).toBeUndefined();
    expect(carry().take()).toBeUndefined();
    for (const n of fs.readdirSync(dir)) {
      expect(fs.readFileSync(path.join(dir, n)).toString("latin1")).not.toContain("Invalid login");
      expect(fs.statSync(path.join(dir, n)).mode & 0o077).toBe(0);
    }
    now += CARRY_MAX_MS;
    expect(carry().refusal()).toEqual(REFUSED);
    now += 1;
    expect(carry().refusal()).toBeUndefined();
  });

  it("sweeps refused logins with the sessions once nobody can take them", () => {
    carry(ID, "run-old").refuse({ kind: "password", step: "log in", path: "/login/index.php", detail: "no" });
    const [refused] = fs.readdirSync(dir);
    expect(refused).toMatch(/\.session\.refused$/);
    now += CARRY_IDLE_MS + 1;
    fs.utimesSync(path.join(dir, refused), new Date(now - CARRY_IDLE_MS - 1), new Date(now - CARRY_IDLE_MS - 1));
    carry(ID, "run-new").keep(SESSION);
    expect(fs.readdirSync(dir)).not.toContain(refused);
  });

  it("without a private folder keeps and hands over nothing, and logins still run", async () => {
    const file = path.join(dir, "not-a-folder");
    fs.writeFileSync(file, "");
    const none = fileSessionCarry(ID, "run-1", { dir: file });
    none.keep(SESSION);
    none.refuse({ kind: "password", step: "log in", path: "/login/index.php", detail: "no" });
    expect(none.refusal()).toBeUndefined();
    expect(none.take()).toBeUndefined();
    await expect(none.inTurn(async () => 42)).resolves.toBe(42);
  });
});

describe("a session that takes over the run's session", () => {
  const SITE = "https://m.example.com/moodle";
  const LOGIN_FORM = page("5.0", "a1-login-get.html");
  const ADMIN_PAGE = page("5.0", "b1-optionalsubsystems.html");

  function scripted(answers: { status: number; body?: string; location?: string }[]) {
    const http = new MoodleHttp({ url: SITE, retries: 0 });
    const sent: string[] = [];
    http.request = async (req: HttpRequest) => {
      sent.push(`${req.method} ${req.path}`);
      const next = answers.shift();
      if (!next) throw new Error(`unexpected ${req.method} ${req.path}`);
      const url = http.absolute(req.path);
      return { headers: {}, body: "", url, ...next, location: next.location ? new URL(next.location, url).toString() : undefined };
    };
    return { http, sent };
  }

  it("reads its first page without logging in, and keeps the session for the next process", async () => {
    const first = scripted([{ status: 200, body: LOGIN_FORM }, { status: 303, location: "/moodle/login/index.php?testsession=2" }, { status: 200, body: ADMIN_PAGE }]);
    const a = new MoodleSession(first.http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    await a.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" });
    expect(first.sent).toEqual([`GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /admin/settings.php?section=optionalsubsystems"]);

    const second = scripted([{ status: 200, body: ADMIN_PAGE }]);
    const logs: string[] = [];
    const b = new MoodleSession(second.http, { username: "admin", password: "pw" }, (m) => logs.push(m), undefined, carry({ ...ID, url: SITE }));
    const state = await b.ensure();
    expect(state).toMatchObject({ userId: 2, sesskey: expect.any(String) });
    await b.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" });
    expect(second.sent).toEqual(["GET /admin/settings.php?section=optionalsubsystems"]);
    expect(logs.join("\n")).toMatch(/using the session this run logged in with \(user id 2\): no login/);
  });

  it("logs in once when Moodle no longer knows the carried session, and hands the new one on", async () => {
    carry({ ...ID, url: SITE }).keep({ ...SESSION, cookies: new MoodleHttp({ url: SITE }).exportCookies() });
    const t = scripted([
      { status: 303, location: "/moodle/login/index.php" },
      { status: 200, body: LOGIN_FORM },
      { status: 303, location: "/moodle/login/index.php?testsession=2" },
      { status: 200, body: ADMIN_PAGE },
    ]);
    const s = new MoodleSession(t.http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    await s.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" });
    expect(t.sent).toEqual(["GET /admin/settings.php?section=optionalsubsystems", `GET ${MANUAL_LOGIN_PATH}`, "POST /login/index.php", "GET /admin/settings.php?section=optionalsubsystems"]);
    expect(carry({ ...ID, url: SITE }).take()).toMatchObject({ userId: 2, sesskey: expect.any(String) });
  });
  it("a login Moodle refused is not tried again by the run's later processes: they fail with the same error, sending nothing", async () => {
    const REFUSED_PAGE = page("5.0", "a3-login-bad-follow.html");
    const first = scripted([{ status: 200, body: LOGIN_FORM }, { status: 303, location: "/moodle/login/index.php?loginredirect=1" }, { status: 200, body: REFUSED_PAGE }]);
    const a = new MoodleSession(first.http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    const refused = await a.ensure().catch((e) => e);
    expect(refused).toBeInstanceOf(MoodleLoginError);
    expect(refused).not.toBeInstanceOf(MoodleAccountLockedError);

    const second = scripted([]);
    const b = new MoodleSession(second.http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    const again = await b.request({ step: "read", path: "/admin/settings.php?section=optionalsubsystems" }).catch((e) => e);
    expect(again).toBeInstanceOf(MoodleLoginError);
    expect(again).not.toBeInstanceOf(MoodleAccountLockedError);
    expect(again).not.toBeInstanceOf(MoodleMfaError);
    expect(again.message).toBe(refused.message);
    expect(second.sent).toEqual([]);
    // Kept for the session's lifetime, as its own refusal would be.
    await expect(b.ensure()).rejects.toBe(again);
  });

  it.each([
    ["a locked account", new MoodleAccountLockedError("log in", "/login/index.php", "the account is locked"), MoodleAccountLockedError],
    ["a second factor not passed", new MoodleMfaError("log in", "/admin/tool/mfa/auth.php", "the code was refused"), MoodleMfaError],
  ])("%s is handed on as what it is", async (_what, error, kind) => {
    carry({ ...ID, url: SITE }).refuse({ kind: error instanceof MoodleAccountLockedError ? "locked" : "mfa", step: error.step, path: error.path, detail: error.detail });
    const s = new MoodleSession(scripted([]).http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    const err = await s.ensure().catch((e) => e);
    expect(err).toBeInstanceOf(kind);
    expect(err.message).toBe(error.message);
  });

  it("records each kind of refusal the run's later processes must not try again", async () => {
    const refusals: unknown[] = [];
    for (const [answers, kind] of [
      [[{ status: 200, body: LOGIN_FORM }, { status: 303, location: "/moodle/login/index.php?loginredirect=1" }, { status: 200, body: page("5.0", "a3-login-bad-follow.html") }], "password"],
      [[{ status: 200, body: LOGIN_FORM }, { status: 200, body: page("5.0", "a3-login-bad-follow.html") }], "locked"],
    ] as const) {
      const file = carry({ ...ID, url: SITE }, `run-${kind}`);
      const recording = { ...file, refuse: (r: Parameters<typeof file.refuse>[0]) => (refusals.push(r), file.refuse(r)) };
      await new MoodleSession(scripted([...answers]).http, { username: "admin", password: "pw" }, () => undefined, undefined, recording).ensure().catch(() => undefined);
    }
    expect(refusals).toEqual([
      expect.objectContaining({ kind: "password", step: "log in", path: "/login/index.php", detail: expect.stringContaining("Invalid login") }),
      expect.objectContaining({ kind: "locked", path: "/login/index.php" }),
    ]);
  });

  it("a login that fails for another reason (Moodle not answering) is no refusal: the next process tries", async () => {
    const refusals: unknown[] = [];
    const file = carry({ ...ID, url: SITE });
    const recording = { ...file, refuse: (r: Parameters<typeof file.refuse>[0]) => (refusals.push(r), file.refuse(r)) };
    const t = scripted([]);
    t.http.request = async () => {
      throw new MoodleTransportError("log in", MANUAL_LOGIN_PATH, "connect ECONNREFUSED", { code: "ECONNREFUSED" });
    };
    await expect(new MoodleSession(t.http, { username: "admin", password: "pw" }, () => undefined, undefined, recording).ensure()).rejects.toBeInstanceOf(MoodleTransportError);
    expect(refusals).toEqual([]);
    expect(file.refusal()).toBeUndefined();
  });

  describe("pages the run read", () => {
    const OPTIONAL = "/admin/settings.php?section=optionalsubsystems";
    const PROTOCOLS = "/admin/settings.php?section=webserviceprotocols";
    const session = (t: { http: MoodleHttp }) => new MoodleSession(t.http, { username: "admin", password: "pw" }, () => undefined, undefined, carry({ ...ID, url: SITE }));
    const write = (scope: string[]) => ({ step: "save", method: "POST" as const, path: OPTIONAL, form: () => ({}), invalidates: scope });
    beforeEach(() => jest.spyOn(Date, "now").mockImplementation(() => now));
    afterEach(() => jest.restoreAllMocks());

    async function previewPass(): Promise<void> {
      const t = scripted([{ status: 200, body: LOGIN_FORM }, { status: 303, location: "/moodle/login/index.php?testsession=2" }, { status: 200, body: ADMIN_PAGE }]);
      await session(t).request({ step: "read", path: OPTIONAL });
    }

    it("answer the next process's check right before a write, as its own would; plain reads still go to Moodle", async () => {
      await previewPass();
      now += PAGE_MEMO_MS - 1000;
      const t = scripted([{ status: 200, body: ADMIN_PAGE }]);
      const update = session(t);
      const checked = await update.request({ step: "check", path: OPTIONAL, reuse: true });
      expect(checked.body).toBe(ADMIN_PAGE);
      expect(t.sent).toEqual([]);
      await update.request({ step: "read", path: OPTIONAL });
      expect(t.sent).toEqual([`GET ${OPTIONAL}`]);
    });

    it("are not taken PAGE_MEMO_MS after their read", async () => {
      await previewPass();
      now += PAGE_MEMO_MS + 1;
      const t = scripted([{ status: 200, body: ADMIN_PAGE }]);
      await session(t).request({ step: "check", path: OPTIONAL, reuse: true });
      expect(t.sent).toEqual([`GET ${OPTIONAL}`]);
    });

    it("a write forgets the pages it can change for the run's later processes, and only those", async () => {
      await previewPass();
      const t = scripted([{ status: 200, body: ADMIN_PAGE }, { status: 303, location: `/moodle${PROTOCOLS}` }, { status: 303, location: `/moodle${OPTIONAL}` }]);
      const update = session(t);
      await update.request({ step: "read", path: PROTOCOLS });
      await update.request(write([PROTOCOLS]));
      const later = scripted([]);
      await session(later).request({ step: "check", path: OPTIONAL, reuse: true });
      expect(later.sent).toEqual([]);
      await update.request(write([OPTIONAL]));
      const last = scripted([{ status: 200, body: ADMIN_PAGE }]);
      await session(last).request({ step: "check", path: OPTIONAL, reuse: true });
      expect(last.sent).toEqual([`GET ${OPTIONAL}`]);
    });

    it("hold each page's HTML once, and the next process gets the page whole", async () => {
      const kept: string[] = [];
      const file = carry({ ...ID, url: SITE });
      const counting = { ...file, keep: (c: CarriedSession) => (kept.push(JSON.stringify(c)), file.keep(c)) };
      const t = scripted([{ status: 200, body: LOGIN_FORM }, { status: 303, location: "/moodle/login/index.php?testsession=2" }, { status: 200, body: ADMIN_PAGE }]);
      await new MoodleSession(t.http, { username: "admin", password: "pw" }, () => undefined, undefined, counting).request({ step: "read", path: OPTIONAL });
      const html = JSON.stringify(ADMIN_PAGE).slice(1, -1);
      expect(kept.at(-1)!.split(html)).toHaveLength(2);
      const taken = await session(scripted([])).request({ step: "check", path: OPTIONAL, reuse: true });
      expect(taken.body).toBe(ADMIN_PAGE);
      expect(taken.response.body).toBe(ADMIN_PAGE);
      expect(taken.response.url).toBe(`${SITE}${OPTIONAL}`);
    });

    it("a write hands the run its pages once, without the pages it can change", async () => {
      await previewPass();
      const keeps: CarriedSession[] = [];
      const file = carry({ ...ID, url: SITE });
      const counting = { ...file, keep: (c: CarriedSession) => (keeps.push(c), file.keep(c)) };
      const t = scripted([{ status: 303, location: `/moodle${OPTIONAL}` }]);
      const update = new MoodleSession(t.http, { username: "admin", password: "pw" }, () => undefined, undefined, counting);
      await update.request({ step: "check", path: OPTIONAL, reuse: true });
      expect(keeps).toHaveLength(0);
      await update.request(write([OPTIONAL]));
      expect(keeps).toHaveLength(1);
      expect(keeps[0].pages).toEqual([]);
      // A write that could change none of the remembered pages hands nothing on.
      await update.request({ ...write([PROTOCOLS]) }).catch(() => undefined);
      expect(keeps).toHaveLength(1);
    });

    it("are forgotten when the session has to log in again", async () => {
      await previewPass();
      const t = scripted([
        { status: 303, location: "/moodle/login/index.php" },
        { status: 200, body: LOGIN_FORM },
        { status: 303, location: "/moodle/login/index.php?testsession=2" },
        { status: 200, body: ADMIN_PAGE },
        { status: 200, body: ADMIN_PAGE },
      ]);
      const update = session(t);
      await update.request({ step: "read", path: PROTOCOLS });
      await update.request({ step: "check", path: OPTIONAL, reuse: true });
      expect(t.sent.filter((x) => x === `GET ${OPTIONAL}`)).toHaveLength(1);
    });
  });
});
