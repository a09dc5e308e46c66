// Which of several tokens in Moodle is this stack's: a site holds tokens of other users, services,
// IP restrictions and dates, often with similar names, and the token provider must act only on the
// one it made (or was told to adopt). Called directly against the Moodle double.
import { webServicesOn } from "./doubles";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { moodleTokenName, renewalDue, webServiceToken as token } from "../../providers/webServiceToken/provider";
import { tokenInputsFor } from "./inputs";

let moodle: MoodleDouble;
const state = () => moodle.control.state() as any;
const tokenInputs = (overrides: Record<string, unknown> = {}) => tokenInputsFor(moodle.url, overrides);
const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);
const percipioServiceId = () => state().services.find((s: any) => s.shortname === "Percipio-API").id;
const mobileServiceId = () => state().services.find((s: any) => s.shortname !== "Percipio-API").id;
/** A token someone else made, with the double's defaults for what the case does not set. */
const handMade = (fields: Record<string, unknown>) => ({
  token: "f".repeat(31) + String(state().tokens.length),
  userId: 2,
  serviceId: percipioServiceId(),
  iprestriction: "",
  validuntil: 0,
  lastaccess: 0,
  creatorId: 2,
  timecreated: now() - DAY,
  ...fields,
});
function addTokens(...tokens: Record<string, unknown>[]) {
  let id = 900;
  moodle.control.patchState({ tokens: [...state().tokens, ...tokens.map((t) => handMade({ id: id++, ...t }))] });
  clearClientCache();
}

beforeAll(async () => {
  moodle = await startMoodleDouble({ control: true });
  // A second user, so a token can belong to someone else.
  moodle.control.patchState({ users: [...state().users, { ...state().users.find((u: any) => u.id === 2), id: 7, username: "manager", email: "m@example.com", siteAdmin: false }] });
});
afterAll(() => moodle.stop());
beforeEach(() => {
  moodle.control.reset();
  moodle.control.patchState({ users: [...state().users.filter((u: any) => u.id !== 7), { ...state().users.find((u: any) => u.id === 2), id: 7, username: "manager", email: "m@example.com", siteAdmin: false }] });
  clearClientCache();
});

describe("a same-named token found at create", () => {
  beforeEach(() => webServicesOn(moodle));
  const inputs = async () => (await token.check!({}, tokenInputs({ ipRestriction: "10.0.0.0/8", validUntil: "2040-01-01" }))).inputs;
  const ourName = async () => moodleTokenName(await inputs());
  const attributes = async () => ({ name: await ourName(), iprestriction: "10.0.0.0/8", validuntil: Math.floor(Date.parse("2040-01-01T00:00:00Z") / 1000) });

  it("with exactly our attributes and never used is ours from an interrupted run: replaced, and only it", async () => {
    addTokens(await attributes(), { name: "someone-elses", lastaccess: now() });
    const created = await token.create(await inputs());
    expect(state().tokens.map((t: any) => t.id).sort((a: number, b: number) => a - b)).toEqual([Number(created.id), 901]);
  });

  it("used and dead since the start of today (fixed date) is a predecessor: the next generation's name is taken", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const fixed = (await token.check!({}, tokenInputs({ validUntil: today }))).inputs;
    addTokens({ name: moodleTokenName(fixed), validuntil: Math.floor(Date.parse(`${today}T00:00:00Z`) / 1000), lastaccess: now() });
    const created = await token.create(fixed);
    expect(created.outs.generation).toBe(1);
    expect(created.outs.moodleName).toBe(moodleTokenName({ ...fixed, generation: 1 }));
  });

  it("used and valid until tomorrow is alive and not ours: the run stops", async () => {
    const tomorrow = new Date(Date.now() + DAY * 1000).toISOString().slice(0, 10);
    const fixed = (await token.check!({}, tokenInputs({ validUntil: tomorrow }))).inputs;
    addTokens({ name: moodleTokenName(fixed), validuntil: Math.floor(Date.parse(`${tomorrow}T00:00:00Z`) / 1000), lastaccess: now() });
    await expect(token.create(fixed)).rejects.toThrow(/cannot prove it made/);
  });

  it.each([
    ["another service", async () => ({ serviceId: mobileServiceId() })],
    ["another user", async () => ({ userId: 7 })],
    ["another IP restriction", async () => ({ iprestriction: "192.168.0.0/16" })],
    ["another valid-until", async () => ({ validuntil: Math.floor(Date.parse("2039-01-01T00:00:00Z") / 1000) })],
  ])("with %s is not ours: left alone", async (_what, differing) => {
    addTokens({ ...(await attributes()), ...(await differing()) });
    const before = state().tokens.map((t: any) => t.id);
    const outcome = await token.create(await inputs()).then(
      (created) => ({ created }),
      (error: Error) => ({ error }),
    );
    // Either it is refused, or (when Moodle does not call it a clash: another user or service) a
    // token of ours is made beside it; the other token is never deleted.
    expect(state().tokens.map((t: any) => t.id)).toEqual(expect.arrayContaining(before));
    if ("error" in outcome) expect(outcome.error.message).toMatch(/cannot prove it made/);
  });
});

