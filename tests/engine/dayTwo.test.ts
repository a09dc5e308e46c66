// Day two through the real engine (index.ts run by `pulumi`, refresh: always from Pulumi.yaml)
// against the Moodle double: a plan that cannot succeed changes nothing, drift without --refresh,
// replacements that never collide (expiry, site URL), what the outputs tell, and how errors read.
import axios from "axios";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { projectRoot, projectStack, TestStack } from "../../testkit/engine/engine";
import { setRecordedValidUntil } from "../support/recordedToken";

jest.setTimeout(240_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";
const PASSWORD_HINT = /run `pulumi up` once/g;

/** A loopback port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("day two through the real engine", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  let output: string[] = [];
  const onOutput = (line: string) => output.push(line);
  const state = () => moodle.control.state() as any;
  const tokens = () => state().tokens as { id: number; name: string; token: string; validuntil: number; lastaccess: number }[];
  const writes = () => moodle.control.requests().filter((r) => r.method === "POST" && !r.path.startsWith("/login/") && !r.path.startsWith("/lib/ajax/"));

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
      "moodle:tokenName": { value: "percipio-d2" },
      "moodle:serviceShortname": { value: "Nope-API" },
      "moodle:tokenUser": { value: "nobody@example.com" },
      "moodle:percipioClientId": { value: "abc_DEF-123" },
      "moodle:percipioClientSecret": { value: "s3cr3t_VALUE-1", secret: true },
      "moodle:percipioOrganizationId": { value: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" },
    });
  });
  beforeEach(() => {
    output = [];
  });
  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it("a plan that cannot succeed changes nothing; preview and up list every problem", async () => {
    moodle.control.clearRequests();
    await expect(test.stack.preview({ onOutput })).rejects.toThrow();
    const previewText = output.join("");
    output = [];
    await expect(test.stack.up({ onOutput })).rejects.toThrow();
    const upText = output.join("");
    for (const text of [previewText, upText]) {
      expect(text).toMatch(/moodle:serviceShortname: Moodle has no external service with shortname 'Nope-API'/);
      expect(text).toMatch(/moodle:tokenUser: .*nobody@example\.com/);
    }
    expect(writes()).toEqual([]);
    expect(state().config.enablewebservices).toBe("0");
    expect(state().config.webserviceprotocols).toBeUndefined();
    await test.stack.setConfig("moodle:serviceShortname", { value: "Percipio-API" });
    await test.stack.removeConfig("moodle:tokenUser");
  });

  it("a fresh up exports when the token was issued, and says Skillsoft needs the handoff", async () => {
    const up = await test.stack.up({ onOutput });
    // The stack and the component were recorded by the refused run; nothing in Moodle was.
    expect(up.summary.resourceChanges).toEqual({ create: 5, same: 2 });
    expect(up.outputs.tokenIssuedAt.value).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(up.outputs.nextSteps.value).toMatch(/^Done: .*Token issued on \d{4}-\d{2}-\d{2}: Skillsoft needs the handoff/);
  });

  it("Skillsoft using the token is not a change in a plain preview", async () => {
    const used = await axios.post(`${moodle.url}/webservice/rest/server.php`, new URLSearchParams({
      wstoken: tokens()[0].token,
      wsfunction: "percipio_image_upload",
      data: "{}",
      moodlewsrestformat: "json",
    }));
    expect(used.data).toMatchObject({ message: "Success" });
    expect(tokens()[0].lastaccess).toBeGreaterThan(0);
    const preview = await test.stack.preview({ onOutput, diff: true });
    expect(preview.changeSummary).toEqual({ same: 7 });
  });

  it("a plain up (no --refresh) sees a token deleted in Moodle and creates a new one", async () => {
    const before = (await test.stack.outputs()).tokenIssuedAt.value;
    moodle.control.patchState({ tokens: [] });
    const preview = await test.stack.preview({ onOutput });
    expect(preview.changeSummary).toMatchObject({ create: 1 });
    const up = await test.stack.up({ onOutput });
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    expect(tokens()).toHaveLength(1);
    expect(up.outputs.token.value).toBe(tokens()[0].token);
    expect(up.outputs.tokenIssuedAt.value).not.toBe(before);
  });

  it("an expired, never-used token is replaced new-first under a new name; nextSteps says to send the new handoff", async () => {
    const old = tokens()[0];
    // Moodle lists an expired token until its next use (then deletes it).
    moodle.control.patchState({ tokens: [{ ...old, validuntil: Math.floor(Date.now() / 1000) - 3 * 86400, lastaccess: 0 }] });
    // A refresh keeps the recorded valid-until (Moodle cannot edit a token): record the same date.
    await setRecordedValidUntil(test.stack, new Date(Date.now() - 3 * 86400e3).toISOString().slice(0, 10));
    const up = await test.stack.up({ onOutput });
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(tokens()).toHaveLength(1);
    expect(tokens()[0].id).not.toBe(old.id);
    expect(tokens()[0].name).not.toBe(old.name);
    expect(up.outputs.token.value).toBe(tokens()[0].token);
    expect(up.outputs.nextSteps.value).toMatch(/Token replaced on \d{4}-\d{2}-\d{2}: send the new handoff/);
  });

  it("a failed login is printed once per resource at most, with its hint once, and no stack trace", async () => {
    await test.stack.setConfig("moodle:adminUser", { value: "admin2" });
    moodle.control.patchState({ users: [...state().users, { ...state().users.find((u: any) => u.id === 2), id: 9, username: "admin2", email: "a2@example.com", password: "Other-Pass-9!" }] });
    await expect(test.stack.preview({ onOutput })).rejects.toThrow();
    const text = output.join("");
    expect(text).toMatch(/Invalid login/);
    expect((text.match(PASSWORD_HINT) ?? []).length).toBeGreaterThanOrEqual(1);
    expect((text.match(PASSWORD_HINT) ?? []).length).toBeLessThanOrEqual(7);
    expect(text).not.toMatch(/\n\s+at .*\.(ts|js):\d+/);
    await test.stack.setConfig("moodle:adminUser", { value: "admin" });
  });

  it("a site where nothing answers: each retry shows, and the error says nothing answers at moodle:url", async () => {
    await test.stack.setConfig("moodle:url", { value: `http://127.0.0.1:${await closedPort()}` });
    await expect(test.stack.preview({ onOutput })).rejects.toThrow();
    const text = output.join("");
    expect(text).toMatch(/retrying GET/);
    expect(text).toMatch(/Nothing answers at moodle:url/);
    await test.stack.setConfig("moodle:url", { value: moodle.url });
  });
});

/** A throw-away copy of the project (links), with its own file backend: scripts and CLI run there. */
function scratchProject(): { dir: string; env: NodeJS.ProcessEnv; run: (args: string[], input?: string) => SpawnSyncReturns<string>; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-scratch-"));
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-scratch-backend-"));
  const linked = ["index.ts", "Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json", "node_modules", "components", "config", "providers", "moodle", "percipio", "moodle-double", "scripts"];
  for (const name of linked) fs.symlinkSync(path.join(projectRoot, name), path.join(dir, name));
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: "scratch-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    MOODLE_PERCIPIO_IAC_ROOT: dir,
  };
  return {
    dir,
    env,
    run: (args, input) => spawnSync(args[0], args.slice(1), { cwd: dir, env, input: input ?? "", encoding: "utf8", timeout: 180_000 }),
    dispose: () => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(backend, { recursive: true, force: true });
    },
  };
}

