// moodle:mode=docker for real: this project's index.ts through the real Pulumi engine, the real
// Docker provider plugin (../shared/thirdparty) and a private dockerd (scripts/docker-engine.sh),
// with stand-in images built here (scripts/docker-images.sh: a Moodle image honouring
// erseco/alpine-moodle's contract, from the shared Moodle 5.0.6+ tarball, and a PostgreSQL image).
// In CI (CI=true) a missing ../shared/thirdparty fails the suite; elsewhere it is skipped with the
// reason printed.
import AdmZip from "adm-zip";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { pulumiCli } from "../../testkit/engine/cli";
import { projectStack, TestStack } from "../../testkit/engine/engine";
import {
  buildImages,
  callRest,
  docker,
  Engine,
  freePort,
  missingPrerequisite,
  PLUGIN_ZIP,
  providerDir,
  startEngine,
  watchToken,
} from "./helpers/realDocker";

jest.setTimeout(1_200_000);

const ADMIN_PASSWORD = "Admin-Pass-1";
const NEW_ADMIN_PASSWORD = "Rotated-Pass-2";
const DB_PASSWORD = "db-Pass-1234";
/** A mod_percipio function: with a valid token and no arguments Moodle answers "invalidparameter". */
const PERCIPIO_FUNCTION = "percipio_progress_tracking";

const missing = missingPrerequisite();
if (missing && process.env.CI === "true") {
  // Fail loudly in CI: these are the only tests of the Docker mode against real Docker.
  describe("Docker mode through the real engine", () => {
    it("has its prerequisites", () => {
      throw new Error(`cannot run in CI: ${missing}`);
    });
  });
} else if (missing) {
  console.warn(`[docker] SKIPPED the real-engine Docker suite: ${missing}`);
  describe.skip("Docker mode through the real engine (prerequisites missing, see the warning)", () => {
    it("runs", () => undefined);
  });
} else {
  realSuite();
}

/** Seconds each step took, printed at the end (README and docs/docker.md quote them). */
const timings: Record<string, number> = {};
async function timed<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[step] = Math.round((Date.now() - t0) / 100) / 10;
  }
}

/** The shared zip with version.php's $plugin->version set to `version`: a plugin upgrade. */
function zipWithVersion(version: number, file: string): void {
  const zip = new AdmZip(PLUGIN_ZIP);
  const entry = zip.getEntry("percipio/version.php")!;
  const text = entry.getData().toString("utf8").replace(/\$plugin->version = \d+;/, `$plugin->version = ${version};`);
  zip.updateFile(entry, Buffer.from(text));
  fs.writeFileSync(file, zip.toBuffer());
}

function steps(events: EngineEvent[]): { name: string; type: string; op: string }[] {
  return events
    .map((e) => e.resourcePreEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m)
    .map((m) => ({ name: m.urn.split("::").pop() as string, type: m.type, op: m.op }));
}