describe("adopting a hand-made token", () => {
  beforeEach(() => webServicesOn(moodle));
  const adopt = (overrides: Record<string, unknown> = {}) => tokenInputs({ name: "skillsoft", adoptExisting: true, ...overrides });

  it("takes the one of the configured user on the configured service, whatever others share its name", async () => {
    addTokens({ name: "skillsoft", serviceId: mobileServiceId() }, { name: "skillsoft", userId: 7 }, { name: "skillsoft" }, { name: "skillsoft-2" });
    const adopted = await token.create(adopt());
    expect(adopted.id).toBe("902");
    expect(adopted.outs).toMatchObject({ adopted: true, token: "", moodleName: "skillsoft" });
  });

  it("refuses when two of the user's tokens on the service share the name", async () => {
    addTokens({ name: "skillsoft" }, { name: "skillsoft" });
    await expect(token.create(adopt())).rejects.toThrow("Moodle has 2 tokens named 'skillsoft'");
  });

  it("refuses when the only one belongs to another user", async () => {
    addTokens({ name: "skillsoft", userId: 7 });
    await expect(token.create(adopt())).rejects.toThrow("Moodle has 0 tokens named 'skillsoft'");
  });
});

describe("read and delete act on the token with the recorded id only", () => {
  beforeEach(() => webServicesOn(moodle));
  it("read finds it among others, reports it gone once deleted, and delete leaves the others", async () => {
    const created = await token.create((await token.check!({}, tokenInputs())).inputs);
    addTokens({ name: created.outs.moodleName, userId: 7 }, { name: "other" });
    const read = await token.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    expect(read.props.moodleName).toBe(created.outs.moodleName);

    await token.delete!(created.id, created.outs);
    expect(state().tokens.map((t: any) => t.id).sort()).toEqual([900, 901]);
    expect(await token.read!(created.id, created.outs)).toEqual({ id: "", props: {} });
  });

  it("read concludes 'gone' only from Moodle's 'no such record': a failed page read is an error, never a deleted token", async () => {
    const created = await token.create((await token.check!({}, tokenInputs())).inputs);
    // A token expiring within a day is looked up on its page (calling it could make Moodle delete it).
    const expiring = { ...created.outs, validUntil: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) };
    moodle.control.injectFault({ method: "GET", path: "/admin/webservice/tokens.php", kind: "error-page", times: 10 });
    await expect(token.read!(created.id, expiring)).rejects.toThrow(/cannot tell whether token \d+ exists: Moodle said "Error reading from database"/);
    moodle.control.clearFaults();
    expect(await token.read!(created.id, expiring)).toMatchObject({ id: created.id });
    // The same id on another page of Moodle's answer: only the confirmation form for exactly this id counts.
    moodle.control.patchState({ tokens: [] });
    expect(await token.read!(created.id, expiring)).toEqual({ id: "", props: {} });
  });

  it("read of a callable token concludes 'gone' only from Moodle's 'invalidtoken': a failed call is an error, never a deleted token", async () => {
    const created = await token.create((await token.check!({}, tokenInputs())).inputs);
    moodle.control.injectFault({ method: "POST", path: "/webservice/rest/server.php", kind: "status", status: 503, times: 10 });
    await expect(token.read!(created.id, created.outs)).rejects.toThrow(/HTTP 503/);
    moodle.control.clearFaults();
    expect(await token.read!(created.id, created.outs)).toMatchObject({ id: created.id });
    moodle.control.patchState({ tokens: [] });
    expect(await token.read!(created.id, created.outs)).toEqual({ id: "", props: {} });
  });

  it("delete of a token someone already deleted ends at Moodle's 'no such record' for its id: one request, nothing else touched", async () => {
    const created = await token.create((await token.check!({}, tokenInputs())).inputs);
    moodle.control.patchState({ tokens: [] });
    addTokens({ name: "other" });
    moodle.control.clearRequests();
    await token.delete!(created.id, created.outs);
    const sent = moodle.control.requests().filter((r) => !r.path.startsWith("/login/") && r.path !== "/my/");
    expect(sent.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(["POST /admin/webservice/tokens.php 404"]);
    expect(state().tokens.map((t: any) => t.id)).toEqual([900]);
  });

  it("an adopted token is never deleted", async () => {
    addTokens({ name: "skillsoft" });
    const adopted = await token.create(tokenInputs({ name: "skillsoft", adoptExisting: true }));
    await token.delete!(adopted.id, adopted.outs);
    expect(state().tokens.map((t: any) => t.id)).toEqual([900]);
  });
});

