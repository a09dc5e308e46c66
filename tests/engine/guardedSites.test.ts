// Guarded production sites through the real engine and the `pulumi` CLI as users type it (preview pass
// included), against the Moodle double taught each guard from Moodle 5.0.6's source and the real site's
// pages: an admin with a TOTP second factor, a login page that redirects to single sign-on, a lockout
// threshold, and a token Moodle refuses for the Percipio functions.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { pulumiCli } from "../../testkit/engine/cli";
import { projectStack, TestStack } from "../../testkit/engine/engine";
import { checkStack } from "../../drift/checkStack";
import { pulumiCli as pulumiCommand } from "../../testkit/engine/engine";

jest.setTimeout(600_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";
const TOTP_KEY = "JBSWY3DPEHPK3PXP";

interface Site {
  moodle: MoodleDouble;
  test: TestStack & { dir: string };
  cache: string;
  state(): any;
  requests(method: string, prefix: string): string[];
}

/** A fresh double and a stack pointed at it, with its own cache folder (ledger, carried sessions, receipts). */
async function site(name: string, config: Record<string, { value: string; secret?: boolean }> = {}): Promise<Site> {
  const moodle = await startMoodleDouble({ control: true });
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), `mpi-${name}-cache-`));
  const test = await projectStack({ stackName: name, envVars: { MOODLE_PERCIPIO_CACHE: cache } });
  await test.stack.setAllConfig({
    "moodle:url": { value: moodle.url },
    "moodle:allowHttp": { value: "true" },
    "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
    "moodle:tokenName": { value: `percipio-${name}` },
    ...config,
  });
  return {
    moodle,
    test,
    cache,
    state: () => moodle.control.state() as any,
    requests: (method, prefix) => moodle.control.requests().filter((r) => r.method === method && r.path.startsWith(prefix)).map((r) => r.path),
  };
}

/** Another stack on the same site and machine (its cache folder too), as another team's stack would be. */
async function secondStack(s: Site, name: string, config: Record<string, { value: string; secret?: boolean }> = {}) {
  const other = await projectStack({ stackName: name, envVars: { MOODLE_PERCIPIO_CACHE: s.cache } });
  await other.stack.setAllConfig({
    "moodle:url": { value: s.moodle.url },
    "moodle:allowHttp": { value: "true" },
    "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
    "moodle:tokenName": { value: `percipio-${name}` },
    ...config,
  });
  return other;
}

async function dispose(s: Site | undefined): Promise<void> {
  if (!s) return;
  try {
    await s.test.dispose();
  } finally {
    await s.moodle.stop();
    fs.rmSync(s.cache, { recursive: true, force: true });
  }
}

const text = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

