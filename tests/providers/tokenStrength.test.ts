// What decides whether the token provider calls a token, which service and functions it proves it
// against, which row of Manage tokens speaks for it, and which same-named tokens it may replace or
// step over: against the Moodle double, a token's outcome (proven, drift, replaced, left alone) for
// the states and sites a real stack meets (older state, several same-named tokens, many tokens).
import { moodleTokenName, webServiceToken as token } from "../../providers/webServiceToken/provider";
import { acceptance, callable } from "../../providers/webServiceToken/acceptance";
import { MoodleClient } from "../../moodle/client";
import { MoodleTokenExistsError } from "../../moodle/errors";
import type { MoodleAdmin } from "../../moodle/api";
import { moodleFor } from "../../providers/shared/common";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { connectionTo, tokenInputsFor } from "./inputs";
import { newRun, useProviderDoubles, webServicesOn } from "./doubles";

let moodle: MoodleDouble;
useProviderDoubles((started) => ({ moodle } = started));
const state = () => moodle.control.state() as any;
const rest = () => moodle.control.requests().filter((r) => r.path.startsWith("/webservice/rest/"));
const FUNCTIONS = ["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"];
const DAY = 86_400_000;
const isoIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const unix = (iso: string) => Math.floor(Date.parse(`${iso}T00:00:00Z`) / 1000);
const percipio = () => state().services.find((s: any) => s.shortname === "Percipio-API");

const inputsWith = async (overrides: Record<string, unknown> = {}) => (await token.check!({}, { ...tokenInputsFor(moodle.url, overrides), acceptedByMoodle: "yes" })).inputs;

/** Every capability the service's functions declare, and the protocol: a user whose token Moodle accepts. */
const CAPS = ["webservice/rest:use", "moodle/category:manage", "moodle/course:create", "moodle/course:visibility", "moodle/course:update", "moodle/course:changecategory",
  "moodle/course:changeshortname", "moodle/course:changeidnumber", "moodle/site:config", "enrol/self:config", "moodle/grade:manage"];

/** jdoe (id 7), an ordinary user holding every capability the service needs through a role of their own. */
function ordinaryUser() {
  const admin = state().users.find((u: any) => u.id === 2);
  moodle.control.patchState({ roleCapabilities: { wsrole: Object.fromEntries(CAPS.map((c) => [c, "allow"])) } });
  moodle.control.patchState({
    users: [...state().users.filter((u: any) => u.id !== 7), { ...admin, id: 7, username: "jdoe", email: "jdoe@example.com", siteAdmin: false, roleAssignments: [{ role: "wsrole" }] }],
  });
}

/** A token someone else made (or a run that died), with the double's defaults for what the case does not set. */
function addTokens(...tokens: Record<string, unknown>[]) {
  let id = 900;
  const made = tokens.map((t) => ({
    id: id++,
    token: "f".repeat(29) + String(id).padStart(3, "0"),
    userId: 2,
    serviceId: percipio().id,
    iprestriction: "",
    validuntil: 0,
    lastaccess: 0,
    creatorId: 2,
    timecreated: Math.floor(Date.now() / 1000) - 86_400,
    ...t,
  }));
  moodle.control.patchState({ tokens: [...state().tokens, ...made] });
}
const used = () => Math.floor(Date.now() / 1000) - 3600;
const tokenIds = () => state().tokens.map((t: any) => t.id).sort((a: number, b: number) => a - b);

beforeEach(() => webServicesOn(moodle));

