// The two site-wide switches (web services, one protocol) called as the dynamic-provider process
// calls them, against the Moodle double: create records what it found, delete puts back only what
// the stack changed, and other protocols are never touched. The engine suites prove the same
// through Pulumi; this suite is the fast one mutation testing runs.
import type { MoodleDouble } from "../../testkit/moodle-double";
import { clearClientCache } from "../../moodle/client";
import { webServiceProtocol as restProtocol } from "../../providers/webServiceProtocol/provider";
import { webServices } from "../../providers/webServices/provider";
import { sitePosts, useProviderDoubles } from "./doubles";
import { connectionTo } from "./inputs";

let moodle: MoodleDouble;
const config = () => (moodle.control.state() as any).config as Record<string, string | undefined>;
const protocols = () => (config().webserviceprotocols ?? "").split(",").filter(Boolean);
const posts = () => sitePosts(moodle);

useProviderDoubles((started) => ({ moodle } = started));

describe("web services switch", () => {
  const inputs = (enabled = true) => ({ ...connectionTo(moodle.url), enabled });

  it("found off: create switches it on and records that; delete switches it off again", async () => {
    const created = await webServices.create(inputs());
    expect(created).toEqual({ id: "enablewebservices", outs: { ...inputs(), enabledBefore: false } });
    expect(config().enablewebservices).toBe("1");
    await webServices.delete!(created.id, created.outs);
    expect(config().enablewebservices).toBe("0");
  });

  it("found on: create writes nothing, and delete leaves it on", async () => {
    moodle.control.patchState({ config: { ...config(), enablewebservices: "1" } });
    moodle.control.clearRequests();
    const created = await webServices.create(inputs());
    expect(created.outs.enabledBefore).toBe(true);
    expect(posts()).toEqual([]);
    await webServices.delete!(created.id, created.outs);
    expect(config().enablewebservices).toBe("1");
    expect(posts()).toEqual([]);
  });

  it("delete does not write when someone already switched it off", async () => {
    const created = await webServices.create(inputs());
    moodle.control.patchState({ config: { ...config(), enablewebservices: "0" } });
    moodle.control.clearRequests();
    await webServices.delete!(created.id, created.outs);
    expect(posts()).toEqual([]);
  });

  it("read reports the live value as drift in both props and inputs", async () => {
    const created = await webServices.create(inputs());
    moodle.control.patchState({ config: { ...config(), enablewebservices: "0" } });
    const read = await webServices.read!(created.id, created.outs);
    expect(read.id).toBe("enablewebservices");
    expect(read.props).toMatchObject({ enabled: false, enabledBefore: false });
    expect(read.inputs).toMatchObject({ enabled: false, moodleUrl: moodle.url });
    expect(read.inputs).not.toHaveProperty("enabledBefore");
  });

  it("update sets the wanted value and keeps what was found before the stack", async () => {
    const created = await webServices.create(inputs());
    moodle.control.patchState({ config: { ...config(), enablewebservices: "0" } });
    clearClientCache(); // the repair is a later `pulumi up`: a new provider process
    const updated = await webServices.update!(created.id, created.outs, inputs());
    expect(config().enablewebservices).toBe("1");
    expect(updated.outs).toEqual({ ...inputs(), enabledBefore: false });
  });

  it("diff: a change of the wanted value is an update, never a replacement", async () => {
    const olds = { ...inputs(false), enabledBefore: false };
    expect(await webServices.diff!("enablewebservices", olds, inputs(true))).toMatchObject({ changes: true, replaces: [] });
    expect(await webServices.diff!("enablewebservices", olds, inputs(false))).toMatchObject({ changes: false });
  });
});

