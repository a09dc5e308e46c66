// Issue 18 item 5 through the Pulumi CLI itself (testkit/engine/cli.ts), as a user runs it: `pulumi up
// --yes` runs a preview pass and then the update pass, each with fresh provider processes. The
// preflight (login and its reads) runs in the preview pass; the update pass takes its receipt
// instead of reading everything again. Requests are counted by the Moodle double.
import { MANUAL_LOGIN_PATH } from "../../moodle/login";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { pulumiCli, pulumiCliOk } from "../../testkit/engine/cli";
import { projectStack, TestStack } from "../../testkit/engine/engine";

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
 * The requests of each provider process of one command, in order: the engine's passes run one after
 * the other in processes of their own, and the client names its process in its User-Agent.
 */
function passes(moodle: MoodleDouble): string[][] {
  const byProcess = new Map<string, string[]>();
  for (const r of moodle.control.requests()) {
    const pid = /pid (\d+)/.exec(r.userAgent ?? "")?.[1] ?? "?";
    if (!byProcess.has(pid)) byProcess.set(pid, []);
    byProcess.get(pid)!.push(`${r.method} ${r.path.replace(/sesskey=[^&]+/, "sesskey=S")}`);
  }
  return [...byProcess.values()];
}

/** Passes that ran the preflight: it reads the services list before anything is written. */
function preflightRuns(moodle: MoodleDouble): number {
  return passes(moodle).filter((s) => {
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
    fs.rmSync(path.join(cache, "trace.log"), { force: true });
    const result = await pulumiCliOk(test, args);
    return { ...result, log: requests(moodle), passes: passes(moodle) };
  };

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    cache = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-cli-cache-"));
    // The provider processes keep their receipts (and transpiled code) in this test's own folder.
    test = await projectStack({ envVars: { MOODLE_PERCIPIO_CACHE: cache, MOODLE_PERCIPIO_TRACE: path.join(cache, "trace.log") } });
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

  it("first up (phase 1): one login and one preflight, both in the preview pass; the update pass takes the session and the receipt", async () => {
    const { log, passes } = await run(["up", "--yes"]);
    expect(preflightRuns(moodle)).toBe(1);
    expect(passes).toHaveLength(2);
    // The preview pass: login, the preflight's reads (web services, services list, the service's form).
    expect(passes[0]).toEqual([
      LOGIN_PAGE,
      "POST /login/index.php",
      "GET /admin/settings.php?section=optionalsubsystems",
      SERVICES_LIST,
      "GET /admin/webservice/service.php?id=3",
    ]);
    // Those reads are the program's (providers/webServices/warmUp.ts), made while the engine started the
    // provider process; the provider's check found them in the run's session carry and read nothing.
    const trace = fs.readFileSync(path.join(cache, "trace.log"), "utf8").split("\n");
    const providerPids = new Set(trace.filter((l) => / \w+\.(check|diff|create) starts$/.test(l)).map((l) => /pid (\d+)/.exec(l)![1]));
    const readers = trace.filter((l) => l.includes("GET /admin/settings.php?section=externalservices ->")).map((l) => /pid (\d+)/.exec(l)![1]);
    expect(readers).toHaveLength(1);
    expect(providerPids.size).toBeGreaterThanOrEqual(2);
    expect(providerPids.has(readers[0])).toBe(false);
    // The update pass logs in no more: it works in the session the preview pass opened.
    expect(log.filter((r) => r.startsWith("POST /login/"))).toHaveLength(1);
    // Nor does it read again what the preview pass read seconds ago (moodle/session.ts keepForRun): the
    // first step writes Advanced features straight away, and the service is not read again at all.
    expect(passes[1][0]).toBe("POST /admin/settings.php?section=optionalsubsystems");
    expect(log.filter((r) => r === SERVICES_LIST)).toHaveLength(1);
    expect(log.filter((r) => r === "GET /admin/webservice/service.php?id=3")).toHaveLength(1);
    // The new token is proven before it is handed off: the service's functions, one call of each.
    expect(log.filter((r) => r === "GET /admin/webservice/service_functions.php?id=3")).toHaveLength(1);
    expect(log.filter((r) => r === "POST /webservice/rest/server.php")).toHaveLength(3);
    // A new site lists every token on the report's first page: the list before and after the create,
    // with no report filter to set and reset.
    expect(log.filter((r) => r.includes("/admin/webservice/tokens.php"))).toEqual(["GET /admin/webservice/tokens.php", "POST /admin/webservice/tokens.php", "GET /admin/webservice/tokens.php"]);
    expect(log.filter((r) => r.includes("core_reportbuilder"))).toEqual([]);
    expect(log).toHaveLength(16);
    expect(receipts()).toEqual([]);
  });

  it("no-op up reads no preflight at all: one login and one read-back, in the preview pass; the update pass asks Moodle nothing", async () => {
    const { log, passes, stdout } = await run(["up", "--yes"]);
    expect(stdout).not.toMatch(/\+ \d+ to create|~ \d+ to update/);
    expect(preflightRuns(moodle)).toBe(0);
    expect(log.filter((r) => r === SERVICES_LIST)).toEqual([]);
    expect(log.filter((r) => r.startsWith("POST /login/"))).toHaveLength(1);
    // The update pass takes the preview pass's read-back of each resource (providers/process/readCarry.ts).
    expect(passes).toHaveLength(1);
    expect([...log].sort()).toEqual(
      [
        LOGIN_PAGE,
        "POST /login/index.php",
        "GET /admin/settings.php?section=optionalsubsystems",
        "GET /admin/settings.php?section=webserviceprotocols",
        "GET /admin/webservice/service.php?id=3",
        // The token: one call per function of the service proves Moodle still accepts it (and that it exists).
        ...Array(3).fill("POST /webservice/rest/server.php"),
      ].sort(),
    );
  });

  it("phase-2 up: the preflight's reads appear once (preview pass), the update pass writes the settings only", async () => {
    await test.stack.setAllConfig(PHASE_2);
    const { log, passes } = await run(["up", "--yes"]);
    expect(preflightRuns(moodle)).toBe(1);
    // Nothing in the update pass needs the services list: only the preflight reads it.
    expect(log.filter((r) => r === SERVICES_LIST)).toHaveLength(1);
    // The settings page the preflight read seconds ago is the one the write is checked against.
    expect(passes.at(-1)).toEqual(["POST /admin/settings.php?section=modsettingpercipio"]);
    expect(log.filter((r) => r.startsWith("POST /login/"))).toHaveLength(1);
    // The preflight takes the pages the refresh read seconds before (Advanced features, the service's
    // form): within one `up`, no page is read twice while nothing wrote to it.
    const reads = log.filter((r) => r.startsWith("GET /admin/"));
    expect(reads).toEqual([...new Set(reads)]);
    expect(log).toHaveLength(11);
    expect(receipts()).toEqual([]);
  });
});
