// The policy pack (policy/) through the real engine: `pulumi preview --policy-pack policy` of this
// project's index.ts, one stack whose config changes between previews. Every preview first checks,
// read-only, that the Moodle it names answers (the preflight), so the production-like stack points
// at a Moodle double served over https with its own CA (moodle:caCertPath), the non-compliant one at
// a plain-http double; the adoption case needs a token in Moodle, so it runs last.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EngineEvent, PolicyEvent } from "@pulumi/pulumi/automation";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { projectRoot, projectStack, TestStack } from "../../testkit/engine/engine";
import { SelfSignedCert, selfSignedCert } from "../support/selfSignedCert";
import { latestValidUntil } from "../../policy/rules";

jest.setTimeout(600_000);

const POLICY_PACK = path.join(projectRoot, "policy");
const DAY_MS = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

const COMPLIANT: Record<string, string> = {
  // moodle:url and moodle:caCertPath: the https double's, set in beforeAll.
  "moodle:tokenName": "percipio-prod",
  "moodle:tokenIpRestriction": "203.0.113.10,198.51.100.0/24",
  "moodle:tokenValidUntil": inDays(300),
  "moodle:percipioClientId": "abc_DEF-123",
  "moodle:percipioOrganizationId": "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
  "moodle:percipioRegion": "eu",
};
const SECRETS = { "moodle:adminPassword": "Admin-Pass-1!", "moodle:percipioClientSecret": "s3cr3t_VALUE-1" };

interface PolicyRun {
  passed: boolean;
  violations: PolicyEvent[];
  output: string;
}

