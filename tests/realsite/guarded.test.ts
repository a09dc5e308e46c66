// Guarded sites on the real Moodle 5.0.6+ (scripts/real-moodle.sh), through the `pulumi` CLI as users
// type it: an admin with a TOTP second factor (tool_mfa, which ships with Moodle), a login page that
// redirects to an alternate login URL, and a token Moodle refuses for the Percipio functions. Each
// guard is set up the way an admin does it without a browser: admin/cli/cfg.php, and for the TOTP
// factor and a second user the rows Moodle's own code writes.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiCli } from "../../testkit/engine/cli";
import { projectStack, TestStack } from "../../testkit/engine/engine";
import { describeRealSite, realSite, RealSite } from "../support/realSite";

jest.setTimeout(600_000);

const TOTP_KEY = "JBSWY3DPEHPK3PXP";
const text = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
const ok = (r: { code: number; stdout: string; stderr: string }) => ({ code: r.code, out: r.code ? text(r) : "" });

async function stackFor(site: RealSite, name: string, config: Record<string, { value: string; secret?: boolean }> = {}) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), `mpi-real-${name}-`));
  const test = await projectStack({ stackName: name, envVars: { MOODLE_PERCIPIO_CACHE: cache } });
  await test.stack.setAllConfig({
    "moodle:url": { value: site.url },
    "moodle:allowHttp": { value: "true" },
    "moodle:adminUser": { value: site.adminUser },
    "moodle:adminPassword": { value: site.adminPassword, secret: true },
    "moodle:tokenName": { value: `percipio-${name}` },
    ...config,
  });
  return { test, cache };
}

