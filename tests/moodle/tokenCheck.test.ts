// How Moodle's answers to calls that stop before any function runs become a verdict on the token:
// accepted, gone, refused (and why, in Moodle's words), or not provable from this runner.
import { missingCapabilitiesReason, probeAnswer, tokenVerdict, type ProbeAnswer } from "../../moodle/tokenCheck";
import { MoodleRestError, MoodleTransportError, MoodleWebServicesUnavailableError } from "../../moodle/errors";

const FUNCTIONS = ["percipio_asset_import", "percipio_image_upload", "percipio_progress_tracking"];
const ADMIN = { serviceName: "Percipio-API", tokenUser: "admin", ipRestriction: "", userIsAdmin: true };
const PASSED: ProbeAnswer = { passed: true };
const refused = (errorcode: string, message: string, debuginfo?: string): ProbeAnswer => ({ passed: false, errorcode, message, debuginfo });
const ACCESS = refused("accessexception", "Access control exception");

function probes(answers: Record<string, ProbeAnswer>) {
  const called: string[] = [];
  const probe = async (fn: string) => {
    called.push(fn);
    return answers[fn] ?? PASSED;
  };
  return { probe, called };
}

describe("tokenVerdict", () => {
  it("accepts a token every function of the service lets through, calling each once and nothing else", async () => {
    const p = probes({});
    await expect(tokenVerdict(p.probe, FUNCTIONS, ADMIN)).resolves.toEqual({ kind: "accepted" });
    expect(p.called).toEqual(FUNCTIONS);
  });

  it("calls a token Moodle does not know gone (invalidtoken), without a further call", async () => {
    const p = probes({ percipio_asset_import: refused("invalidtoken", "Invalid token - token not found") });
    await expect(tokenVerdict(p.probe, FUNCTIONS, ADMIN)).resolves.toEqual({ kind: "gone" });
    expect(p.called).toEqual(FUNCTIONS);
  });

  it("tells a function taken out of the service (the token itself passes) from a refused token", async () => {
    const p = probes({ percipio_progress_tracking: ACCESS });
    const verdict = await tokenVerdict(p.probe, FUNCTIONS, ADMIN);
    expect(verdict.kind).toBe("refused");
    expect(verdict).toMatchObject({ cause: "service", reason: expect.stringMatching(/refuses the token for percipio_progress_tracking .*no longer in the service "Percipio-API", the service is switched off, or it is restricted/) });
    expect(p.called).toEqual([...FUNCTIONS, ""]);
  });

  it("names webservice/rest:use when Moodle refuses the token itself, quoting Moodle's debug reason when it gives one", async () => {
    const user = { ...ADMIN, tokenUser: "jdoe", userIsAdmin: false };
    const plain = probes({ percipio_asset_import: ACCESS, "": ACCESS });
    const v1 = await tokenVerdict(plain.probe, FUNCTIONS, user);
    expect(v1).toMatchObject({ kind: "refused", reason: expect.stringMatching(/refuses the token itself .*"jdoe" lacks the capability webservice\/rest:use/) });
    expect(plain.called).toEqual([...FUNCTIONS, ""]);
    const debug = "You are not allowed to use the rest protocol (missing capability: webservice/rest:use)";
    const withDebug = probes({ percipio_asset_import: refused("accessexception", "Access control exception", debug), "": refused("accessexception", "Access control exception", debug) });
    expect(await tokenVerdict(withDebug.probe, FUNCTIONS, user)).toEqual({
      kind: "refused",
      cause: "token",
      reason: `the token's user "jdoe" lacks the capability webservice/rest:use (Moodle said "Access control exception" (${debug}))`,
    });
  });

  it("cannot prove an admin's token whose IP restriction may exclude this runner, and says so instead of failing", async () => {
    const p = probes({ percipio_asset_import: ACCESS, "": ACCESS });
    const verdict = await tokenVerdict(p.probe, FUNCTIONS, { ...ADMIN, ipRestriction: "203.0.113.10" });
    expect(verdict).toMatchObject({ kind: "unproven", reason: expect.stringMatching(/IP restriction \(203\.0\.113\.10\) probably excludes it/) });
  });

  it("without an IP restriction an admin's refused token is refused (only expiry or the protocol remain)", async () => {
    const p = probes({ percipio_asset_import: ACCESS, "": ACCESS });
    expect((await tokenVerdict(p.probe, FUNCTIONS, ADMIN)).kind).toBe("refused");
    const ip = probes({ percipio_asset_import: ACCESS, "": ACCESS });
    const other = await tokenVerdict(ip.probe, FUNCTIONS, { ...ADMIN, userIsAdmin: false, ipRestriction: "10.0.0.1" });
    expect(other).toMatchObject({ kind: "refused", reason: expect.stringMatching(/or its IP restriction \(10\.0\.0\.1\) excludes this runner/) });
  });

  it("passes on Moodle's own words for the user's state and other refusals", async () => {
    const suspended = probes({ percipio_asset_import: refused("wsaccessusersuspended", "Refused web service access for suspended username: jdoe") });
    expect(await tokenVerdict(suspended.probe, FUNCTIONS, ADMIN)).toEqual({
      kind: "refused",
      cause: "token",
      reason: 'Moodle said "Refused web service access for suspended username: jdoe" when the token called percipio_asset_import',
    });
    const odd = probes({ percipio_asset_import: ACCESS, "": refused("sitemaintenance", "The site is undergoing maintenance") });
    expect(await tokenVerdict(odd.probe, FUNCTIONS, ADMIN)).toEqual({ kind: "refused", cause: "token", reason: 'Moodle said "The site is undergoing maintenance"' });
  });

  it("tells where a refusal comes from: web services or REST off, the service, or the token and its user", async () => {
    const off = probes({ percipio_asset_import: refused("webservicesoff", "HTTP 403: web services or the REST protocol are switched off") });
    expect(await tokenVerdict(off.probe, FUNCTIONS, ADMIN)).toMatchObject({ kind: "refused", cause: "webservices" });
    const service = probes({ percipio_image_upload: ACCESS });
    expect(await tokenVerdict(service.probe, FUNCTIONS, ADMIN)).toMatchObject({ kind: "refused", cause: "service" });
    const token = probes({ percipio_image_upload: ACCESS, "": ACCESS });
    expect(await tokenVerdict(token.probe, FUNCTIONS, ADMIN)).toMatchObject({ kind: "refused", cause: "token" });
  });

  it("accepts a service without functions without calling anything", async () => {
    const p = probes({});
    await expect(tokenVerdict(p.probe, [], ADMIN)).resolves.toEqual({ kind: "accepted" });
    expect(p.called).toEqual([]);
  });
});

