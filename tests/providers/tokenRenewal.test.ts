// A token with a rolling validity (validDays) against the Moodle double: its valid-until is fixed
// at creation (the inputs do not change from day to day), and diff, which sees the refreshed live
// token as olds, plans its replacement once it expires within renewBeforeDays.
import { webServicesOn } from "./doubles";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { moodleTokenName, webServiceToken as token } from "../../providers/webServiceToken/provider";
import { tokenInputsFor } from "./inputs";

let moodle: MoodleDouble;
const state = () => moodle.control.state() as any;
const DAY = 86_400_000;
const isoIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
const rollingInputs = (overrides: Record<string, unknown> = {}) =>
  tokenInputsFor(moodle.url, {
    name: "percipio-roll",
    validDays: 30,
    renewBeforeDays: 7,
    ...overrides,
  });
/**
 * Time passing until the token's valid-until is `days` from today: in Moodle, and in the recorded
 * outputs given back (a refresh reads only whether the token still exists; Moodle cannot edit a token,
 * so its valid-until is the one recorded at creation).
 */
const expireIn = (days: number, outs: Record<string, any> = {}) => {
  moodle.control.patchState({ tokens: state().tokens.map((t: any) => ({ ...t, validuntil: Math.floor((Date.now() + days * DAY) / 1000) })) });
  return { ...outs, validUntil: isoIn(days) };
};

beforeAll(async () => {
  moodle = await startMoodleDouble({ control: true });
});
afterAll(async () => {
  await moodle.stop();
});
beforeEach(() => {
  moodle.control.reset();
  clearClientCache();
});

describe("a token with a rolling validity", () => {
  beforeEach(() => webServicesOn(moodle));
  it("is created valid for validDays from its creation, in Moodle and in its outputs", async () => {
    const created = await token.create((await token.check!({}, rollingInputs())).inputs);
    expect(created.outs.validUntil).toBe(isoIn(30));
    expect(state().tokens).toHaveLength(1);
    const read = await token.read!(created.id, created.outs);
    expect(read.props.validUntil).toBe(isoIn(30));
    // The live date is an output; the configured (empty) date stays the input.
    expect(read.inputs!.validUntil).toBe("");
  });

  it("plans no change outside the renewal window, however many days pass", async () => {
    const inputs = (await token.check!({}, rollingInputs())).inputs;
    const created = await token.create(inputs);
    for (const days of [30, 20, 8]) {
      const read = await token.read!(created.id, expireIn(days, created.outs));
      const next = (await token.check!(read.inputs!, rollingInputs())).inputs;
      expect(next.generation).toBe(inputs.generation);
      expect(await token.diff!(created.id, read.props, next)).toMatchObject({ changes: false, replaces: [] });
    }
  });

  it("plans a replacement once the live token expires within renewBeforeDays, and the new one takes the next name", async () => {
    const inputs = (await token.check!({}, rollingInputs())).inputs;
    const created = await token.create(inputs);
    const read = await token.read!(created.id, expireIn(7, created.outs));
    const next = (await token.check!(read.inputs!, rollingInputs())).inputs;
    expect(await token.diff!(created.id, read.props, next)).toMatchObject({ changes: true, replaces: ["validUntil"], deleteBeforeReplace: false });

    // Create before delete: the predecessor still holds its name, so the next generation's is taken.
    const replacement = await token.create(next);
    expect(replacement.outs.generation).toBe(1);
    expect(replacement.outs.moodleName).not.toBe(created.outs.moodleName);
    expect(replacement.outs.validUntil).toBe(isoIn(30));
    await token.delete!(created.id, read.props);
    expect(state().tokens.map((t: any) => t.name)).toEqual([replacement.outs.moodleName]);

    // The next renewal: the inputs still carry generation 0 (check never sees the live token), yet
    // the successor continues the count instead of taking the first token's name back.
    expireIn(3);
    const second = await token.create(next);
    expect(second.outs.generation).toBe(2);
    expect([created.outs.moodleName, replacement.outs.moodleName]).not.toContain(second.outs.moodleName);
  });

  it("a wider renewal window is an in-place update until it reaches the live date", async () => {
    const created = await token.create((await token.check!({}, rollingInputs())).inputs);
    const read = await token.read!(created.id, expireIn(10, created.outs));
    expect(await token.diff!(created.id, read.props, rollingInputs({ renewBeforeDays: 9 }))).toMatchObject({ changes: true, replaces: [] });
    expect(await token.diff!(created.id, read.props, rollingInputs({ renewBeforeDays: 10 }))).toMatchObject({ replaces: ["validUntil"] });
    const updated = await token.update!(created.id, read.props, rollingInputs({ renewBeforeDays: 9 }));
    expect(updated.outs!.validUntil).toBe(isoIn(10));
  });

  it("a fixed date keeps working as before: no renewal, and state without validDays plans no change", async () => {
    const fixed = rollingInputs({ validUntil: isoIn(5), validDays: undefined, renewBeforeDays: undefined });
    const inputs = (await token.check!({}, fixed)).inputs;
    const created = await token.create(inputs);
    expect(created.outs.validUntil).toBe(isoIn(5));
    expect(moodleTokenName(inputs)).toBe(moodleTokenName({ ...inputs, validDays: undefined }));
    const read = await token.read!(created.id, created.outs);
    // The engine cannot serialize an undefined input: a fixed date's token has no validDays at all.
    expect(Object.entries(read.inputs!).filter(([, v]) => v === undefined)).toEqual([]);
    expect(read.inputs).not.toHaveProperty("validDays");
    expect(await token.diff!(created.id, read.props, (await token.check!(read.inputs!, fixed)).inputs)).toMatchObject({ changes: false });
  });

  it("switching between a fixed date and a rolling validity replaces the token", async () => {
    const created = await token.create((await token.check!({}, rollingInputs())).inputs);
    const read = await token.read!(created.id, created.outs);
    expect((await token.diff!(created.id, read.props, rollingInputs({ validDays: undefined, renewBeforeDays: undefined, validUntil: isoIn(30) }))).replaces).toContain("validDays");
    expect((await token.diff!(created.id, read.props, rollingInputs({ validDays: 60 }))).replaces).toEqual(["validDays"]);
  });
});