describe("an admin with a TOTP second factor (tool_mfa)", () => {
  let s: Site;
  const admin = () => s.state().users.find((u: any) => u.id === 2);
  const codesSent = () => s.requests("POST", "/admin/tool/mfa/auth.php").length;

  beforeAll(async () => {
    s = await site("mfa", { "moodle:adminTotpSecret": { value: TOTP_KEY.replace(/(.{4})/g, "$1 ").trim(), secret: true } });
    const users = s.state().users.map((u: any) => (u.id === 2 ? { ...u, mfa: { totp: { secret: TOTP_KEY, lastverified: 0, lockcounter: 0 } } } : u));
    // As an admin sets it up: tool_mfa and the authenticator-app factor on, the email factor off.
    s.moodle.control.patchState({
      users,
      pluginConfig: { ...s.state().pluginConfig, tool_mfa: { ...s.state().pluginConfig.tool_mfa, enabled: "1" }, factor_totp: { ...s.state().pluginConfig.factor_totp, enabled: "1" }, factor_email: { ...s.state().pluginConfig.factor_email, enabled: "0" } },
    });
  });
  afterAll(() => dispose(s));

  it("pulumi up --yes: one login and one code for both passes; the key never appears in the output", async () => {
    s.moodle.control.clearRequests();
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect({ code: up.code, out: up.code ? text(up) : "" }).toEqual({ code: 0, out: "" });
    expect(s.requests("POST", "/login/index.php")).toHaveLength(1);
    expect(codesSent()).toBe(1);
    expect(admin().mfa.totp.lockcounter).toBe(0);
    expect(text(up)).not.toContain(TOTP_KEY);
    expect(text(up)).not.toContain("JBSW Y3DP");
    const exported = JSON.stringify(await s.test.stack.exportStack());
    expect(exported).not.toContain(TOTP_KEY);
  });

  it("pulumi preview right after: a code of a later period (never the same one twice), said while it waits", async () => {
    const firstVerified = admin().mfa.totp.lastverified;
    s.moodle.control.clearRequests();
    const preview = await pulumiCli(s.test, ["preview", "--expect-no-changes"]);
    expect({ code: preview.code, out: preview.code ? text(preview) : "" }).toEqual({ code: 0, out: "" });
    expect(codesSent()).toBe(1);
    // Moodle refused nothing: no code was spent twice, and the counter towards the lockout stayed at 0.
    expect(admin().mfa.totp.lockcounter).toBe(0);
    expect(Math.floor(admin().mfa.totp.lastverified / 30)).toBeGreaterThan(Math.floor(firstVerified / 30));
  });

  it("the admin's authenticator app set up again (the stack's key is now wrong): one attempt, an error naming moodle:adminTotpSecret; the next run does not try it again", async () => {
    const moodleKey = (secret: string) =>
      s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, mfa: { totp: { ...u.mfa.totp, secret } } } : u)) });
    moodleKey("KRUGS4ZANFZSAYJA");
    s.moodle.control.clearRequests();
    const first = await pulumiCli(s.test, ["preview"]);
    expect(first.code).not.toBe(0);
    expect(text(first)).toMatch(/refused the code made from moodle:adminTotpSecret/);
    expect(codesSent()).toBe(1);
    expect(admin().mfa.totp.lockcounter).toBe(1);
    s.moodle.control.clearRequests();
    const second = await pulumiCli(s.test, ["preview"]);
    expect(text(second)).toMatch(/refused this moodle:adminTotpSecret earlier .* it is not tried again before .*remove the folder totp-ledger/);
    expect(codesSent()).toBe(0);
    expect(admin().mfa.totp.lockcounter).toBe(1);
    moodleKey(TOTP_KEY);
    // Moodle's side was what changed: the message's own way to try the key again at once.
    fs.rmSync(path.join(s.cache, "totp-ledger"), { recursive: true, force: true });
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, mfa: { totp: { ...u.mfa.totp, lockcounter: 0 } } } : u)) });
  });

  it("a drift check over two stacks of the site (sharing the report's session) spends one code for both", async () => {
    const other = await secondStack(s, "mfa-second", { "moodle:adminTotpSecret": { value: TOTP_KEY, secret: true } });
    try {
      const deployed = await pulumiCli(other, ["up", "--yes"]);
      expect(deployed.code).toBe(0);
      s.moodle.control.clearRequests();
      const { command } = await pulumiCommand();
      // What drift/fleet.ts gives every stack of one report.
      const scope = { MOODLE_PERCIPIO_SESSION_SCOPE: `drift:test-${process.pid}` };
      for (const t of [s.test, other]) {
        const envVars = { ...(t.stack.workspace as unknown as { envVars: Record<string, string> }).envVars, ...scope };
        const report = await checkStack(t.stack.name, { projectDir: t.dir, pulumi: command, envVars, repair: false, expiryWarningDays: 14, today: new Date() });
        expect(report.status).toBe("clean");
      }
      expect(s.requests("POST", "/login/index.php")).toHaveLength(1);
      expect(codesSent()).toBe(1);
      expect(admin().mfa.totp.lockcounter).toBe(0);
    } finally {
      await other.dispose();
    }
  });

  it("a new stack without a key: Moodle's second factor is named with what works unattended; nothing is written", async () => {
    const other = await secondStack(s, "mfa-nokey");
    try {
      s.moodle.control.clearRequests();
      const preview = await pulumiCli(other, ["preview"]);
      expect(preview.code).not.toBe(0);
      expect(text(preview)).toMatch(/asks the admin for a second factor .*no moodle:adminTotpSecret is set; what works unattended/);
      expect(codesSent()).toBe(0);
      expect(s.moodle.control.requests().filter((r) => r.method === "POST" && !r.path.startsWith("/login/"))).toEqual([]);
    } finally {
      await other.dispose();
    }
  });
});

