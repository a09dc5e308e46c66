// Issue 18 item 5 through the Pulumi CLI itself (tests/support/cli.ts), as a user runs it: `pulumi up
// --yes` runs a preview pass and then the update pass, each with fresh provider processes. The
// preflight (login and its reads) runs in the preview pass; the update pass takes its receipt
// instead of reading everything again. Requests are counted by the Moodle double.
import { MANUAL_LOGIN_PATH } from "../../moodle/login";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../moodle-double";
import { pulumiCli, pulumiCliOk } from "../support/cli";
import { projectStack, TestStack } from "../support/engine";

jest.setTimeout(600_000);

const SERVICES_LIST = "GET /admin/settings.php?section=externalservices";
const LOGIN_PAGE = `GET ${MANUAL_LOGIN_PATH}`;
const PHASE_2 = {
  "moodle:percipioClientId": { value: "abc_DEF-123" },
  "moodle:percipioClientSecret": { value: "s3cr3t_VALUE-1", secret: true },
  "moodle:percipioOrganizationId": { value: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" },
  "moodle:percipioRegion": { value: "custom" },
  "moodle:percipioOauthUrl": { value: "https://oauth2-provider.develop.squads-dev.com" },
  "moodle:percipioApiUrl": { value: "https://api.percipio.com" },
};

/** Requests of one command, in order, as "METHOD path" with the sesskey's value left out. */
function requests(moodle: MoodleDouble): string[] {
  return moodle.control.requests().map((r) => `${r.method} ${r.path.replace(/sesskey=[^&]+/, "sesskey=S")}`);
}

/**
 * The sessions of one command: each provider process logs in once (one cached client) and the
 * engine's passes run one after the other, so a new login page starts the next process's requests.
 */
function sessions(log: string[]): string[][] {
  const out: string[][] = [];
  for (const r of log) {
    if (r === LOGIN_PAGE || out.length === 0) out.push([]);
    out[out.length - 1].push(r);
  }
  return out;
}

/** Sessions that ran the preflight: it reads the services list before anything is written. */
function preflightRuns(log: string[]): number {
  return sessions(log).filter((s) => {
    const list = s.indexOf(SERVICES_LIST);
    const firstWrite = s.findIndex((r) => r.startsWith("POST ") && !r.startsWith("POST /login/"));
    return list >= 0 && (firstWrite < 0 || list < firstWrite);
  }).length;
}

describe("requests of pulumi up as the CLI runs it (preview pass, then update pass)", () => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  let cache: string;
  const receipts = () => {
    const dir = path.join(cache, "preflight-receipts");
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== "salt") : [];
  };
  const run = async (args: string[]) => {
    moodle.control.clearRequests();
    const result = await pulumiCliOk(test, args);
    return { ...result, log: requests(moodle) };
  };

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-cli-cache-"));
    // The provider processes keep their receipts (and transpiled code) in this test's own folder.
    test = await projectStack({ envVars: { MOODLE_PERCIPIO_CACHE: cache } });
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminUser": { value: moodle.adminUser },
      "moodle:adminPassword": { value: moodle.adminPassword, secret: true },
      "moodle:tokenName": { value: "percipio-cli" },
    });
  });
  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it("a failing preflight stops the preview pass, changes nothing and leaves no receipt", async () => {
    await test.stack.setConfig("moodle:serviceShortname", { value: "Nope-API" });
    moodle.control.clearRequests();
    const result = await pulumiCli(test, ["up", "--yes"]);
    await test.stack.removeConfig("moodle:serviceShortname");
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/nothing was changed: moodle:serviceShortname: Moodle has no external service with shortname 'Nope-API'/);
    expect(requests(moodle).filter((r) => r.startsWith("POST ") && !r.startsWith("POST /login/"))).toEqual([]);
    expect(receipts()).toEqual([]);
  });

  it("first up (phase 1): the preflight runs once, in the preview pass; the update pass takes its receipt", async () => {
    const { log } = await run(["up", "--yes"]);
    expect(preflightRuns(log)).toBe(1);
    // The preview pass: login, the preflight's reads (web services, services list, the service's form).
    expect(sessions(log)[0]).toEqual([
      LOGIN_PAGE,
      "POST /login/index.php",
      "GET /admin/settings.php?section=optionalsubsystems",
      SERVICES_LIST,
      "GET /admin/webservice/service.php?id=3",
    ]);
    // Each of those pages is read again only by the step that writes it, in the update pass.
    expect(log.filter((r) => r === SERVICES_LIST)).toHaveLength(2);
    expect(log).toHaveLength(20);
    expect(receipts()).toEqual([]);
  });

  it("no-op up reads no preflight at all: only the refresh of each pass", async () => {
    const { log, stdout } = await run(["up", "--yes"]);
    expect(stdout).not.toMatch(/\+ \d+ to create|~ \d+ to update/);
    expect(preflightRuns(log)).toBe(0);
    expect(log.filter((r) => r === SERVICES_LIST)).toEqual([]);
    expect(log).toHaveLength(12);
  });

  it("phase-2 up: the preflight's reads appear once (preview pass), the update pass writes the settings only", async () => {
    await test.stack.setAllConfig(PHASE_2);
    const { log } = await run(["up", "--yes"]);
    expect(preflightRuns(log)).toBe(1);
    // Nothing in the update pass needs the services list: only the preflight reads it.
    expect(log.filter((r) => r === SERVICES_LIST)).toHaveLength(1);
    const update = sessions(log).at(-1)!;
    expect(update).toEqual([LOGIN_PAGE, "POST /login/index.php", "GET /admin/settings.php?section=modsettingpercipio", "POST /admin/settings.php?section=modsettingpercipio"]);
    expect(log).toHaveLength(22);
    expect(receipts()).toEqual([]);
  });
});