describe("probeAnswer", () => {
  const rest = (errorcode: string, debuginfo?: string) => new MoodleRestError("call", "/webservice/rest/server.php", { exception: "x", errorcode, message: `m-${errorcode}`, debuginfo });
  it("counts invalidparameter (the parameters were the first thing refused) and a plain answer as passed", async () => {
    await expect(probeAnswer(async () => Promise.reject(rest("invalidparameter")))).resolves.toEqual({ passed: true });
    await expect(probeAnswer(async () => ({}))).resolves.toEqual({ passed: true });
  });
  it("keeps Moodle's code, message and debug text of any other answer", async () => {
    await expect(probeAnswer(async () => Promise.reject(rest("accessexception", "why")))).resolves.toEqual({ passed: false, errorcode: "accessexception", message: "m-accessexception", debuginfo: "why" });
  });
  it("reads HTTP 403 as web services or REST switched off, and lets transport errors through", async () => {
    await expect(probeAnswer(async () => Promise.reject(new MoodleWebServicesUnavailableError("call", "/x", "403")))).resolves.toMatchObject({ passed: false, errorcode: "webservicesoff" });
    await expect(probeAnswer(async () => Promise.reject(new MoodleTransportError("call", "/x", "timeout")))).rejects.toBeInstanceOf(MoodleTransportError);
  });
});

describe("missingCapabilitiesReason", () => {
  it("names the user, each capability and the two ways out", () => {
    const text = missingCapabilitiesReason("jdoe", ["moodle/grade:manage", "moodle/site:config"]);
    expect(text).toMatch(/"jdoe" lacks capabilities .*: moodle\/grade:manage, moodle\/site:config/);
    expect(text).toMatch(/role that allows them .*site administrator \(moodle:tokenUser\)/);
  });
});