describe("the name's fingerprint", () => {
  it("changes with each identifying input, and with the generation and rolling validity", () => {
    const base = tokenInputs();
    const names = [
      base,
      { ...base, tokenUser: "manager" },
      { ...base, serviceShortname: "Other-API" },
      { ...base, ipRestriction: "10.0.0.1" },
      { ...base, validUntil: "2040-01-01" },
      { ...base, rotation: "2" },
      { ...base, generation: 1 },
      { ...base, validDays: 90 },
      { ...base, validDays: 60 },
    ].map(moodleTokenName);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^percipio-unit-[0-9a-f]{6}$/);
    expect(moodleTokenName({ ...base, generation: 0 })).toBe(names[0]);
    expect(moodleTokenName({ ...base, adoptExisting: true })).toBe("percipio-unit");
  });
});

describe("when a rolling token is due for renewal", () => {
  beforeEach(() => webServicesOn(moodle));
  const day = (offset: number) => new Date(Date.now() + offset * DAY * 1000).toISOString().slice(0, 10);
  const rolling = { validDays: 90, renewBeforeDays: 10 };

  it("from renewBeforeDays before its valid-until day (14 when unset), not a day earlier", () => {
    expect(renewalDue(day(10), rolling)).toBe(true);
    expect(renewalDue(day(11), rolling)).toBe(false);
    expect(renewalDue(day(-3), rolling)).toBe(true);
    expect(renewalDue(day(14), { validDays: 90 })).toBe(true);
    expect(renewalDue(day(15), { validDays: 90 })).toBe(false);
  });

  it("never for a fixed date, an adopted token, or a token without a valid-until", () => {
    expect(renewalDue(day(1), { validDays: 0, renewBeforeDays: 10 })).toBe(false);
    expect(renewalDue(day(1), { ...rolling, adoptExisting: true })).toBe(false);
    expect(renewalDue("", rolling)).toBe(false);
    expect(renewalDue(undefined, rolling)).toBe(false);
  });
});