describe("whether a token is called at all", () => {
  const ours = { name: "t", tokenUser: "admin", serviceShortname: "Percipio-API", ipRestriction: "", rotation: "1", adoptExisting: false, token: "a".repeat(32), adopted: false } as any;

  it.each([
    ["ours, with its value and no expiry", {}, true],
    ["ours, valid for two more days", { validUntil: isoIn(2) }, true],
    ["valid until tomorrow (Moodle deletes a token called after its valid-until)", { validUntil: isoIn(1) }, false],
    ["valid until today", { validUntil: isoIn(0) }, false],
    ["adopted, even with a value at hand", { adopted: true }, false],
    ["of a state that recorded an empty value", { token: "" }, false],
    ["of a state that recorded no value", { token: undefined }, false],
  ])("%s: %s", (_what, props, expected) => {
    expect(callable({ ...ours, ...props })).toBe(expected);
  });

  it("a token that cannot be called is not proven, and Moodle is not asked", async () => {
    const nobody = {} as MoodleAdmin; // any call would fail
    await expect(acceptance(nobody, { ...ours, adopted: true, token: "" }, FUNCTIONS)).resolves.toMatch(/^not proven: the token was adopted/);
    await expect(acceptance(nobody, { ...ours, validUntil: isoIn(1) }, FUNCTIONS)).resolves.toMatch(/^not proven: the token expires within a day/);
  });
});

describe("reading a token back", () => {
  it("of a state that recorded an empty functions list probes every function of the service", async () => {
    const created = await token.create!(await inputsWith());
    newRun();
    moodle.control.clearRequests();
    const read = await token.read!(created.id, { ...created.outs, functions: [] });
    expect(rest()).toHaveLength(3);
    expect(read.props).toMatchObject({ functions: FUNCTIONS, acceptedByMoodle: "yes" });
  });

  it("of a state without the service's id finds the service by its shortname for the functions", async () => {
    const created = await token.create!(await inputsWith());
    const { serviceId, functions, ...older } = created.outs;
    newRun();
    const read = await token.read!(created.id, older);
    expect(read.props).toMatchObject({ functions: FUNCTIONS, acceptedByMoodle: "yes" });
  });

  it("of a state without the service's id: a function taken out of the service is drift (the service's step does not repair it)", async () => {
    const created = await token.create!(await inputsWith());
    const { serviceId, ...older } = created.outs;
    moodle.control.patchState({ services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, functions: s.functions.filter((f: string) => f !== "percipio_image_upload") } : s)) });
    newRun();
    const read = await token.read!(created.id, older);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: Moodle refuses the token for percipio_image_upload/);
  });

  it("refused for its user's own reasons is drift even while its service is switched off", async () => {
    ordinaryUser();
    const created = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" }));
    moodle.control.patchState({
      users: state().users.map((u: any) => (u.id === 7 ? { ...u, suspended: true } : u)),
      services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)),
    });
    newRun();
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: .*suspended username: jdoe/);
  });

  it("of an ordinary user's token: the missing capabilities are those of its own row, not of a same-named token listed before it", async () => {
    ordinaryUser();
    const created = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com", validUntil: "2040-01-01" }));
    expect(created.outs.acceptedByMoodle).toBe("yes");
    // The admin's token of the same name never expires: Moodle lists it first, with nothing missing.
    addTokens({ name: created.outs.moodleName });
    moodle.control.patchState({ roleCapabilities: { wsrole: { "moodle/grade:manage": "inherit" } } });
    newRun();
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: the token's user "jdoe@example.com" lacks capabilities the service's functions check: moodle\/grade:manage /);
  });

  it("of an ordinary user's token Manage tokens does not list under the recorded name: the calls decide", async () => {
    ordinaryUser();
    const created = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" }));
    const { moodleName, ...older } = created.outs;
    newRun();
    const read = await token.read!(created.id, older);
    expect(read.props.acceptedByMoodle).toBe("yes");
  });

  it("of a state without an IP restriction: a refusal of the token itself blames no IP restriction", async () => {
    ordinaryUser();
    const created = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" }));
    moodle.control.patchState({ users: state().users.map((u: any) => (u.id === 7 ? { ...u, roleAssignments: [] } : u)) });
    const { ipRestriction, ...older } = created.outs;
    newRun();
    const read = await token.read!(created.id, older);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: .*webservice\/rest:use/);
    expect(read.props.acceptedByMoodle).not.toMatch(/IP restriction/);
  });

  it("of an adopted token (never called) records no acceptance in its inputs", async () => {
    addTokens({ name: "skillsoft" });
    const adopted = await token.create!(tokenInputsFor(moodle.url, { name: "skillsoft", adoptExisting: true }));
    newRun();
    const read = await token.read!(adopted.id, adopted.outs);
    expect(read.id).toBe(adopted.id);
    expect(read.inputs).not.toHaveProperty("acceptedByMoodle");
  });
});