describeRealSite("guarded sites on the real Moodle", () => {
  let site: RealSite;
  let current: { test: TestStack & { dir: string }; cache: string } | undefined;

  beforeAll(() => {
    site = realSite();
  });
  beforeEach(() => site.reset());
  afterEach(async () => {
    try {
      await current?.test.dispose();
    } finally {
      if (current) fs.rmSync(current.cache, { recursive: true, force: true });
      current = undefined;
      site.reset();
    }
  });

  it("an admin with a TOTP second factor: up, a no-op preview and destroy, each passing MFA with one code and no refused one", async () => {
    // tool_mfa with the authenticator-app factor for the admin (admin/tool/mfa/factor/totp: setup_user_factor's row).
    for (const [component, name, value] of [
      ["tool_mfa", "enabled", "1"],
      ["tool_mfa", "lockout", "10"],
      ["tool_mfa", "factor_order", "totp"],
      ["factor_totp", "enabled", "1"],
      ["factor_totp", "weight", "100"],
      ["factor_totp", "window", "15"],
      ["factor_email", "enabled", "0"],
    ]) {
      site.cli(["admin/cli/cfg.php", `--component=${component}`, `--name=${name}`, `--set=${value}`]);
    }
    site.exec(
      "INSERT INTO mdl_tool_mfa (userid, factor, secret, label, timecreated, createdfromip, timemodified, lastverified, revoked, lockcounter) " +
        `SELECT id, 'totp', '${TOTP_KEY}', 'automation', EXTRACT(EPOCH FROM now())::bigint, '127.0.0.1', EXTRACT(EPOCH FROM now())::bigint, 0, 0, 0 FROM mdl_user WHERE username = '${site.adminUser}'`,
    );
    const factor = () => site.rows<{ lockcounter: number; lastverified: number }>("SELECT lockcounter, lastverified FROM mdl_tool_mfa WHERE factor = 'totp'")[0];
    const passes = () => site.rows<{ n: number }>("SELECT COUNT(*)::int AS n FROM mdl_logstore_standard_log WHERE eventname = '\\tool_mfa\\event\\user_passed_mfa'")[0].n;
    current = await stackFor(site, "mfa", { "moodle:adminTotpSecret": { value: "JBSW Y3DP EHPK 3PXP", secret: true } });

    const up = await pulumiCli(current.test, ["up", "--yes"], { timeoutMs: 300_000 });
    expect(ok(up)).toEqual({ code: 0, out: "" });
    expect(passes()).toBe(1);
    expect(factor().lockcounter).toBe(0);
    const first = factor().lastverified;

    const preview = await pulumiCli(current.test, ["preview", "--expect-no-changes"], { timeoutMs: 300_000 });
    expect(ok(preview)).toEqual({ code: 0, out: "" });
    expect(passes()).toBe(2);
    expect(factor().lockcounter).toBe(0);
    expect(Math.floor(factor().lastverified / 30)).toBeGreaterThan(Math.floor(first / 30));

    const destroy = await pulumiCli(current.test, ["destroy", "--yes"], { timeoutMs: 300_000 });
    expect(ok(destroy)).toEqual({ code: 0, out: "" });
    expect(passes()).toBe(3);
    expect(factor().lockcounter).toBe(0);
    expect(text(up) + text(preview) + text(destroy)).not.toContain(TOTP_KEY);
  });

  it("a login page redirecting to an alternate login URL: up and a no-op preview through loginredirect=0", async () => {
    site.cli(["admin/cli/cfg.php", "--name=alternateloginurl", "--set=https://sso.example.com/login"]);
    const plain = await fetch(`${site.url}/login/index.php`, { redirect: "manual" });
    expect(plain.headers.get("location")).toBe("https://sso.example.com/login");
    current = await stackFor(site, "altlogin");
    const up = await pulumiCli(current.test, ["up", "--yes"]);
    expect(ok(up)).toEqual({ code: 0, out: "" });
    const preview = await pulumiCli(current.test, ["preview", "--expect-no-changes"]);
    expect(ok(preview)).toEqual({ code: 0, out: "" });
  });

  it("a token for an ordinary user: up fails naming webservice/rest:use, then the missing capabilities; no token is left", async () => {
    const script = path.join(os.tmpdir(), `mpi-wsuser-${process.pid}.php`);
    fs.writeFileSync(
      script,
      `<?php define('CLI_SCRIPT', true); require('config.php'); require_once($CFG->dirroot.'/user/lib.php');
user_create_user(['username' => 'wsprobe', 'password' => 'Ws-Probe-1!', 'firstname' => 'W', 'lastname' => 'P', 'email' => 'wsprobe@example.com',
  'auth' => 'manual', 'confirmed' => 1, 'mnethostid' => $CFG->mnet_localhost_id]);\n`,
    );
    fs.chmodSync(script, 0o644);
    try {
      site.cli([script]);
    } finally {
      fs.rmSync(script, { force: true });
    }
    current = await stackFor(site, "wsuser", { "moodle:tokenUser": { value: "wsprobe@example.com" } });
    const tokens = () => site.rows<{ id: number }>("SELECT id FROM mdl_external_tokens");

    const refused = await pulumiCli(current.test, ["up", "--yes"]);
    expect(refused.code).not.toBe(0);
    expect(text(refused)).toMatch(/Moodle refuses the token '.*' for the service 'Percipio-API': Moodle refuses the token itself .*"wsprobe@example.com" lacks the capability webservice\/rest:use/);
    expect(tokens()).toEqual([]);

    // The protocol for every authenticated user (what an admin does in Define roles), the functions' capabilities still missing.
    const grant = path.join(os.tmpdir(), `mpi-restuse-${process.pid}.php`);
    fs.writeFileSync(
      grant,
      `<?php define('CLI_SCRIPT', true); require('config.php');
assign_capability('webservice/rest:use', CAP_ALLOW, $DB->get_field('role', 'id', ['shortname' => 'user']), context_system::instance()->id, true);\n`,
    );
    fs.chmodSync(grant, 0o644);
    try {
      site.cli([grant]);
    } finally {
      fs.rmSync(grant, { force: true });
    }
    const missing = await pulumiCli(current.test, ["up", "--yes"]);
    expect(missing.code).not.toBe(0);
    expect(text(missing)).toMatch(/"wsprobe@example.com" lacks capabilities the service's functions check: moodle\/category:manage, .*moodle\/grade:manage/);
    expect(tokens()).toEqual([]);
  });
});
