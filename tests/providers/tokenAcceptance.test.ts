// A token proven to work, against the Moodle double (which answers REST calls in Moodle 5.0.6's
// order): created only once Moodle accepts it for every function of its service (else deleted again
// and nothing handed off); a refusal found on read-back is drift with its reason; `up` calls again and
// fails with what is left to change in Moodle.
import { webServiceToken as token } from "../../providers/webServiceToken/provider";
import { TokenRefusedError } from "../../providers/webServiceToken/acceptance";
import { clearClientCache } from "../../moodle/client";
import type { MoodleDouble } from "../../testkit/moodle-double";
import { tokenInputsFor } from "./inputs";
import { useProviderDoubles, webServicesOn } from "./doubles";

let moodle: MoodleDouble;
useProviderDoubles((started) => ({ moodle } = started));
const state = () => moodle.control.state() as any;
const rest = () => moodle.control.requests().filter((r) => r.path.startsWith("/webservice/rest/"));
const FUNCTIONS = ["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"];

/** A second, ordinary user (no role: no webservice/rest:use, no course capabilities). */
function addUser(extra: Record<string, unknown> = {}) {
  const admin = state().users.find((u: any) => u.id === 2);
  moodle.control.patchState({ users: [...state().users, { ...admin, id: 7, username: "jdoe", email: "jdoe@example.com", siteAdmin: false, ...extra }] });
}

const inputsWith = async (overrides: Record<string, unknown> = {}) => (await token.check!({}, { ...tokenInputsFor(moodle.url, overrides), acceptedByMoodle: "yes" })).inputs;

beforeEach(() => webServicesOn(moodle));