function realSuite() {
  describe("Docker mode through the real engine", () => {
    let engine: Engine;
    let images: { moodleImage: string; databaseImage: string };
    let test: TestStack & { dir: string };
    let siteUrl: string;
    let namePrefix: string;
    let zipFile: string;
    let token: string;
    let tokenIssuedAt: string;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-docker-"));

    const dockerCli = (...args: string[]) => docker(engine.dockerHost, args);
    const outputs = async () => {
      const o = await test.stack.outputs();
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
    };
    const containerId = (name: string) => dockerCli("inspect", "--format", "{{.Id}}", name);
    /** Requests the Moodle container's web server logged since `since` (epoch seconds; health checks are not logged). */
    const moodleRequests = (since: number) =>
      dockerCli("logs", "--since", String(since), `${namePrefix}-moodle`)
        .split("\n")
        .filter((l) => /"(GET|POST) \//.test(l)).length;

    async function dockerStack(name: string, config: Record<string, unknown>): Promise<TestStack & { dir: string }> {
      const stack = await projectStack({
        stackName: name,
        envVars: { DOCKER_HOST: engine.dockerHost, PATH: `${providerDir()}:${process.env.PATH}` },
        limits: { timeoutMs: 900_000 },
      });
      await stack.stack.setAllConfig({
        "moodle:mode": { value: "docker" },
        "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
        "moodle:dockerDatabasePassword": { value: DB_PASSWORD, secret: true },
      });
      // The object as a user sets it: `pulumi config set --path 'moodle:docker.<key>' <value>`.
      await stack.stack.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [`moodle:docker.${k}`, { value: String(v) }])),
        true,
      );
      return stack;
    }

    beforeAll(async () => {
      engine = await timed("engine start", () => startEngine());
      images = await timed("images (build or cache)", () => buildImages(engine.dockerHost));
      providerDir();
      const port = await freePort();
      siteUrl = `http://localhost:${port}`;
      namePrefix = `mpi-ci-${process.pid}`;
      zipFile = path.join(work, "mod_percipio.zip");
      fs.copyFileSync(PLUGIN_ZIP, zipFile);
      test = await dockerStack("docker", {
        pluginZip: zipFile,
        image: images.moodleImage,
        databaseImage: images.databaseImage,
        hostPort: port,
        namePrefix,
      });
    });

    afterAll(async () => {
      try {
        // A test that failed half-way leaves resources: destroy them (idempotent after the destroy test).
        await test?.dispose();
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
        engine?.stop();
        console.log(`[docker] step times (s): ${JSON.stringify(timings)}`);
      }
    });

    it("a plain `pulumi up --yes` of the new stack (preview pass first) creates the site, installs mod_percipio from the zip, and the token works over REST", async () => {
      // As a user types it: the preview pass must not ask the Moodle this update creates anything (issue 27).
      const since = Math.floor(Date.now() / 1000);
      const result = await timed("first plain pulumi up --yes", () => pulumiCli(test, ["up", "--yes"], { timeoutMs: 900_000 }));
      fs.writeFileSync(path.join(os.tmpdir(), "mpi-docker-first-up.txt"), `${result.stdout}\n${result.stderr}`);
      expect({ code: result.code, stderr: result.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.any(String) });
      expect(result.stdout).toContain("run during the update, as soon as it answers");
      expect(result.stdout).not.toMatch(/ECONNREFUSED|nothing was changed/);
      expect(result.stdout).toMatch(/\+ 1[0-9] created/);
      const types = (await test.stack.exportStack()).deployment.resources.map((r: { type: string }) => r.type.split(":").pop());
      expect(types).toEqual(expect.arrayContaining(["Container", "Container", "Network", "RemoteImage", "RemoteImage", "Volume", "Volume", "WebServiceToken"]));
      timings["first plain up: Moodle requests"] = moodleRequests(since);
      const out = await outputs();
      expect(out.moodleUrl).toBe(siteUrl);
      token = out.token;
      tokenIssuedAt = out.tokenIssuedAt;
      expect(token).toMatch(/^[0-9a-f]{32}$/);

      const login = await fetch(`${siteUrl}/login/index.php`, { redirect: "manual" });
      expect(login.status).toBe(200);
      expect(await login.text()).toMatch(/<form[^>]*id="login"/);
      // The token reaches the plugin's function: Moodle checked token, service and function, then the arguments.
      expect(await callRest(siteUrl, token, PERCIPIO_FUNCTION)).toMatchObject({ kind: "json", errorcode: "invalidparameter" });
      expect(await callRest(siteUrl, "0".repeat(32), PERCIPIO_FUNCTION)).toMatchObject({ kind: "json", errorcode: "invalidtoken" });
      expect(dockerCli("exec", `${namePrefix}-moodle`, "php", "/var/www/html/admin/cli/cfg.php", "--component=mod_percipio", "--name=version")).toBe(
        "2022022124",
      );
    });

    it("`pulumi preview --expect-no-changes` right after passes (the running Moodle is checked, nothing planned)", async () => {
      const since = Math.floor(Date.now() / 1000);
      const result = await timed("no-op pulumi preview", () => pulumiCli(test, ["preview", "--expect-no-changes"]));
      expect({ code: result.code, out: result.code === 0 ? "" : result.stdout + result.stderr }).toEqual({ code: 0, out: "" });
      expect(result.stdout).not.toContain("run during the update");
      timings["no-op preview: Moodle requests"] = moodleRequests(since);
    });

    it("a new plugin zip replaces the Moodle container only; volumes, site and the same token stay valid throughout", async () => {
      const before = { db: containerId(`${namePrefix}-db`), moodle: containerId(`${namePrefix}-moodle`) };
      // A file in moodledata that only the kept volume can still hold afterwards.
      dockerCli("exec", `${namePrefix}-moodle`, "touch", "/var/www/moodledata/kept-by-the-volume");
      zipWithVersion(2022022125, zipFile);
      const events: EngineEvent[] = [];
      const output: string[] = [];
      const watch = watchToken(siteUrl, token, PERCIPIO_FUNCTION);
      const result = await timed("up after a zip change (--diff)", () =>
        test.stack.up({ diff: true, onOutput: (l) => output.push(l), onEvent: (e) => events.push(e) }),
      );
      const answers = await watch.stop();
      expect(result.summary.result).toBe("succeeded");

      const changed = steps(events).filter((s) => !["same", "refresh", "read"].includes(s.op));
      expect(changed.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic"))).toEqual([]);
      expect([...new Set(changed.map((s) => s.name))]).toEqual([`moodle-moodle`]);
      expect(containerId(`${namePrefix}-moodle`)).not.toBe(before.moodle);
      expect(containerId(`${namePrefix}-db`)).toBe(before.db);
      dockerCli("exec", `${namePrefix}-moodle`, "test", "-f", "/var/www/moodledata/kept-by-the-volume");

      const out = await outputs();
      expect(out.token).toBe(token);
      expect(out.tokenIssuedAt).toBe(tokenIssuedAt);
      expect(out.nextSteps).not.toMatch(/send the new handoff/i);
      // While the container was replaced the site was down; whenever it answered, the token was valid.
      expect(answers.filter((a) => a.kind === "json" && a.errorcode !== "invalidparameter")).toEqual([]);
      expect(await callRest(siteUrl, token, PERCIPIO_FUNCTION)).toMatchObject({ errorcode: "invalidparameter" });
      expect(dockerCli("exec", `${namePrefix}-moodle`, "php", "/var/www/html/admin/cli/cfg.php", "--component=mod_percipio", "--name=version")).toBe(
        "2022022125",
      );

      // The diff and the state name the zip by path and hash, not its content.
      const printed = output.join("");
      expect(printed).toContain("sourceHash");
      expect(printed.length).toBeLessThan(200_000);
      const state = JSON.stringify(await test.stack.exportStack());
      timings["state size (KB)"] = Math.round(state.length / 1024);
      expect(state.length).toBeLessThan(300_000);
    });

    it("an admin-password change replaces the Moodle container; the site follows and keeps its token", async () => {
      await test.stack.setConfig("moodle:adminPassword", { value: NEW_ADMIN_PASSWORD, secret: true });
      const events: EngineEvent[] = [];
      const result = await timed("up after an admin-password change", () => test.stack.up({ onOutput: test.onOutput, onEvent: (e) => events.push(e) }));
      expect(result.summary.result).toBe("succeeded");
      const changed = steps(events).filter((s) => !["same", "refresh", "read"].includes(s.op));
      expect(changed.filter((s) => s.op === "replace" || s.op === "create-replacement").map((s) => s.name)).toEqual(
        expect.arrayContaining(["moodle-moodle"]),
      );
      expect(changed.filter((s) => s.type.startsWith("pulumi-nodejs:dynamic") && s.op !== "update")).toEqual([]);
      const out = await outputs();
      expect(out.token).toBe(token);
      expect(await callRest(siteUrl, token, PERCIPIO_FUNCTION)).toMatchObject({ errorcode: "invalidparameter" });
      // The integration logged in with the new password: a refresh-first preview sees no change.
      const preview = await timed("no-op preview after the password change", () => test.stack.preview({ expectNoChanges: true, onOutput: test.onOutput }));
      expect(Object.keys(preview.changeSummary).filter((op) => op !== "same")).toEqual([]);
    });

    it("a wrong moodle:docker.pluginDir fails at the container's failed start (about a minute, not the readiness limit) with one message naming the key, without a stack trace", async () => {
      const port = await freePort();
      const wrong = await dockerStack("wrongdir", {
        pluginZip: zipFile,
        image: images.moodleImage,
        databaseImage: images.databaseImage,
        hostPort: port,
        namePrefix: `${namePrefix}-w`,
        pluginDir: "/var/www/html/public/mod/percipio",
      });
      try {
        const output: string[] = [];
        const t0 = Date.now();
        const error = await timed("up with a wrong pluginDir (fails)", () =>
          wrong.stack.up({ onOutput: (l) => output.push(l) }).then(
            () => undefined,
            (e: Error) => e,
          ),
        );
        const seconds = (Date.now() - t0) / 1000;
        expect(error).toBeDefined();
        const text = `${output.join("")}\n${error!.message}`;
        const printed = output.join("");
        fs.writeFileSync(path.join(os.tmpdir(), "mpi-wrongdir-output.txt"), text);
        expect(printed).toContain("moodle:docker.pluginDir is /var/www/html/public/mod/percipio, but /var/www/html/public is not Moodle's code root");
        // One error diagnostic (the CLI shows it as it happens and again under "Diagnostics:").
        const diagnostics = printed.slice(printed.indexOf("Diagnostics:"));
        expect(diagnostics.match(/^\s*error: /gm)).toHaveLength(1);
        expect(diagnostics.match(/is not starting/g)).toHaveLength(1);
        expect(text).not.toContain("error serializing property");
        expect(text).not.toMatch(/unhandled exception|\n\s+at .+:\d+:\d+\)?\n/);
        // Found from the container's failed start, not at the 900 s readiness limit: 38–51 s on an idle
        // machine, 66 s with other suites running; the bound tells the two causes apart, not the speed.
        console.log(`[docker] wrong pluginDir failed after ${seconds.toFixed(1)} s`);
        expect(seconds).toBeLessThan(180);
      } finally {
        await timed("destroy of the failed stack", () => wrong.dispose());
      }
      expect(dockerCli("ps", "-a", "--filter", `name=${namePrefix}-w-`, "--format", "{{.Names}}")).toBe("");
    });

    it("destroy removes everything but the images", async () => {
      const result = await timed("destroy", () => test.stack.destroy({ onOutput: test.onOutput }));
      expect(result.summary.result).toBe("succeeded");
      expect(dockerCli("ps", "-a", "--filter", `name=${namePrefix}`, "--format", "{{.Names}}")).toBe("");
      expect(dockerCli("volume", "ls", "--filter", `name=${namePrefix}`, "--format", "{{.Name}}")).toBe("");
      expect(dockerCli("network", "ls", "--filter", `name=${namePrefix}`, "--format", "{{.Name}}")).toBe("");
      expect(dockerCli("image", "inspect", "--format", "{{.Id}}", images.moodleImage)).toMatch(/^sha256:/);
      expect(dockerCli("image", "inspect", "--format", "{{.Id}}", images.databaseImage)).toMatch(/^sha256:/);
    });
  });
}