describe("protocol switch", () => {
  const inputs = (enabled = true) => ({ ...connectionTo(moodle.url), protocol: "rest", enabled });

  it("found off: create enables REST only; delete disables REST and leaves SOAP on", async () => {
    moodle.control.patchState({ config: { ...config(), webserviceprotocols: "soap" } });
    const created = await restProtocol.create(inputs());
    expect(created).toEqual({ id: "protocol-rest", outs: { ...inputs(), enabledBefore: false } });
    expect(protocols().sort()).toEqual(["rest", "soap"]);
    await restProtocol.delete!(created.id, created.outs);
    expect(protocols()).toEqual(["soap"]);
  });

  it("found on: create writes nothing, and delete leaves it on", async () => {
    moodle.control.patchState({ config: { ...config(), webserviceprotocols: "rest" } });
    moodle.control.clearRequests();
    const created = await restProtocol.create(inputs());
    expect(created.outs.enabledBefore).toBe(true);
    await restProtocol.delete!(created.id, created.outs);
    expect(protocols()).toEqual(["rest"]);
    expect(posts()).toEqual([]);
  });

  it("delete does not write when someone already disabled it", async () => {
    const created = await restProtocol.create(inputs());
    moodle.control.patchState({ config: { ...config(), webserviceprotocols: "" } });
    moodle.control.clearRequests();
    await restProtocol.delete!(created.id, created.outs);
    expect(posts()).toEqual([]);
  });

  it("read and update: drift is seen, and repaired without touching the record of what was found", async () => {
    const created = await restProtocol.create(inputs());
    moodle.control.patchState({ config: { ...config(), webserviceprotocols: "soap" } });
    const read = await restProtocol.read!(created.id, created.outs);
    expect(read.props).toMatchObject({ enabled: false, enabledBefore: false, protocol: "rest" });
    expect(read.inputs).toMatchObject({ enabled: false, protocol: "rest" });
    expect(read.inputs).not.toHaveProperty("enabledBefore");
    const updated = await restProtocol.update!(created.id, read.props, inputs());
    expect(updated.outs).toEqual({ ...inputs(), enabledBefore: false });
    expect(protocols().sort()).toEqual(["rest", "soap"]);
  });

  it("diff: another protocol is a replacement; the wanted value is an update", async () => {
    const olds = { ...inputs(), enabledBefore: false };
    expect(await restProtocol.diff!("protocol-rest", olds, { ...inputs(), protocol: "soap" })).toMatchObject({ changes: true, replaces: ["protocol"] });
    expect(await restProtocol.diff!("protocol-rest", olds, inputs(false))).toMatchObject({ changes: true, replaces: [] });
  });

  it("check rejects a protocol name Moodle cannot have", async () => {
    const result = await restProtocol.check!({}, { ...inputs(), protocol: "REST/1" });
    expect(result.failures?.map((f) => f.property)).toEqual(["protocol"]);
  });
});

describe("the connection a resource's inputs describe", () => {
  const inputs = (overrides: Record<string, unknown> = {}) => ({ ...connectionTo(moodle.url), enabled: true, ...overrides });
  afterEach(() => moodle.control.clearFaults());

  it("requestTimeoutSeconds is seconds: a page answered within it is read, a slower answer is given up and retried", async () => {
    moodle.control.injectFault({ path: "/admin/settings.php", kind: "latency", ms: 300, times: 1 });
    await expect(webServices.read!("enablewebservices", inputs({ requestTimeoutSeconds: 2 }))).resolves.toMatchObject({ props: { enabled: false } });

    clearClientCache();
    const lines: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      moodle.control.injectFault({ path: "/admin/settings.php", kind: "latency", ms: 2500, times: 1 });
      await expect(webServices.read!("enablewebservices", inputs({ requestTimeoutSeconds: 1 }))).resolves.toMatchObject({ props: { enabled: false } });
    } finally {
      spy.mockRestore();
    }
    expect(lines.join("\n")).toMatch(/no answer within 1000 ms/);
  });

  it("retries are shown on stderr as they happen, other client lines are not", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      moodle.control.injectFault({ path: "/admin/settings.php", kind: "status", status: 503, times: 1 });
      await webServices.read!("enablewebservices", inputs());
    } finally {
      spy.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith("[moodle] retrying "))).toBe(true);
  });
});