describe("policy pack through the real engine", () => {
  let test: TestStack & { dir: string };
  let moodle: MoodleDouble;
  let httpsMoodle: MoodleDouble;
  let tls: SelfSignedCert;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-policy-"));

  /** Plain keys set so far, so that a key a previous case added is removed again. */
  const plainKeys = new Set<string>();

  /** The stack's config: the compliant set with `changes` applied (undefined removes a key). */
  async function configure(changes: Record<string, string | undefined> = {}): Promise<void> {
    const wanted = { ...COMPLIANT, ...changes };
    const kept = Object.entries(wanted).filter((e): e is [string, string] => e[1] !== undefined);
    const removed = [...plainKeys].filter((k) => wanted[k] === undefined);
    await test.stack.setAllConfig(Object.fromEntries(kept.map(([k, value]) => [k, { value }])));
    if (removed.length) await test.stack.removeAllConfig(removed);
    plainKeys.clear();
    for (const [k] of kept) plainKeys.add(k);
  }

  async function previewWithPolicy(packConfig?: object): Promise<PolicyRun> {
    const events: EngineEvent[] = [];
    const lines: string[] = [];
    const policyPackConfigs: string[] = [];
    if (packConfig) {
      const file = path.join(scratch, `config-${Date.now()}.json`);
      fs.writeFileSync(file, JSON.stringify(packConfig));
      policyPackConfigs.push(file);
    }
    let passed = true;
    try {
      await test.stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs, onEvent: (e) => events.push(e), onOutput: (l) => lines.push(l) });
    } catch {
      passed = false;
    }
    const violations = events.map((e) => e.policyEvent).filter((p): p is PolicyEvent => !!p);
    return { passed, violations, output: lines.join("") };
  }

  const byPolicy = (run: PolicyRun, name: string) => run.violations.filter((v) => v.policyName === name);
  /** The message of a policy that must have reported exactly one violation. */
  const only = (run: PolicyRun, name: string): string => {
    const found = byPolicy(run, name);
    expect(found).toHaveLength(1);
    return found[0].message;
  };

  /** Runs `fn` with extra environment for the engine (and so for the plugins it starts). */
  async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
    const vars = test.stack.workspace.envVars;
    Object.assign(vars, env);
    try {
      return await fn();
    } finally {
      for (const key of Object.keys(env)) delete vars[key];
    }
  }
  const policiesIn = (run: PolicyRun) => [...new Set(run.violations.map((v) => v.policyName))].sort();

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    tls = selfSignedCert();
    httpsMoodle = await startMoodleDouble({ tls });
    COMPLIANT["moodle:url"] = httpsMoodle.url;
    COMPLIANT["moodle:caCertPath"] = tls.certPath;
    test = await projectStack({ envVars: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } });
    await test.stack.setAllConfig(Object.fromEntries(Object.entries(SECRETS).map(([k, value]) => [k, { value, secret: true }])));
    await configure();
  });

  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
    await httpsMoodle?.stop();
    tls?.dispose();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("a compliant production stack passes, and the pack did run", async () => {
    const run = await previewWithPolicy();
    expect(run.violations).toEqual([]);
    expect(run.passed).toBe(true);
    expect(run.output).toContain("moodle-percipio-production@v0.1.0");
  });

  // One stack breaking every mandatory rule at once keeps the engine runs few: each rule must
  // report its own mandatory violation (any one of which fails a preview) with its own message.
  it("a stack breaking each mandatory rule fails, each rule with its message naming the key to change", async () => {
    await configure({
      "moodle:url": moodle.url,
      "moodle:caCertPath": undefined,
      "moodle:allowHttp": "true",
      "moodle:tokenIpRestriction": undefined,
      "moodle:tokenValidUntil": inDays(400),
      "moodle:percipioRegion": "custom",
      "moodle:percipioOauthUrl": "https://oauth2-provider.percipio.example",
      "moodle:percipioApiUrl": "https://api.percipio.com",
    });
    const run = await withEnv({ NODE_TLS_REJECT_UNAUTHORIZED: "0" }, () => previewWithPolicy());
    expect(run.passed).toBe(false);
    expect(policiesIn(run)).toEqual([
      "moodle-https-only",
      "moodle-tls-verified",
      "moodle-token-expires",
      "moodle-token-ip-restricted",
      "percipio-region-hosts",
    ]);
    expect(run.violations.every((v) => v.enforcementLevel === "mandatory")).toBe(true);

    const https = byPolicy(run, "moodle-https-only");
    expect(https.map((v) => v.resourceUrn?.split("::").pop()).sort()).toEqual(
      ["percipio-service", "percipio-settings", "percipio-token", "rest-protocol", "web-services"],
    );
    for (const v of https) expect(v.message).toContain("moodle:allowHttp is true");
    expect(https[0].message).toContain("pulumi config rm moodle:allowHttp");
    expect(only(run, "moodle-tls-verified")).toContain("NODE_TLS_REJECT_UNAUTHORIZED=0");
    expect(only(run, "moodle-tls-verified")).toContain("moodle:caCertPath");
    expect(only(run, "moodle-token-ip-restricted")).toContain("moodle:tokenIpRestriction is empty");
    // The default limit (365 days) of the pack's config schema reaches the policy.
    expect(only(run, "moodle-token-expires")).toContain(
      `moodle:tokenValidUntil ${inDays(400)} is more than 365 days ahead: set it to ${latestValidUntil(new Date(), 365)} or earlier`,
    );
    expect(only(run, "percipio-region-hosts")).toContain("moodle:percipioOauthUrl 'https://oauth2-provider.percipio.example'");
    expect(only(run, "percipio-region-hosts")).toContain("set moodle:percipioRegion to us or eu");
  });

  it("advisory rules warn without failing: a wide IP range, and a rule the pack's config made advisory", async () => {
    await configure({ "moodle:tokenIpRestriction": "203.0.113.10,198.51.0.0/16" });
    const run = await previewWithPolicy({ "moodle-token-expires": { enforcementLevel: "advisory", maxValidityDays: 30 } });
    expect(run.passed).toBe(true);
    expect(run.violations.map((v) => [v.policyName, v.enforcementLevel]).sort()).toEqual([
      ["moodle-token-expires", "advisory"],
      ["moodle-token-ip-range-narrow", "advisory"],
    ]);
    expect(only(run, "moodle-token-ip-range-narrow")).toContain("moodle:tokenIpRestriction entry '198.51.0.0/16' is a range wider than /24");
    expect(only(run, "moodle-token-expires")).toContain("is more than 30 days ahead");
  });

  it("adopting a hand-made token that never expires and works from anywhere fails moodle-adopted-token-compliant", async () => {
    const service = (moodle.control.state() as any).services.find((s: any) => s.shortname === "Percipio-API");
    moodle.control.patchState({
      tokens: [
        { id: 900, token: "0123456789abcdef0123456789abcdef", name: "percipio-by-hand", userId: 2, serviceId: service.id,
          iprestriction: "", validuntil: 0, lastaccess: 0, creatorId: 2, timecreated: Math.floor(Date.now() / 1000) },
      ],
    });
    // The declared values comply; the token Moodle has does not. Only an `up` can see it (no policy here).
    await configure({
      "moodle:url": moodle.url,
      "moodle:caCertPath": undefined,
      "moodle:allowHttp": "true",
      "moodle:tokenName": "percipio-by-hand",
      "moodle:adoptExistingToken": "true",
      "moodle:percipioClientId": undefined,
      "moodle:percipioOrganizationId": undefined,
      "moodle:percipioRegion": undefined,
    });
    await test.stack.removeConfig("moodle:percipioClientSecret");
    await test.stack.up();

    const run = await previewWithPolicy();
    expect(run.passed).toBe(false);
    // The double speaks http, so moodle-https-only fails too.
    expect(policiesIn(run)).toEqual(["moodle-adopted-token-compliant", "moodle-https-only"]);
    const [adoption, ...more] = byPolicy(run, "moodle-adopted-token-compliant");
    expect(more).toEqual([]);
    expect(adoption.enforcementLevel).toBe("mandatory");
    expect(adoption.resourceUrn).toMatch(/WebServiceToken::percipio-token$/);
    expect(adoption.message).toContain("the adopted token 'percipio-by-hand''s IP restriction in Moodle is empty");
    expect(adoption.message).toContain(`"Valid until" in Moodle is empty, so the token never expires`);
    expect(adoption.message).toContain("pulumi config set moodle:adoptExistingToken false");
  });
});