describe("creating a token", () => {
  it("proves Moodle accepts it with one call per function of the service, none of which runs the function", async () => {
    moodle.control.clearRequests();
    const created = await token.create!(await inputsWith());
    expect(created.outs).toMatchObject({ acceptedByMoodle: "yes", functions: FUNCTIONS });
    expect(rest()).toHaveLength(3);
    expect(rest().every((r) => r.status === 200)).toBe(true);
  });

  it("of an ordinary user (no webservice/rest:use) fails naming the user and the capability, and deletes the token again", async () => {
    addUser();
    const err = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" })).catch((e: any) => e);
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toMatch(/refuses the token '.*' for the service 'Percipio-API': Moodle refuses the token itself .*"jdoe@example.com" lacks the capability webservice\/rest:use/);
    expect(err.message).toMatch(/deleted again and nothing was handed off/);
    expect(state().tokens).toEqual([]);
  });

  it("of a user with the protocol but not the functions' capabilities fails with the Missing capabilities Manage tokens shows", async () => {
    addUser();
    moodle.control.patchState({ roleCapabilities: { user: { "webservice/rest:use": "allow" } } });
    const err = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" })).catch((e: any) => e);
    expect(err).toBeInstanceOf(TokenRefusedError);
    expect(err.message).toMatch(/lacks capabilities the service's functions check: moodle\/category:manage, .*moodle\/grade:manage/);
    expect(state().tokens).toEqual([]);
  });


  it("with an IP restriction excluding this runner (an admin's token): not proven, with why, and created", async () => {
    const created = await token.create!(await inputsWith({ ipRestriction: "203.0.113.10" }));
    expect(created.outs.acceptedByMoodle).toMatch(/^not proven: .*IP restriction \(203\.0\.113\.10\) probably excludes it/);
  });
});

describe("reading a token back", () => {
  it("makes the same calls and reads no admin page; accepted means no change", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    clearClientCache();
    moodle.control.clearRequests();
    const read = await token.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ acceptedByMoodle: "yes" });
    expect(moodle.control.requests().map((r) => r.path)).toEqual(Array(3).fill("/webservice/rest/server.php"));
    expect(await token.diff!(created.id, read.props, inputs)).toMatchObject({ changes: false });
  });

  it("of a state written before the check (no functions recorded) reads the service's functions page once", async () => {
    const created = await token.create!(await inputsWith());
    const { functions, acceptedByMoodle, ...older } = created.outs;
    clearClientCache();
    moodle.control.clearRequests();
    const read = await token.read!(created.id, older);
    expect(functions).toEqual(FUNCTIONS);
    expect(acceptedByMoodle).toBe("yes");
    expect(read.props).toMatchObject({ functions: FUNCTIONS, acceptedByMoodle: "yes" });
    expect(moodle.control.requests().filter((r) => !r.path.startsWith("/webservice/rest/") && !r.path.startsWith("/login/")).map((r) => r.path)).toEqual([
      "/admin/webservice/service_functions.php?id=3",
    ]);
  });

  it("after a function is taken out of the service: drift with the reason; up fails saying what is left", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    moodle.control.patchState({
      services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, functions: s.functions.filter((f: string) => f !== "percipio_image_upload") } : s)),
    });
    clearClientCache();
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: Moodle refuses the token for percipio_image_upload .*no longer in the service "Percipio-API"/);
    expect(read.inputs!.acceptedByMoodle).toBe(read.props.acceptedByMoodle);
    expect(await token.diff!(created.id, read.props, inputs)).toMatchObject({ changes: true, replaces: [] });
    await expect(token.update!(created.id, read.props, inputs)).rejects.toThrow(/percipio_image_upload .*what is left must be changed in Moodle/);
  });

  it.each([
    ["web services switched off", (st: any) => ({ config: { ...st.config, enablewebservices: "0" } })],
    ["REST switched off", (st: any) => ({ config: { ...st.config, webserviceprotocols: "" } })],
    ["its service switched off", (st: any) => ({ services: st.services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)) })],
    ["its service restricted to authorised users", (st: any) => ({ services: st.services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, restrictedusers: true } : s)) })],
  ])("with %s: no drift of the token (the step that owns it reports it, and up repairs that first)", async (_what, edit) => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    moodle.control.patchState(edit(state()));
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toBe("yes");
    expect(await token.diff!(created.id, read.props, inputs)).toMatchObject({ changes: false });
  });

  it("with its service switched off at an up (nothing repaired it): the update fails with the reason", async () => {
    const inputs = await inputsWith();
    const created = await token.create!(inputs);
    moodle.control.patchState({ services: state().services.map((s: any) => (s.shortname === "Percipio-API" ? { ...s, enabled: false } : s)) });
    const refusedRead = { ...created.outs, acceptedByMoodle: "refused: earlier" };
    await expect(token.update!(created.id, refusedRead, inputs)).rejects.toThrow(/the service is switched off/);
  });

  it("of a user suspended since: drift, in Moodle's own words", async () => {
    addUser();
    // Every capability the functions declare, and the protocol: a user whose token Moodle accepts.
    const caps = ["webservice/rest:use", "moodle/category:manage", "moodle/course:create", "moodle/course:visibility", "moodle/course:update", "moodle/course:changecategory",
      "moodle/course:changeshortname", "moodle/course:changeidnumber", "moodle/site:config", "enrol/self:config", "moodle/grade:manage"];
    moodle.control.patchState({ roleCapabilities: { wsrole: Object.fromEntries(caps.map((c) => [c, "allow"])) } });
    moodle.control.patchState({ users: state().users.map((u: any) => (u.id === 7 ? { ...u, roleAssignments: [{ role: "wsrole" }] } : u)) });
    const created = await token.create!(await inputsWith({ tokenUser: "jdoe@example.com" }));
    expect(created.outs.acceptedByMoodle).toBe("yes");
    moodle.control.patchState({ users: state().users.map((u: any) => (u.id === 7 ? { ...u, suspended: true } : u)) });
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^refused: Moodle said "Refused web service access for suspended username: jdoe"/);
  });

  it("deleted in Moodle: gone (the token is made again), from Moodle's own 'token not found'", async () => {
    const created = await token.create!(await inputsWith());
    moodle.control.patchState({ tokens: [] });
    await expect(token.read!(created.id, created.outs)).resolves.toEqual({ id: "", props: {} });
  });

  it("an admin's token with an IP restriction: not proven is no drift", async () => {
    const inputs = await inputsWith({ ipRestriction: "203.0.113.10" });
    const created = await token.create!(inputs);
    const read = await token.read!(created.id, created.outs);
    expect(read.props.acceptedByMoodle).toMatch(/^not proven/);
    expect(read.inputs!.acceptedByMoodle).toBe("yes");
    expect(await token.diff!(created.id, read.props, inputs)).toMatchObject({ changes: false });
  });

  it("a token expiring within a day is looked up, not called (Moodle deletes a token called after its valid-until)", async () => {
    const created = await token.create!(await inputsWith());
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    moodle.control.clearRequests();
    const read = await token.read!(created.id, { ...created.outs, validUntil: tomorrow });
    expect(read.id).toBe(created.id);
    expect(rest()).toEqual([]);
  });
});
