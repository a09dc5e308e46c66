import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigReader, loadStackSettings, StackConfigError } from "../../config/stack";

const NOW = new Date("2026-11-27T12:00:00Z");
const SECRET_KEYS = new Set(["adminPassword", "percipioClientSecret", "dockerDatabasePassword"]);

/** A reader over plain values; secret keys are "encrypted" unless listed in `plaintext`. */
function reader(values: Record<string, string>, plaintext: string[] = []): ConfigReader {
  return (key) => ({ value: values[key], secret: SECRET_KEYS.has(key) && !plaintext.includes(key) });
}

const phase1 = { url: "https://moodle.example.com", adminPassword: "Admin-Pass-1!" };
const phase2 = {
  ...phase1,
  percipioClientId: "abc_DEF-123",
  percipioClientSecret: "s3cr3t_VALUE-1",
  percipioOrganizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
};

function problemsOf(values: Record<string, string>, plaintext: string[] = []): string[] {
  try {
    loadStackSettings(reader(values, plaintext), NOW);
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("stack config", () => {
  it("phase 1: only the Moodle connection; no Percipio settings", () => {
    const s = loadStackSettings(reader(phase1), NOW);
    expect(s.mode).toBe("existing");
    expect(s.moodle).toMatchObject({ url: "https://moodle.example.com", adminUser: "admin", allowHttp: false, requestTimeoutSeconds: 30 });
    expect(s.token).toEqual({ name: "percipio", user: "admin", ipRestriction: "", validUntil: "", validDays: 0, renewBeforeDays: 14, rotation: "1", adoptExisting: false });
    expect(s.serviceShortname).toBe("Percipio-API");
    expect(s.percipio).toBeUndefined();
  });

  it("phase 2: credentials with the US region's URLs by default, EU on request, explicit URLs win", () => {
    expect(loadStackSettings(reader(phase2), NOW).percipio).toEqual({
      clientId: "abc_DEF-123",
      clientSecret: "s3cr3t_VALUE-1",
      organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
      oauthUrl: "https://oauth2-provider.percipio.com",
      apiUrl: "https://api.percipio.com",
      scope: "",
      verifyCredentials: false,
    });
    expect(loadStackSettings(reader({ ...phase2, percipioRegion: "eu" }), NOW).percipio).toMatchObject({
      oauthUrl: "https://euc1-prod-oauth2-provider.percipio.com",
      apiUrl: "https://dew1-api.percipio.com",
    });
    expect(
      loadStackSettings(reader({ ...phase2, percipioRegion: "custom", percipioOauthUrl: "https://oauth.example.com", percipioApiUrl: "https://api.example.com" }), NOW)
        .percipio,
    ).toMatchObject({ oauthUrl: "https://oauth.example.com", apiUrl: "https://api.example.com" });
  });

  it("normalises the site URL (subdirectory kept, trailing slash dropped) and local http with allowHttp", () => {
    expect(loadStackSettings(reader({ ...phase1, url: "https://example.com/moodle/" }), NOW).moodle.url).toBe("https://example.com/moodle");
    expect(loadStackSettings(reader({ ...phase1, url: "http://127.0.0.1:8080", allowHttp: "true" }), NOW).moodle.url).toBe("http://127.0.0.1:8080");
  });

  describe.each([
    ["missing url", { adminPassword: "x" }, "moodle:url: is not set"],
    ["url not a URL", { ...phase1, url: "moodle dot com" }, "moodle:url: 'moodle dot com' is not a URL"],
    ["http to a non-local host", { ...phase1, url: "http://moodle.example.com", allowHttp: "true" }, "moodle:url: plain http to a non-local host"],
    ["local http without allowHttp", { ...phase1, url: "http://localhost:8080" }, "pulumi config set moodle:allowHttp true"],
    ["missing admin password", { url: "https://m.example.com" }, "moodle:adminPassword: is not set"],
    ["bad mode", { ...phase1, mode: "k8s" }, "moodle:mode: must be 'existing' or 'docker'"],
    ["bad boolean", { ...phase1, allowHttp: "yes" }, "moodle:allowHttp: must be true or false"],
    ["bad timeout", { ...phase1, requestTimeoutSeconds: "0" }, "moodle:requestTimeoutSeconds: must be a whole number from 1 to 600"],
    ["bad IP restriction", { ...phase1, tokenIpRestriction: "10.0.0.1, not-an-ip" }, "moodle:tokenIpRestriction: 'not-an-ip' is not an IP address"],
    ["valid-until not a date", { ...phase1, tokenValidUntil: "31/12/2027" }, "moodle:tokenValidUntil: must be a date as YYYY-MM-DD"],
    ["valid-until impossible day", { ...phase1, tokenValidUntil: "2027-02-30" }, "moodle:tokenValidUntil: must be a date as YYYY-MM-DD"],
    ["valid-until in the past", { ...phase1, tokenValidUntil: "2026-11-01" }, "moodle:tokenValidUntil: 2026-11-01 is in the past"],
    ["valid-until tomorrow (already past at the start of that day east of UTC)", { ...phase1, tokenValidUntil: "2026-11-28" }, "moodle:tokenValidUntil: 2026-11-28 is too soon"],
    ["valid-until beyond Moodle's date field", { ...phase1, tokenValidUntil: "2051-01-01" }, "stops at 2050"],
    ["OAuth URL with a path", { ...phase2, percipioRegion: "custom", percipioOauthUrl: "https://oauth.example.com/oauth2-provider/token", percipioApiUrl: "https://api.example.com" }, "moodle:percipioOauthUrl: must be a bare origin"],
    ["API URL over http", { ...phase2, percipioApiUrl: "http://api.percipio.com" }, "moodle:percipioApiUrl: must use https"],
    ["non-UUID organization", { ...phase2, percipioOrganizationId: "{b001e4aa}" }, "moodle:percipioOrganizationId: '{b001e4aa}' is not a UUID"],
    ["client id the form rejects", { ...phase2, percipioClientId: "a b!" }, "moodle:percipioClientId: 'a b!' has characters the plugin's form rejects"],
    ["client secret the form rejects", { ...phase2, percipioClientSecret: "Ab+/9=" }, "moodle:percipioClientSecret: has characters the plugin's form rejects"],
    ["partial credentials", { ...phase1, percipioClientId: "abc" }, "moodle:percipioClientSecret: is not set, but other Percipio credentials are"],
    ["unknown region", { ...phase2, percipioRegion: "apac" }, "moodle:percipioRegion: must be 'us', 'eu' or 'custom'"],
    ["custom region without URLs", { ...phase2, percipioRegion: "custom" }, "moodle:percipioOauthUrl: is required with percipioRegion=custom"],
    ["docker mode without a database password", { adminPassword: "x", mode: "docker" }, "moodle:dockerDatabasePassword: is not set"],
    ["token name too long", { ...phase1, tokenName: "x".repeat(51) }, "moodle:tokenName: must be at most 50 characters"],
  ])("%s", (_case, values, expected) => {
    it("is refused with a message naming the key and the fix", () => {
      const problems = problemsOf(values as Record<string, string>);
      expect(problems.join("\n")).toContain(expected);
    });
  });

  it("refuses plaintext secrets and never echoes a secret value", () => {
    const problems = problemsOf({ ...phase2, percipioClientSecret: "Ab+/9=" }, ["adminPassword"]);
    expect(problems.join("\n")).toContain("moodle:adminPassword: is stored in plaintext");
    expect(problems.join("\n")).not.toContain("Admin-Pass-1!");
    expect(problems.join("\n")).not.toContain("Ab+/9=");
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({ url: "http://moodle.example.com", percipioOrganizationId: "nope" });
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  it("reads a CA certificate file and refuses a file without a certificate", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-ca-"));
    const good = path.join(dir, "ca.pem");
    fs.writeFileSync(good, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const bad = path.join(dir, "bad.pem");
    fs.writeFileSync(bad, "hello");
    expect(loadStackSettings(reader({ ...phase1, caCertPath: good }), NOW).moodle.caCertPem).toContain("BEGIN CERTIFICATE");
    expect(problemsOf({ ...phase1, caCertPath: bad }).join()).toContain("holds no PEM certificate");
    expect(problemsOf({ ...phase1, caCertPath: path.join(dir, "missing.pem") }).join()).toContain("does not exist");
    fs.rmSync(dir, { recursive: true });
  });
});