describe("npm run up for a stack that did not ask for the double", () => {
  it("fails before Pulumi records anything when its Moodle does not answer, and starts no double", async () => {
    const scratch = scratchProject();
    try {
      const port = await closedPort();
      const url = `http://127.0.0.1:${port}`;
      expect(scratch.run(["pulumi", "stack", "init", "prodlike"]).status).toBe(0);
      expect(scratch.run(["pulumi", "config", "set", "moodle:url", url]).status).toBe(0);
      expect(scratch.run(["pulumi", "config", "set", "moodle:allowHttp", "true"]).status).toBe(0);
      expect(scratch.run(["pulumi", "config", "set", "--secret", "moodle:adminPassword", "Admin-Pass-1!"]).status).toBe(0);
      const up = spawnSync("bash", [path.join(scratch.dir, "scripts", "up.sh")], { cwd: scratch.dir, env: { ...scratch.env, STACK: "prodlike" }, encoding: "utf8", timeout: 300_000 });
      expect(up.status).not.toBe(0);
      expect(up.stderr).toMatch(/nothing answers at moodle:url http:\/\/127\.0\.0\.1:\d+ \(stack prodlike\)/);
      expect(up.stdout).not.toMatch(/double/i);
      const exported = JSON.parse(scratch.run(["pulumi", "stack", "export", "--stack", "prodlike"]).stdout);
      expect(exported.deployment?.resources ?? []).toEqual([]);
    } finally {
      scratch.dispose();
    }
  });
});

/** Every `pulumi config set …` command the README and docs/ show, as written (code blocks and inline code). */
function readmeConfigCommands(): string[] {
  const docs = fs.readdirSync(path.join(projectRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f));
  const readme = ["README.md", ...docs].map((f) => fs.readFileSync(path.join(projectRoot, f), "utf8")).join("\n");
  const fromBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n"));
  const inline = [...readme.matchAll(/`(pulumi config set [^`]+)`/g)].map((m) => m[1]);
  // Templates with a placeholder (<key>, …) are shown as patterns, not commands to type as they are.
  return [...fromBlocks, ...inline]
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line.startsWith("pulumi config set ") && !/[<…]/.test(line));
}

describe("the commands of the README and docs/", () => {
  it("every `pulumi config set` command shown works exactly as written", () => {
    const commands = readmeConfigCommands();
    expect(commands.length).toBeGreaterThanOrEqual(6);
    expect(commands.some((c) => c.includes("moodle:tokenValidUntil"))).toBe(true);
    const scratch = scratchProject();
    try {
      expect(scratch.run(["pulumi", "stack", "init", "readme"]).status).toBe(0);
      const refused = commands
        .map((command) => ({ command, result: scratch.run(["bash", "-c", command], "typed-secret-value\n") }))
        .filter(({ result }) => result.status !== 0)
        .map(({ command, result }) => `${command}: ${result.stderr.trim()}`);
      expect(refused).toEqual([]);
    } finally {
      scratch.dispose();
    }
  });
});
