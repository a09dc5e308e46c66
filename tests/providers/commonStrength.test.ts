// What every provider shares (providers/shared/common.ts) beyond the day-two cases: how recorded inputs
// become the HTTP client's connection, which `pulumi` run a session and a carried read-back belong to,
// what the engine gets from pick, and the trace lines each provider call leaves.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as engineRunModule from "../../providers/process/engineRun";
import { pick, withHints } from "../../providers/shared/common";
import { connectionFor, sessionScope } from "../../providers/shared/moodleConnection";
import { asOtherProcess } from "../support/otherProcess";

const recorded = {
  moodleUrl: "https://moodle.example.com",
  adminUser: "admin",
  adminPassword: "Admin-Pass-1!",
  allowHttp: false,
  caCertPem: "",
  requestTimeoutSeconds: 30,
};

/** Restores the named environment variables after each test. */
function keepEnv(...names: string[]): void {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => names.forEach((n) => (saved[n] = process.env[n])));
  afterEach(() =>
    names.forEach((n) => {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }),
  );
}

/** As if the provider process worked for the `pulumi` command `run` (engineRun reads the real parent process). */
const inRun = (run: string) => jest.spyOn(engineRunModule, "engineRun").mockReturnValue(run);

afterEach(() => jest.restoreAllMocks());

describe("connectionFor", () => {
  it("stack config's empty TOTP secret and CA certificate mean none; set ones reach the client as they are", () => {
    expect(connectionFor({ ...recorded, adminTotpSecret: "" })).toEqual({
      url: "https://moodle.example.com",
      username: "admin",
      password: "Admin-Pass-1!",
      totpKey: undefined,
      allowHttp: false,
      caCertPem: undefined,
      timeoutMs: 30000,
    });
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const conn = connectionFor({ ...recorded, adminTotpSecret: "JBSWY3DPEHPK3PXP", caCertPem: pem, allowHttp: true });
    expect(conn).toMatchObject({ totpKey: "JBSWY3DPEHPK3PXP", caCertPem: pem, allowHttp: true });
  });
});

describe("sessionScope", () => {
  keepEnv("MOODLE_PERCIPIO_SESSION_SCOPE");

  it("without a drift run, a session is shared within one `pulumi` command and no other", () => {
    delete process.env.MOODLE_PERCIPIO_SESSION_SCOPE;
    inRun("4242@1000");
    const preview = sessionScope();
    expect(sessionScope()).toBe(preview);
    inRun("4243@1007");
    expect(sessionScope()).not.toBe(preview);
    expect(preview).toContain("4242@1000");
  });

  it("a drift run's scope covers all its stacks, whichever `pulumi` command runs each", () => {
    process.env.MOODLE_PERCIPIO_SESSION_SCOPE = "drift-2026-12-05";
    inRun("4242@1000");
    expect(sessionScope()).toBe("drift-2026-12-05");
    inRun("4243@1007");
    expect(sessionScope()).toBe("drift-2026-12-05");
  });
});

describe("withHints: the read-back carried between the passes of one run", () => {
  keepEnv("MOODLE_PERCIPIO_CACHE");
  let cache: string;
  beforeEach(() => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-common-"));
    process.env.MOODLE_PERCIPIO_CACHE = cache;
  });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  const props = { ...recorded, enabled: true };
  /** A provider whose read answers what Moodle shows now, counting how often it is asked. */
  function provider(enabled: boolean) {
    const reads: string[] = [];
    const p = { read: async (id: string, recordedProps: Record<string, unknown>) => (reads.push(id), { id, props: { ...recordedProps, enabled } }) };
    return { wrapped: withHints(p as any, "WebServices"), reads };
  }

  it("the update pass takes the preview's read of the same run instead of asking Moodle again", async () => {
    inRun("4242@1000");
    const preview = provider(false);
    await asOtherProcess(() => preview.wrapped.read!("enablewebservices", props));
    const update = provider(true);
    expect(await update.wrapped.read!("enablewebservices", props)).toEqual({ id: "enablewebservices", props: { ...props, enabled: false } });
    expect(update.reads).toEqual([]);
  });

  it("a later `pulumi` run reads from Moodle, even within seconds of the last one", async () => {
    inRun("4242@1000");
    await asOtherProcess(() => provider(false).wrapped.read!("enablewebservices", props));
    inRun("4243@1007");
    const next = provider(true);
    expect(await next.wrapped.read!("enablewebservices", props)).toEqual({ id: "enablewebservices", props: { ...props, enabled: true } });
    expect(next.reads).toEqual(["enablewebservices"]);
  });
});

describe("withHints: trace lines (MOODLE_PERCIPIO_TRACE)", () => {
  keepEnv("MOODLE_PERCIPIO_TRACE");
  let file: string;
  beforeEach(() => {
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpi-trace-")), "trace.log");
    process.env.MOODLE_PERCIPIO_TRACE = file;
  });
  afterEach(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  const lines = () => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => l.replace(/^.*? s: /, ""));

  it("each call traces its resource kind and method when it starts and how long it took when it ends", async () => {
    const wrapped = withHints({ create: async () => (await new Promise((r) => setTimeout(r, 30)), { id: "1", outs: {} }) } as any, "WebServiceToken");
    const before = Date.now();
    await wrapped.create({});
    const took = Date.now() - before;
    const [starts, ends, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(starts).toBe("WebServiceToken.create starts");
    const ms = Number(/^WebServiceToken\.create ends \((\d+) ms\)$/.exec(ends)?.[1]);
    expect(ms).toBeGreaterThanOrEqual(25);
    expect(ms).toBeLessThanOrEqual(took);
  });

  it("a failed call still traces its end", async () => {
    const wrapped = withHints({ delete: async () => Promise.reject(new Error("Moodle said no")) } as any, "PercipioSettings");
    await expect(wrapped.delete!("percipio", {})).rejects.toThrow("Moodle said no");
    expect(lines()).toEqual(["PercipioSettings.delete starts", expect.stringMatching(/^PercipioSettings\.delete ends \(\d+ ms\)$/)]);
  });
});

describe("pick", () => {
  it("keeps the named keys that have a value, falsy ones included, and leaves absent ones out (the engine refuses undefined)", () => {
    const picked = pick({ a: "", b: false, c: 0, d: undefined, e: "x" }, ["a", "b", "c", "d", "f"]);
    expect(picked).toStrictEqual({ a: "", b: false, c: 0 });
    expect(Object.keys(picked)).toEqual(["a", "b", "c"]);
  });
});
