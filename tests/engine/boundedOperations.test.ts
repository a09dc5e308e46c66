// The engine suites' own safety net (testkit/engine/boundedOperations.ts): an engine operation stuck
// on a Moodle that never answers fails within its limit, leaves no process behind, and the stack
// it ran on works for the next operation.
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { DEFAULT_LIMITS, projectStack, TestStack } from "../../testkit/engine/engine";
import { isAlive } from "../support/processTree";

/** For the stuck operations: long enough for `up` to reach Moodle on a busy machine (the program is compiled first). */
const LIMITS = { timeoutMs: 90_000, graceMs: 2_000 };
const HANGS = 1_000_000;
/** Stopping includes killing the processes, `pulumi cancel` and a state export/import. */
const STOP_ALLOWANCE_MS = 25_000;

jest.setTimeout(DEFAULT_LIMITS.timeoutMs + STOP_ALLOWANCE_MS);

describe("bounded engine operations", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  const state = () => moodle.control.state() as any;
  const hangEveryLogin = () => {
    Object.assign(test.limits, LIMITS);
    moodle.control.injectFault({ path: "/login/", kind: "timeout", times: HANGS });
  };
  /** A held-open request is logged only once it closes; the fault counts the requests it caught. */
  const loginsHeld = () => HANGS - (moodle.control.faults()[0]?.times ?? HANGS);
  const waitForHeldLogin = async () => {
    for (const until = Date.now() + LIMITS.timeoutMs; loginsHeld() === 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    expect(loginsHeld()).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: moodle.adminPassword, secret: true },
      // Longer than the operation's limit: the provider is still waiting when the limit hits.
      "moodle:requestTimeoutSeconds": { value: "300" },
    });
  });

  afterEach(async () => {
    await test.settle();
    moodle.control.clearFaults();
    Object.assign(test.limits, DEFAULT_LIMITS);
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it("an up stuck on a page that never answers fails at its limit and kills every process it started", async () => {
    hangEveryLogin();
    const started = Date.now();
    await expect(test.stack.up({ onOutput: test.onOutput })).rejects.toThrow(`pulumi up did not finish within ${LIMITS.timeoutMs / 1000} s`);
    expect(Date.now() - started).toBeLessThan(LIMITS.timeoutMs + STOP_ALLOWANCE_MS);
    expect(loginsHeld()).toBeGreaterThan(0);

    expect(test.interruptions).toHaveLength(1);
    const { killed } = test.interruptions[0];
    // The CLI and the dynamic-provider process that was waiting for Moodle.
    expect(killed.map((p) => p.command)).toEqual(expect.arrayContaining([expect.stringMatching(/pulumi-resource-pulumi-nodejs|dynamic-provider/)]));
    expect(killed.filter((p) => isAlive(p.pid))).toEqual([]);
  });

  it("the next operation on that stack runs normally", async () => {
    const up = await test.stack.up({ onOutput: test.onOutput });
    expect(up.summary.result).toBe("succeeded");
    expect(state().config.enablewebservices).toBe("1");
    expect(state().tokens).toHaveLength(1);
  });

  it("an operation a test leaves running (jest's own timeout) is stopped after the test, and the stack stays usable", async () => {
    hangEveryLogin();
    await test.stack.setConfig("moodle:tokenRotation", { value: "2" });
    const abandoned = test.stack.up({ onOutput: test.onOutput }).catch((err: Error) => err);
    await waitForHeldLogin();

    const interruption = await test.settle();
    expect(interruption).toMatchObject({ operation: "up", reason: "was still running when its test ended" });
    expect(await abandoned).toBeInstanceOf(Error);
    expect(interruption!.killed.filter((p) => isAlive(p.pid))).toEqual([]);

    moodle.control.clearFaults();
    Object.assign(test.limits, DEFAULT_LIMITS);
    const preview = await test.stack.preview({ onOutput: test.onOutput });
    expect(preview.changeSummary).toMatchObject({ replace: 1 });
  });
});
