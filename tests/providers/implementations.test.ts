// Provider implementations called directly (as the dynamic-provider process calls them) against
// the Moodle double: input checks during previews, adoption, conflicts, and what delete leaves.
import type { MoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { z } from "zod";
import { checkInputs, isUnknown, UNKNOWN } from "../../providers/shared/common";
import { moodleTokenName, webServiceToken as token } from "../../providers/webServiceToken/provider";
import { webServices } from "../../providers/webServices/provider";
import { percipioSettings } from "../../providers/percipioSettings/provider";
import { externalServiceAccess as externalService } from "../../providers/externalServiceAccess/provider";
import { useProviderDoubles, webServicesOn } from "./doubles";
import { connectionTo, tokenInputsFor } from "./inputs";

let moodle: MoodleDouble;
const connection = () => connectionTo(moodle.url);
const tokenInputs = (overrides: Record<string, unknown> = {}) => tokenInputsFor(moodle.url, overrides);
const tokens = () => (moodle.control.state() as any).tokens as { id: number; name: string; token: string }[];

useProviderDoubles((started) => ({ moodle } = started));

describe("check", () => {
  it("accepts unknown values during a preview and validates the known ones", async () => {
    const result = await token.check!({}, tokenInputs({ serviceShortname: UNKNOWN, validUntil: "31/12/2030" }));
    expect(result.failures).toEqual([{ property: "validUntil", reason: "expected YYYY-MM-DD or empty" }]);
  });

  it("names each invalid input", async () => {
    const result = await percipioSettings.check!({}, {
      ...connection(),
      authenticationMethod: "oauth",
      clientId: "a b!",
      clientSecret: UNKNOWN,
      organizationId: "org",
      oauthUrl: "not a url",
      apiUrl: "https://api.percipio.com",
      scope: "",
      verifyCredentials: false,
    });
    expect(result.failures?.map((f) => f.property)).toEqual(["clientId", "oauthUrl"]);
  });

  it("skips a value with an unknown part (a list or object holding one) and joins several problems of one input", async () => {
    expect(isUnknown(["known", UNKNOWN])).toBe(true);
    expect(isUnknown({ a: "known", b: [UNKNOWN] })).toBe(true);
    expect(isUnknown(["known", { a: 1 }])).toBe(false);
    const result = checkInputs({ value: z.string().min(5).regex(/^[a-z]+$/) }, { value: "A1" });
    expect(result.failures).toEqual([{ property: "value", reason: expect.stringMatching(/^.+; .+$/) }]);
  });
});

describe("diff", () => {
  it("reports only the fields that differ; a new site URL, admin user or password is an update (it records how to log in)", async () => {
    const olds = { ...connection(), enabled: false, enabledBefore: false };
    expect(await webServices.diff!("enablewebservices", olds, { ...connection(), enabled: true })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await webServices.diff!("enablewebservices", { ...olds, enabled: true }, { ...connection(), adminPassword: "changed", enabled: true })).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(await webServices.diff!("enablewebservices", { ...olds, enabled: true }, { ...connection(), adminTotpSecret: "JBSWY3DPEHPK3PXP", enabled: true })).toMatchObject({ changes: true, replaces: [] });
    expect(await webServices.diff!("enablewebservices", olds, { ...connection(), moodleUrl: "https://moodle.example.com", enabled: false })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await webServices.diff!("enablewebservices", olds, { ...connection(), adminUser: "manager", enabled: false })).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("web-service token", () => {
  beforeEach(() => webServicesOn(moodle));
  it("creates a token named with its generation fingerprint, finds it again, and deletes it", async () => {
    const created = await token.create(tokenInputs());
    expect(created.outs.moodleName).toBe(moodleTokenName(tokenInputs()));
    expect(created.outs.token).toBe(tokens()[0].token);
    const read = await token.read!(created.id, created.outs);
    expect(read.id).toBe(created.id);
    await token.delete!(created.id, created.outs);
    expect(tokens()).toEqual([]);
    expect((await token.read!(created.id, created.outs)).id).toBe("");
  });

  it("refuses to create over an unknown token of the same name, saying how to proceed", async () => {
    await token.create(tokenInputs());
    // Used since (so someone holds its value): not provably left by an interrupted run of this stack.
    moodle.control.patchState({ tokens: tokens().map((t) => ({ ...t, lastaccess: Math.floor(Date.now() / 1000) })) });
    clearClientCache();
    await expect(token.create(tokenInputs())).rejects.toThrow(/already has a token named 'percipio-unit-[0-9a-f]{6}'.*moodle:adoptExistingToken/);
    expect(tokens()).toHaveLength(1);
  });

  it("adopts a hand-made token by its exact name, exports no value, and leaves it on delete", async () => {
    const handMade = await token.create(tokenInputs({ name: "made-by-hand", rotation: "x" }));
    const handName = handMade.outs.moodleName as string;
    const adopted = await token.create(tokenInputs({ name: handName, adoptExisting: true }));
    expect(adopted.id).toBe(handMade.id);
    expect(adopted.outs).toMatchObject({ token: "", adopted: true, moodleName: handName });
    // Its own expiry or IP restriction never makes an adopted token "drift" into a replacement.
    const diff = await token.diff!(adopted.id, { ...adopted.outs, validUntil: "2030-01-01", ipRestriction: "10.0.0.1" }, tokenInputs({ name: handName, adoptExisting: true }));
    expect(diff).toMatchObject({ changes: false, replaces: [] });
    await token.delete!(adopted.id, adopted.outs);
    expect(tokens().map((t) => t.name)).toEqual([handName]);
  });

  it("is replaced (not updated) on another site URL, and updated in place, never replaced, for a new admin password", async () => {
    const created = await token.create(tokenInputs());
    expect(await token.diff!(created.id, created.outs, tokenInputs({ moodleUrl: "https://renamed.example.com" }))).toMatchObject({ replaces: ["moodleUrl"] });
    expect(await token.diff!(created.id, created.outs, tokenInputs({ adminPassword: "Other-Pass-9!" }))).toMatchObject({ changes: true, replaces: [] });
  });

  it("fails clearly when there is nothing to adopt", async () => {
    await expect(token.create(tokenInputs({ name: "absent", adoptExisting: true }))).rejects.toThrow(
      "moodle:adoptExistingToken is set but Moodle has 0 tokens named 'absent'",
    );
  });
});

describe("external service access", () => {
  const serviceInputs = () => ({ ...connection(), shortname: "Percipio-API", tokenUser: "admin", enabled: true, userAllowed: true });
  const percipio = () => (moodle.control.state() as any).services.find((x: any) => x.shortname === "Percipio-API");

  it("enables a disabled service and puts it back on delete; an unrestricted service needs no authorisation", async () => {
    moodle.control.patchState({ services: (moodle.control.state() as any).services.map((x: any) => (x.shortname === "Percipio-API" ? { ...x, enabled: false } : x)) });
    const created = await externalService.create(serviceInputs());
    expect(percipio().enabled).toBe(true);
    expect(created.outs).toMatchObject({ enabledBefore: false, restrictedUsers: false, authorisedUserIds: [] });
    expect((moodle.control.state() as any).serviceUsers).toEqual([]);
    await externalService.delete!(created.id, created.outs);
    expect(percipio().enabled).toBe(false);
  });

  it("authorises the token user where the service is restricted, and removes only that authorisation", async () => {
    moodle.control.patchState({ services: (moodle.control.state() as any).services.map((x: any) => (x.shortname === "Percipio-API" ? { ...x, restrictedusers: true } : x)) });
    const created = await externalService.create(serviceInputs());
    expect(created.outs).toMatchObject({ restrictedUsers: true, authorisedUserIds: [2], userAllowed: true });
    expect((moodle.control.state() as any).serviceUsers.map((u: any) => u.userId)).toEqual([2]);
    const read = await externalService.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ userAllowed: true, enabled: true });
    await externalService.delete!(created.id, created.outs);
    expect((moodle.control.state() as any).serviceUsers).toEqual([]);
  });

  it("a new token user is an update that authorises them too; delete removes both, nothing else", async () => {
    const state = () => moodle.control.state() as any;
    moodle.control.patchState({
      users: [...state().users, { ...state().users.find((u: any) => u.id === 2), id: 7, username: "percipio", email: "p@example.com", siteAdmin: false }],
      services: state().services.map((x: any) => (x.shortname === "Percipio-API" ? { ...x, restrictedusers: true } : x)),
      serviceUsers: [{ serviceId: percipio().id, userId: 5, iprestriction: "", validuntil: 0 }],
    });
    const created = await externalService.create(serviceInputs());
    const next = { ...serviceInputs(), tokenUser: "p@example.com" };
    expect(await externalService.diff!(created.id, created.outs, next)).toMatchObject({ changes: true, replaces: [] });
    const updated = await externalService.update!(created.id, created.outs, next);
    expect(updated.outs).toMatchObject({ authorisedUserIds: [2, 7] });
    expect(state().serviceUsers.map((u: any) => u.userId).sort()).toEqual([2, 5, 7]);
    await externalService.delete!(created.id, updated.outs);
    expect(state().serviceUsers.map((u: any) => u.userId)).toEqual([5]);
  });

  it("says what to install when the service does not exist", async () => {
    await expect(externalService.create({ ...serviceInputs(), shortname: "Nope-API" })).rejects.toThrow(
      "Moodle has no external service with shortname 'Nope-API'. Install the mod_percipio plugin",
    );
  });
});
