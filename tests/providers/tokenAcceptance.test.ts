// The token acceptance resource against the Moodle double (which answers REST calls in Moodle 5.0.6's
// order): created only once Moodle accepts the token for every function of its service; a refusal
// found on read-back is drift with its reason; `up` calls again and fails with what is left to change.
import { token } from "../../providers/implementations/token";
import { tokenAcceptance, TokenRefusedError } from "../../providers/implementations/tokenAcceptance";
import { clearClientCache } from "../../moodle/client";
import type { MoodleDouble } from "../../moodle-double";
import { connectionTo, tokenInputsFor } from "./inputs";
import { useProviderDoubles, webServicesOn } from "./doubles";

let moodle: MoodleDouble;
useProviderDoubles((started) => ({ moodle } = started));
const state = () => moodle.control.state() as any;
const rest = () => moodle.control.requests().filter((r) => r.path.startsWith("/webservice/rest/"));

/** A second, ordinary user (no role: no webservice/rest:use, no course capabilities). */
function addUser(extra: Record<string, unknown> = {}) {
  const admin = state().users.find((u: any) => u.id === 2);
  moodle.control.patchState({ users: [...state().users, { ...admin, id: 7, username: "jdoe", email: "jdoe@example.com", siteAdmin: false, ...extra }] });
}

async function madeToken(overrides: Record<string, unknown> = {}) {
  const created = await token.create!((await token.check!({}, tokenInputsFor(moodle.url, overrides))).inputs);
  return created.outs;
}

const acceptanceInputs = (t: Record<string, any>) => ({
  ...connectionTo(moodle.url),
  token: t.token,
  tokenId: t.tokenId,
  moodleName: t.moodleName,
  serviceShortname: t.serviceShortname,
  tokenUser: t.tokenUser,
  ipRestriction: t.ipRestriction,
  validUntil: t.validUntil,
  acceptedByMoodle: "yes",
});

beforeEach(() => webServicesOn(moodle));

describe("a token Moodle accepts", () => {
  it("is created after one call per function of the service, none of which runs the function", async () => {
    const t = await madeToken();
    moodle.control.clearRequests();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    expect(created.outs).toMatchObject({ acceptedByMoodle: "yes", functions: ["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"] });
    expect(rest()).toHaveLength(3);
    expect(rest().every((r) => r.status === 200)).toBe(true);
  });

  it("reads back as accepted with the same calls and no admin page", async () => {
    const t = await madeToken();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    clearClientCache();
    moodle.control.clearRequests();
    const read = await tokenAcceptance.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ acceptedByMoodle: "yes" });
    expect(moodle.control.requests().map((r) => r.path)).toEqual(["/webservice/rest/server.php", "/webservice/rest/server.php", "/webservice/rest/server.php"]);
    expect(await tokenAcceptance.diff!(created.id, read.props, acceptanceInputs(t))).toMatchObject({ changes: false });
  });
});

