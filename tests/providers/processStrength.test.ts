// The provider process's own plumbing (providers/process): which `pulumi` run it works for, which
// binds the preflight receipt and the carried session and reads to one `pulumi up`, and the trace
// file that shows where a run's time goes.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineRun } from "../../providers/process/engineRun";
import { trace } from "../../providers/process/trace";

/** Runs `fn` as a provider process started by `ppid` would. */
function startedBy<T>(ppid: number, fn: () => T): T {
  const saved = Object.getOwnPropertyDescriptor(process, "ppid")!;
  Object.defineProperty(process, "ppid", { value: ppid, configurable: true });
  try {
    return fn();
  } finally {
    Object.defineProperty(process, "ppid", saved);
  }
}

describe("engineRun", () => {
  it.each([
    ["the provider, above the pulumi-resource-pulumi-nodejs launcher", "pulumi-resource-pulumi-nodejs"],
    ["the program, above its language host", "pulumi-language-nodejs"],
  ])("names the pulumi process for %s, as if pulumi had started it itself", async (_who, between) => {
    // This test process stands for `pulumi`; a shell whose command line names the launcher or host, for it.
    const launcher = spawn("sh", ["-c", "sleep 60; :", between], { stdio: "ignore" });
    try {
      await new Promise((resolve, reject) => launcher.once("spawn", resolve).once("error", reject));
      const direct = startedBy(process.pid, engineRun);
      expect(direct).toMatch(new RegExp(`^${process.pid}@\\d+$`));
      expect(startedBy(launcher.pid!, engineRun)).toBe(direct);
    } finally {
      launcher.kill();
    }
  });

  it("without /proc is the parent's pid", () => {
    // The module itself: `import * as` gives a copy of its bindings that cannot be spied on.
    const nodeFs: typeof fs = require("fs");
    const readFileSync = nodeFs.readFileSync;
    const spy = jest.spyOn(nodeFs, "readFileSync").mockImplementation(((file: fs.PathOrFileDescriptor, ...rest: any[]) => {
      if (String(file).startsWith("/proc/")) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: "ENOENT" });
      return (readFileSync as any)(file, ...rest);
    }) as typeof fs.readFileSync);
    try {
      expect(startedBy(4242, engineRun)).toBe("4242");
    } finally {
      spy.mockRestore();
    }
  });
});

describe("trace", () => {
  let dir: string;
  const saved = process.env.MOODLE_PERCIPIO_TRACE;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-trace-"));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MOODLE_PERCIPIO_TRACE;
    else process.env.MOODLE_PERCIPIO_TRACE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("appends each line to MOODLE_PERCIPIO_TRACE with the time, the process and how long it has run", () => {
    const file = path.join(dir, "trace.log");
    process.env.MOODLE_PERCIPIO_TRACE = file;
    trace("WebServices.read starts");
    trace("WebServices.read ends (12 ms)");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z pid ${process.pid} up \\d+\\.\\d{3} s: WebServices\\.read starts$`));
    expect(lines[1]).toMatch(/ s: WebServices\.read ends \(12 ms\)$/);
  });

  it("writes nothing unless asked to", () => {
    delete process.env.MOODLE_PERCIPIO_TRACE;
    trace("WebServices.read starts");
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("never fails the run when the file cannot be written", () => {
    process.env.MOODLE_PERCIPIO_TRACE = path.join(dir, "no-such-folder", "trace.log");
    expect(() => trace("WebServices.read starts")).not.toThrow();
  });
});