describe("updating a token in place", () => {
  it("that Moodle accepted at the last read-back calls nothing, even if Moodle would refuse it now", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    moodle.control.patchState({ services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, functions: [] } : s)) });
    newRun();
    moodle.control.clearRequests();
    const updated = await token.update!(created.id, created.outs, { ...inputs, requestTimeoutSeconds: 20 });
    expect(rest()).toEqual([]);
    expect(updated.outs).toMatchObject({ acceptedByMoodle: "yes", requestTimeoutSeconds: 20 });
  });

  it("that was refused, and that the steps before it repaired since, is recorded accepted", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    newRun();
    const updated = await token.update!(created.id, { ...created.outs, acceptedByMoodle: "refused: the service is switched off" }, inputs);
    expect(updated.outs!.acceptedByMoodle).toBe("yes");
  });

  it("that was refused and now expires within a day is not called again", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    newRun();
    moodle.control.clearRequests();
    const olds = { ...created.outs, validUntil: isoIn(1), acceptedByMoodle: "refused: earlier" };
    const updated = await token.update!(created.id, olds, inputs);
    expect(rest()).toEqual([]);
    // What the inputs say: a token this close to its valid-until is never called (Moodle would delete it).
    expect(updated.outs!.acceptedByMoodle).toBe("yes");
  });
});