describe("a token Moodle refuses", () => {
  it("of an ordinary user (no webservice/rest:use): the create fails naming the user and the capability; the token stays recorded", async () => {
    addUser();
    const t = await madeToken({ tokenUser: "jdoe@example.com" });
    const err = await tokenAcceptance.create!({ ...acceptanceInputs(t), tokenUser: "jdoe@example.com" }).catch((e) => e);
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toMatch(/refuses the token '.*' for the service 'Percipio-API': Moodle refuses the token itself .*"jdoe@example.com" lacks the capability webservice\/rest:use/);
    expect(err.message).toMatch(/stays recorded in the stack but is not handed off as working/);
    expect(state().tokens.map((x: any) => x.id)).toEqual([t.tokenId]);
  });

  it("of a user with the protocol but without the functions' capabilities: the Missing capabilities Manage tokens shows", async () => {
    addUser();
    moodle.control.patchState({ roleCapabilities: { user: { "webservice/rest:use": "allow" } } });
    const t = await madeToken({ tokenUser: "jdoe@example.com" });
    const err = await tokenAcceptance.create!({ ...acceptanceInputs(t), tokenUser: "jdoe@example.com" }).catch((e) => e);
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toMatch(/lacks capabilities the service's functions check: moodle\/category:manage, .*moodle\/grade:manage/);
  });

  it("after a function is taken out of the service: drift on read-back, with the reason; up fails saying what is left", async () => {
    const t = await madeToken();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    const svc = state().services.find((s: any) => s.shortname === "Percipio-API");
    moodle.control.patchState({ services: state().services.map((s: any) => (s.id === svc.id ? { ...s, functions: s.functions.filter((f: string) => f !== "percipio_image_upload") } : s)) });
    clearClientCache();
    const read = await tokenAcceptance.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: Moodle refuses the token for percipio_image_upload .*no longer in the service "Percipio-API"/);
    expect(read.inputs!.acceptedByMoodle).toBe(read.props.acceptedByMoodle);
    expect(await tokenAcceptance.diff!(created.id, read.props, acceptanceInputs(t))).toMatchObject({ changes: true, replaces: [] });
    await expect(tokenAcceptance.update!(created.id, read.props, acceptanceInputs(t))).rejects.toThrow(/percipio_image_upload .*the rest must be changed in Moodle/);
  });

  it("with its service switched off: drift on read-back; once the service is on again, up passes", async () => {
    const t = await madeToken();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    const on = state().services;
    moodle.control.patchState({ services: on.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)) });
    const read = await tokenAcceptance.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: .*the service is switched off/);
    moodle.control.patchState({ services: on });
    await expect(tokenAcceptance.update!(created.id, read.props, acceptanceInputs(t))).resolves.toMatchObject({ outs: { acceptedByMoodle: "yes" } });
  });

  it("of a suspended user: Moodle's own words", async () => {
    addUser();
    moodle.control.patchState({ roleCapabilities: { user: { "webservice/rest:use": "allow" } } });
    const t = await madeToken({ tokenUser: "jdoe@example.com" });
    moodle.control.patchState({ users: state().users.map((u: any) => (u.id === 7 ? { ...u, suspended: true } : u)) });
    await expect(tokenAcceptance.create!({ ...acceptanceInputs(t), tokenUser: "jdoe@example.com" })).rejects.toThrow(/Refused web service access for suspended username: jdoe/);
  });

  it("deleted in Moodle: refused as gone on read-back", async () => {
    const t = await madeToken();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    moodle.control.patchState({ tokens: [] });
    const read = await tokenAcceptance.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: Moodle has no such token any more/);
  });
});

describe("tokens this runner cannot prove", () => {
  it("an adopted token (value unknown): not proven, no call, and no drift", async () => {
    const t = { ...(await madeToken()), token: "" };
    moodle.control.clearRequests();
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    expect(created.outs.acceptedByMoodle).toMatch(/^not proven: the token was adopted/);
    expect(rest()).toEqual([]);
    const read = await tokenAcceptance.read!(created.id, created.outs);
    expect(read.inputs!.acceptedByMoodle).toBe("yes");
    expect(await tokenAcceptance.diff!(created.id, read.props, acceptanceInputs(t))).toMatchObject({ changes: false });
  });

  it("an admin's token whose IP restriction excludes this runner: not proven, with why", async () => {
    const t = await madeToken({ ipRestriction: "203.0.113.10" });
    const created = await tokenAcceptance.create!(acceptanceInputs(t));
    expect(created.outs.acceptedByMoodle).toMatch(/^not proven: .*IP restriction \(203\.0\.113\.10\) probably excludes it/);
  });

  it("a token expiring within a day is not called (Moodle deletes a token called after its valid-until)", async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const t = await madeToken();
    moodle.control.clearRequests();
    const read = await tokenAcceptance.read!("token-1", { ...acceptanceInputs(t), validUntil: tomorrow });
    expect(read.props.acceptedByMoodle).toMatch(/^not proven: the token expires within a day/);
    expect(rest()).toEqual([]);
  });
});