describe("a login page that redirects to single sign-on", () => {
  let s: Site;
  beforeAll(async () => {
    s = await site("sso");
    const pc = s.state().pluginConfig;
    // Core's alternate login URL and both SSO plugins redirecting at once: each bypass is Moodle's own.
    s.moodle.control.patchState({
      config: { ...s.state().config, alternateloginurl: "https://sso.example.com/login", auth: "email,saml2,oidc" },
      pluginConfig: {
        ...pc,
        auth_saml2: { duallogin: "0", idpmetadata: "https://idp.example.com/sso" },
        auth_oidc: { forceredirect: "1", authendpoint: "https://login.example.com/authorize", clientid: "moodle" },
      },
    });
  });
  afterAll(() => dispose(s));

  it("pulumi up --yes reaches the manual form with the bypasses and deploys; a no-op preview follows", async () => {
    const plain = await fetch(`${s.moodle.url}/login/index.php`, { redirect: "manual" });
    expect(plain.status).toBeGreaterThanOrEqual(300);
    s.moodle.control.clearRequests();
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect({ code: up.code, out: up.code ? text(up) : "" }).toEqual({ code: 0, out: "" });
    expect(s.requests("GET", "/login/index.php")).toEqual(["/login/index.php?loginredirect=0&saml=off&noredirect=1"]);
    const preview = await pulumiCli(s.test, ["preview", "--expect-no-changes"]);
    expect({ code: preview.code, out: preview.code ? text(preview) : "" }).toEqual({ code: 0, out: "" });
  });

  it("an admin account of a single sign-on method: the error says so and asks for a manual-auth account", async () => {
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, auth: "saml2" } : u)) });
    try {
      const preview = await pulumiCli(s.test, ["preview"]);
      // A read-back that cannot log in keeps the resource as recorded and says why (a rotated password is the usual cause).
      expect(text(preview)).toMatch(/cannot sign in with a password \(its authentication method is single sign-on/);
      expect(text(preview)).toMatch(/must use manual accounts authentication/);
    } finally {
      s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, auth: "manual" } : u)) });
    }
  });
});

describe("a lockout threshold and a stale password", () => {
  let s: Site;
  beforeAll(async () => {
    s = await site("lockout");
    s.moodle.control.patchState({ config: { ...s.state().config, lockoutthreshold: "3" } });
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect(up.code).toBe(0);
    // Someone changed the admin's password in Moodle: the stack's is stale.
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, password: "Changed-In-Moodle-1" } : u)) });
  });
  afterAll(async () => {
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 2 ? { ...u, password: ADMIN_PASSWORD, lockout: undefined } : u)) });
    await dispose(s);
  });

  it("each preview makes one failed login; once Moodle locked the account, it is reported as locked, and so by the drift report", async () => {
    for (let i = 1; i <= 3; i++) {
      s.moodle.control.clearRequests();
      const preview = await pulumiCli(s.test, ["preview"]);
      expect(s.requests("POST", "/login/index.php")).toHaveLength(1);
      expect(text(preview)).toMatch(/Invalid login.*check moodle:adminUser \/ moodle:adminPassword/i);
    }
    s.moodle.control.clearRequests();
    const locked = await pulumiCli(s.test, ["preview"]);
    expect(locked.code).not.toBe(0);
    expect(text(locked)).toMatch(/the account is locked after too many failed logins/);
    expect(text(locked)).toMatch(/Unlock account/);
    expect(text(locked)).not.toMatch(/check moodle:adminUser/);
    expect(s.requests("POST", "/login/index.php")).toHaveLength(1);
    const { command } = await pulumiCommand();
    const ws = s.test.stack.workspace as unknown as { envVars: Record<string, string> };
    const report = await checkStack(s.test.stack.name, { projectDir: s.test.dir, pulumi: command, envVars: ws.envVars, repair: false, expiryWarningDays: 14, today: new Date() });
    expect(report.status).toBe("locked");
    expect(report.message).toMatch(/the account is locked/);
  });
});