describe("creating a token", () => {
  it("right after the service's step read its service reads no service page again", async () => {
    const inputs = await inputsWith();
    await moodleFor(connectionTo(moodle.url) as any).findService({ shortname: "Percipio-API" });
    moodle.control.clearRequests();
    await token.create!(inputs);
    expect(moodle.control.requests().filter((r) => r.method === "GET" && r.path.startsWith("/admin/webservice/service.php"))).toEqual([]);
  });

  it("keeps the names earlier versions gave a fixed-date token (a re-run finds its token by name)", () => {
    expect(moodleTokenName(tokenInputsFor(moodle.url) as any)).toBe("percipio-unit-860409");
  });

  it("of a rolling validity, over its own unused token from an interrupted run: replaced under the same generation's name", async () => {
    const inputs = await inputsWith({ validDays: 30, renewBeforeDays: 7 });
    addTokens({ name: moodleTokenName(inputs), validuntil: unix(isoIn(30)) });
    const created = await token.create!(inputs);
    expect(created.outs.generation).toBe(0);
    expect(tokenIds()).toEqual([Number(created.id)]);
  });

  it("of a rolling validity on a site listing hundreds of other tokens (every app user has one)", async () => {
    addTokens(...Array.from({ length: 310 }, (_, i) => ({ name: `app-${i}`, serviceId: state().services.find((s: any) => s.shortname !== "Percipio-API").id })));
    const created = await token.create!(await inputsWith({ validDays: 30, renewBeforeDays: 7 }));
    expect(created.outs.generation).toBe(0);
  });

  it("steps over at most 20 dead predecessors' names", async () => {
    const today = isoIn(0);
    const inputs = await inputsWith({ validUntil: today });
    const dead = (n: number) => Array.from({ length: n }, (_, g) => ({ name: moodleTokenName({ ...inputs, generation: g }), validuntil: unix(today), lastaccess: used() }));
    addTokens(...dead(20));
    const created = await token.create!(inputs);
    expect(created.outs.generation).toBe(20);

    moodle.control.reset();
    webServicesOn(moodle);
    newRun();
    addTokens(...dead(21));
    await expect(token.create!(inputs)).rejects.toThrow("Moodle has expired tokens under the next 20 names of 'percipio-unit'");
  });

  it("stops, deleting nothing, when only one of two same-named tokens is its own from an interrupted run", async () => {
    const inputs = await inputsWith({ validUntil: "2040-01-01" });
    addTokens({ name: moodleTokenName(inputs), validuntil: unix("2040-01-01") }, { name: moodleTokenName(inputs), validuntil: unix("2040-01-01"), lastaccess: used() });
    await expect(token.create!(inputs)).rejects.toThrow(/cannot prove it made/);
    expect(tokenIds()).toEqual([900, 901]);
  });

  it("stops when only one of two same-named tokens is dead", async () => {
    const today = isoIn(0);
    const inputs = await inputsWith({ validUntil: today });
    addTokens({ name: moodleTokenName(inputs), validuntil: unix(today), lastaccess: used() }, { name: moodleTokenName(inputs), validuntil: unix("2040-01-01"), lastaccess: used() });
    await expect(token.create!(inputs)).rejects.toThrow(/cannot prove it made/);
    expect(tokenIds()).toEqual([900, 901]);
  });

  it("stops, deleting nothing, over an unused same-named token whose user the list does not link", async () => {
    const inputs = await inputsWith({ validUntil: "2040-01-01" });
    addTokens({ name: moodleTokenName(inputs), validuntil: unix("2040-01-01"), userId: 999 });
    await expect(token.create!(inputs)).rejects.toThrow(/cannot prove it made/);
    expect(tokenIds()).toEqual([900]);
  });

  it("stops, deleting nothing, over an unused same-named token whose valid-until the page shows in a form it cannot read", async () => {
    const inputs = await inputsWith();
    addTokens({ name: moodleTokenName(inputs) });
    const real = MoodleClient.prototype.createToken;
    jest.spyOn(MoodleClient.prototype, "createToken").mockImplementation(async function (this: MoodleClient, request) {
      try {
        return await real.call(this, request);
      } catch (e) {
        if (!(e instanceof MoodleTokenExistsError)) throw e;
        throw new MoodleTokenExistsError("create", "/admin/webservice/tokens.php", e.detail, e.tokenIds, e.rows.map((r) => ({ ...r, validUntil: undefined })));
      }
    });
    await expect(token.create!(inputs)).rejects.toThrow(/cannot prove it made/);
    expect(tokenIds()).toEqual([900]);
  });
});

describe("adopting a hand-made token", () => {
  const adopt = () => tokenInputsFor(moodle.url, { name: "skillsoft", adoptExisting: true });

  it("without an expiry records an empty valid-until and no issue time (this stack did not issue it)", async () => {
    addTokens({ name: "skillsoft" });
    const adopted = await token.create!(adopt());
    expect(adopted.outs).toMatchObject({ validUntil: "", issuedAt: "", adopted: true });
  });

  it("whose user the list does not link: its name and service decide", async () => {
    addTokens({ name: "skillsoft", userId: 999 });
    const adopted = await token.create!(adopt());
    expect(adopted.id).toBe("900");
  });

  it("whose valid-until the page shows in a form it cannot read is refused (it would record a wrong expiry)", async () => {
    addTokens({ name: "skillsoft", validuntil: unix("2040-01-01") });
    const real = MoodleClient.prototype.findTokens;
    jest.spyOn(MoodleClient.prototype, "findTokens").mockImplementation(async function (this: MoodleClient, query) {
      return (await real.call(this, query)).map((r) => ({ ...r, validUntil: undefined }));
    });
    await expect(token.create!(adopt())).rejects.toThrow(/valid-until this project cannot read from the page/);
  });
});
