// A token that renews itself, through the real engine (index.ts run by `pulumi`, refresh: always
// from Pulumi.yaml) against the Moodle double: with moodle:tokenValidDays, a live token that
// expires within moodle:tokenRenewBeforeDays is replaced, new one first, and the outputs say so.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { projectStack, TestStack } from "../../testkit/engine/engine";
import { setRecordedValidUntil } from "../support/recordedToken";

jest.setTimeout(300_000);

const DAY = 86_400_000;
const isoIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

describe("token renewal through the real engine", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  const onOutput = () => undefined;
  const tokens = () => (moodle.control.state() as any).tokens as { id: number; name: string; token: string; validuntil: number }[];

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: "Admin-Pass-1!", secret: true },
      "moodle:tokenName": { value: "percipio-renew" },
      "moodle:tokenValidDays": { value: "30" },
      "moodle:tokenRenewBeforeDays": { value: "7" },
    });
  });
  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it("a token inside its renewal window is replaced new-first; outside it nothing changes", async () => {
    await test.stack.up({ onOutput });
    expect(tokens()).toHaveLength(1);
    const old = tokens()[0];
    expect(new Date(old.validuntil * 1000).toISOString().slice(0, 10)).toBe(isoIn(30));
    // A day later (the valid-until the same): nothing to do.
    expect((await test.stack.preview({ onOutput })).changeSummary).not.toHaveProperty("replace");

    // Time passes: the live token now expires in 5 days, inside the 7-day window.
    moodle.control.patchState({ tokens: [{ ...old, validuntil: Math.floor((Date.now() + 5 * DAY) / 1000) }] });
    await setRecordedValidUntil(test.stack, isoIn(5));
    const preview = await test.stack.preview({ onOutput });
    expect(preview.changeSummary).toMatchObject({ replace: 1 });
    expect(tokens()).toEqual([expect.objectContaining({ id: old.id })]);

    const events: EngineEvent[] = [];
    const up = await test.stack.up({ onOutput, onEvent: (e) => events.push(e) });
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    const ops = events
      .map((e) => e.resOutputsEvent?.metadata)
      .filter((m) => m?.type.endsWith("WebServiceToken"))
      .map((m) => m!.op);
    // The new token exists before the old one is deleted: Skillsoft is never without a valid token.
    expect(ops.indexOf("create-replacement")).toBeGreaterThanOrEqual(0);
    expect(ops.indexOf("create-replacement")).toBeLessThan(ops.indexOf("delete-replaced"));
    expect(tokens()).toHaveLength(1);
    const fresh = tokens()[0];
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.name).not.toBe(old.name);
    expect(new Date(fresh.validuntil * 1000).toISOString().slice(0, 10)).toBe(isoIn(30));
    expect(up.outputs.token.value).toBe(fresh.token);
    expect(up.outputs.nextSteps.value).toMatch(/Token replaced on \d{4}-\d{2}-\d{2}: send the new handoff/);
    expect(JSON.parse(up.outputs.handoff.value)).toMatchObject({ token: fresh.token, tokenValidUntil: isoIn(30) });

    // The renewed token is outside the window again: the next run changes nothing.
    expect((await test.stack.preview({ onOutput })).changeSummary).not.toHaveProperty("replace");

    // The next renewal again takes a name of its own and still reads as a replacement.
    moodle.control.patchState({ tokens: [{ ...fresh, validuntil: Math.floor((Date.now() + 2 * DAY) / 1000) }] });
    await setRecordedValidUntil(test.stack, isoIn(2));
    const again = await test.stack.up({ onOutput });
    expect(again.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(tokens()).toHaveLength(1);
    expect([old.name, fresh.name]).not.toContain(tokens()[0].name);
    expect(again.outputs.nextSteps.value).toMatch(/Token replaced on /);
  });
});