describe("a token Moodle refuses for the Percipio functions", () => {
  let s: Site;
  const jdoe = (extra: Record<string, unknown>) => ({ id: 7, username: "jdoe", password: "Jdoe-Pass-1!", firstname: "J", lastname: "Doe", email: "jdoe@example.com", siteAdmin: false, ...extra });
  const PERCIPIO_CAPABILITIES = ["webservice/rest:use", "moodle/category:manage", "moodle/course:create", "moodle/course:visibility", "moodle/course:update",
    "moodle/course:changecategory", "moodle/course:changeshortname", "moodle/course:changeidnumber", "moodle/site:config", "enrol/self:config", "moodle/grade:manage"];

  beforeAll(async () => {
    s = await site("refused", { "moodle:tokenUser": { value: "jdoe@example.com" } });
    s.moodle.control.patchState({ users: [...s.state().users, jdoe({})] });
  });
  afterAll(() => dispose(s));

  it("pulumi up --yes fails naming the user and what it lacks; no token is left in Moodle, nothing says Done", async () => {
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(text(up)).toMatch(/Moodle refuses the token '.*' for the service 'Percipio-API': .*"jdoe@example.com" lacks the capability webservice\/rest:use/);
    expect(text(up)).toMatch(/deleted again and nothing was handed off/);
    expect(s.state().tokens.filter((t: any) => t.userId === 7)).toEqual([]);
    const outputs = await s.test.stack.outputs();
    expect(outputs.nextSteps?.value ?? "").not.toMatch(/Done/);
  });

  it("once the user has what the functions need, up deploys and says Done", async () => {
    s.moodle.control.patchState({
      roleCapabilities: { wsrole: Object.fromEntries(PERCIPIO_CAPABILITIES.map((c) => [c, "allow"])) },
      users: s.state().users.map((u: any) => (u.id === 7 ? { ...u, roleAssignments: [{ role: "wsrole" }] } : u)),
    });
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect({ code: up.code, out: up.code ? text(up) : "" }).toEqual({ code: 0, out: "" });
    expect((await s.test.stack.outputs()).nextSteps.value).toMatch(/^Phase 1 done/);
  });

  it("a user suspended later: preview shows the token as drift with Moodle's reason; up fails saying what is left; the drift report says drift", async () => {
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 7 ? { ...u, suspended: true } : u)) });
    const preview = await pulumiCli(s.test, ["preview", "--diff"]);
    expect(preview.code).toBe(0);
    expect(text(preview)).toMatch(/~ +1 to update|1 to update/);
    expect(text(preview)).toMatch(/refused: Moodle said \\?"Refused web service access for suspended username: jdoe/);
    const up = await pulumiCli(s.test, ["up", "--yes"]);
    expect(up.code).not.toBe(0);
    expect(text(up)).toMatch(/suspended username: jdoe.*what is left must be changed in Moodle/s);
    const { command } = await pulumiCommand();
    const ws = s.test.stack.workspace as unknown as { envVars: Record<string, string> };
    const report = await checkStack(s.test.stack.name, { projectDir: s.test.dir, pulumi: command, envVars: ws.envVars, repair: false, expiryWarningDays: 14, today: new Date() });
    expect(report.status).toBe("drift");
    expect(report.changes.map((c) => `${c.type}:${c.fields.join(",")}`)).toContain("WebServiceToken:acceptedByMoodle");
    s.moodle.control.patchState({ users: s.state().users.map((u: any) => (u.id === 7 ? { ...u, suspended: false } : u)) });
  });
});
