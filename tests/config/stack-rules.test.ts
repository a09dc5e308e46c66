// The edges of each stack-config rule: the exact bounds users hit (CIDR prefix lengths, timeout and
// name limits, the valid-until window), the values a valid config turns into, and messages that name
// the key and the fix.
import { ConfigReader, loadStackSettings, StackConfigError, StackSettings } from "../../config/stack";

const NOW = new Date("2026-11-27T12:00:00Z");
const SECRET_KEYS = new Set(["adminPassword", "adminTotpSecret", "percipioClientSecret", "dockerDatabasePassword"]);

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

function load(values: Record<string, string>, plaintext: string[] = []): StackSettings {
  return loadStackSettings(reader(values, plaintext), NOW);
}

function problemsOf(values: Record<string, string>, plaintext: string[] = []): string[] {
  try {
    load(values, plaintext);
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("token IP restriction", () => {
  it.each([
    ["203.0.113.10", "a bare IPv4 address"],
    ["198.51.100.0/24", "an IPv4 range"],
    ["198.51.100.7/32", "the largest IPv4 prefix"],
    ["0.0.0.0/0", "the smallest prefix"],
    ["2001:db8::1", "a bare IPv6 address"],
    ["2001:db8::/128", "the largest IPv6 prefix"],
    ["2001:db8::/48", "an IPv6 range longer than any IPv4 prefix"],
  ])("accepts %s (%s)", (entry) => {
    expect(load({ ...phase1, tokenIpRestriction: entry }).token.ipRestriction).toBe(entry);
  });

  it.each([
    ["10.0.0.0/33", "an IPv4 prefix longer than 32 bits"],
    ["10.0.0.0/99", "an IPv4 prefix far beyond 32"],
    ["2001:db8::/129", "an IPv6 prefix longer than 128 bits"],
    ["10.0.0.0/", "an empty prefix"],
    ["10.0.0.0/8a", "a prefix that is not a number"],
    ["10.0.0.0/-1", "a negative prefix"],
    ["10.0.0.0/8/8", "two prefixes"],
    ["10.0.0.256", "an octet above 255"],
    ["/24", "a prefix without an address"],
  ])("refuses %s (%s), naming the entry and an example", (entry) => {
    expect(problemsOf({ ...phase1, tokenIpRestriction: entry })).toEqual([
      `moodle:tokenIpRestriction: '${entry}' is not an IP address or CIDR range. Example: 203.0.113.10,198.51.100.0/24`,
    ]);
  });

  it("lists every bad entry in one message and keeps the good ones out of it", () => {
    expect(problemsOf({ ...phase1, tokenIpRestriction: "10.0.0.1, 10.0.0.0/33,bad" })).toEqual([
      "moodle:tokenIpRestriction: '10.0.0.0/33, bad' is not an IP address or CIDR range. Example: 203.0.113.10,198.51.100.0/24",
    ]);
  });

  it("is normalised: spaces and empty entries dropped, entries joined with commas", () => {
    expect(load({ ...phase1, tokenIpRestriction: " 10.0.0.1 , ,203.0.113.0/24, " }).token.ipRestriction).toBe("10.0.0.1,203.0.113.0/24");
  });
});

describe("Moodle connection", () => {
  it.each([
    ["https://moodle.example.com/", "https://moodle.example.com"],
    ["https://example.com/moodle//", "https://example.com/moodle"],
    ["  https://example.com/moodle  ", "https://example.com/moodle"],
    ["https://Example.COM:8443/moodle", "https://example.com:8443/moodle"],
  ])("site URL %j becomes %j", (raw, url) => {
    expect(load({ ...phase1, url: raw }).moodle.url).toBe(url);
  });

  it.each(["http://localhost:8080", "http://moodle.localhost", "http://127.0.0.1", "http://127.1.2.3:9000", "http://[::1]:8080"])(
    "plain http to the local host %s is allowed with allowHttp",
    (url) => {
      const s = load({ ...phase1, url, allowHttp: "true" });
      expect(s.moodle.allowHttp).toBe(true);
      expect(s.moodle.url).toBe(url);
    },
  );

  it("plain http to a host that only starts like a local one is refused, suggesting the https URL", () => {
    expect(problemsOf({ ...phase1, url: "http://127.0.0.1.example.com/moodle/", allowHttp: "true" })).toEqual([
      "moodle:url: plain http to a non-local host ('127.0.0.1.example.com') would send the admin password unencrypted; use https, e.g. https://127.0.0.1.example.com/moodle",
    ]);
    expect(problemsOf({ ...phase1, url: "http://localhost.example.com", allowHttp: "true" }).join()).toContain("non-local host");
  });

  it("local plain http without allowHttp names the key to set", () => {
    expect(problemsOf({ ...phase1, url: "http://localhost:8080" })).toEqual([
      "moodle:url: is plain http; for a local test site also set: pulumi config set moodle:allowHttp true",
    ]);
  });

  it.each([
    ["ftp://moodle.example.com", "moodle:url: must be an https URL, got 'ftp://moodle.example.com'. Example: https://moodle.example.com"],
    ["https://moodle.example.com/?lang=en", "moodle:url: must be the site root without query or fragment, got 'https://moodle.example.com/?lang=en'. Example: https://moodle.example.com"],
    ["https://moodle.example.com/#top", "moodle:url: must be the site root without query or fragment, got 'https://moodle.example.com/#top'. Example: https://moodle.example.com"],
  ])("refuses %s", (url, message) => {
    expect(problemsOf({ ...phase1, url })).toEqual([message]);
  });

  it("the admin user defaults to admin, is trimmed, and is the token's user unless one is given", () => {
    expect(load({ ...phase1, adminUser: "  " }).moodle.adminUser).toBe("admin");
    const s = load({ ...phase1, adminUser: " manager " });
    expect(s.moodle.adminUser).toBe("manager");
    expect(s.token.user).toBe("manager");
    expect(load({ ...phase1, adminUser: "manager", tokenUser: "svc@example.com" }).token.user).toBe("svc@example.com");
  });

  it("the admin password is kept as given", () => {
    expect(load(phase1).moodle.adminPassword).toBe("Admin-Pass-1!");
  });

  it("a plaintext admin password is refused without echoing it", () => {
    expect(problemsOf(phase1, ["adminPassword"])).toEqual([
      "moodle:adminPassword: is stored in plaintext. Set it again with: pulumi config set --secret moodle:adminPassword <value>",
    ]);
  });

  it("a missing admin password says how to set it", () => {
    expect(problemsOf({ url: phase1.url })).toEqual(["moodle:adminPassword: is not set. Set it with: pulumi config set --secret moodle:adminPassword <value>"]);
  });

  it.each([
    ["1", 1],
    ["600", 600],
    ["45", 45],
  ])("request timeout %s seconds is accepted", (raw, seconds) => {
    expect(load({ ...phase1, requestTimeoutSeconds: raw }).moodle.requestTimeoutSeconds).toBe(seconds);
  });

  it.each(["601", "0", "-5", "1.5", "ten"])("request timeout %s is refused with the range and the default", (raw) => {
    expect(problemsOf({ ...phase1, requestTimeoutSeconds: raw })).toEqual([
      `moodle:requestTimeoutSeconds: must be a whole number from 1 to 600, got '${raw}'. Example: 30`,
    ]);
  });

  it("booleans: true and false are read, anything else is refused with an example", () => {
    expect(load({ ...phase1, url: "http://localhost", allowHttp: "true" }).moodle.allowHttp).toBe(true);
    expect(load({ ...phase1, allowHttp: "false" }).moodle.allowHttp).toBe(false);
    expect(load({ ...phase1, adoptExistingToken: "true" }).token.adoptExisting).toBe(true);
    expect(load({ ...phase1, adoptExistingToken: " false " }).token.adoptExisting).toBe(false);
    expect(problemsOf({ ...phase1, adoptExistingToken: "TRUE" })).toEqual([
      "moodle:adoptExistingToken: must be true or false, got 'TRUE'. Example: pulumi config set moodle:adoptExistingToken true",
    ]);
  });
});

describe("service and token", () => {
  it("service shortname, token name and rotation are taken as given (trimmed), with defaults when blank", () => {
    const s = load({ ...phase1, serviceShortname: " my-service ", tokenName: " percipio-prod ", tokenRotation: "2026-q4" });
    expect(s.serviceShortname).toBe("my-service");
    expect(s.token.name).toBe("percipio-prod");
    expect(s.token.rotation).toBe("2026-q4");
    const blank = load({ ...phase1, serviceShortname: " ", tokenName: " " });
    expect(blank.serviceShortname).toBe("Percipio-API");
    expect(blank.token.name).toBe("percipio");
  });

  it("a token name of exactly 50 characters is accepted; 51 is refused with its length", () => {
    expect(load({ ...phase1, tokenName: "x".repeat(50) }).token.name).toHaveLength(50);
    expect(problemsOf({ ...phase1, tokenName: "y".repeat(51) })).toEqual([
      "moodle:tokenName: must be at most 50 characters (a 7-character generation suffix is added), got 51. Example: percipio-prod",
    ]);
  });

  it("valid-until: exactly 2 days ahead and 2050-12-31 are accepted and kept", () => {
    expect(load({ ...phase1, tokenValidUntil: "2026-11-29" }).token.validUntil).toBe("2026-11-29");
    expect(load({ ...phase1, tokenValidUntil: "2050-12-31" }).token.validUntil).toBe("2050-12-31");
  });

  it("valid-until messages carry an example date a year ahead", () => {
    expect(problemsOf({ ...phase1, tokenValidUntil: "2027-1-5" })).toEqual([
      "moodle:tokenValidUntil: must be a date as YYYY-MM-DD, got '2027-1-5'. Example: 2027-12-31",
    ]);
    expect(problemsOf({ ...phase1, tokenValidUntil: "2026-11-28" })).toEqual([
      "moodle:tokenValidUntil: 2026-11-28 is too soon: Moodle expires a token at the start of that day in the site's timezone, so the date must be at least 2 days ahead. Example: 2027-12-31, or unset it for no expiry",
    ]);
    expect(problemsOf({ ...phase1, tokenValidUntil: "2051-01-01" })).toEqual([
      "moodle:tokenValidUntil: Moodle's date field stops at 2050, got '2051-01-01'. Example: 2050-12-31",
    ]);
  });

  it.each(["2027-13-01", "2027-00-10", "x2027-12-31", "2027-12-31x", "20271-12-31"])("valid-until %s is not a date", (date) => {
    expect(problemsOf({ ...phase1, tokenValidUntil: date }).join()).toContain("must be a date as YYYY-MM-DD");
  });
});

describe("Percipio credentials", () => {
  it("only an organization id: both missing credentials are named", () => {
    expect(problemsOf({ ...phase1, percipioOrganizationId: phase2.percipioOrganizationId })).toEqual([
      "moodle:percipioClientId: is not set, but other Percipio credentials are. Example: pulumi config set moodle:percipioClientId abc_DEF-123",
      "moodle:percipioClientSecret: is not set, but other Percipio credentials are. Set it with: pulumi config set --secret moodle:percipioClientSecret <value>",
    ]);
  });

  it("only a client secret: client id and organization id are named", () => {
    expect(problemsOf({ ...phase1, percipioClientSecret: "s3cr3t" })).toEqual([
      "moodle:percipioClientId: is not set, but other Percipio credentials are. Example: pulumi config set moodle:percipioClientId abc_DEF-123",
      "moodle:percipioOrganizationId: is not set, but other Percipio credentials are. Example: b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
    ]);
  });

  it("a plaintext client secret is refused without echoing it", () => {
    const problems = problemsOf(phase2, ["percipioClientSecret"]);
    expect(problems).toEqual([
      "moodle:percipioClientSecret: is stored in plaintext. Set it again with: pulumi config set --secret moodle:percipioClientSecret <value>",
    ]);
  });

  it("an upper-case organization UUID is accepted; a UUID with extra text is not", () => {
    expect(load({ ...phase2, percipioOrganizationId: "B001E4AA-7AC9-4D15-8DDC-B0C58F6982DD" }).percipio?.organizationId).toBe(
      "B001E4AA-7AC9-4D15-8DDC-B0C58F6982DD",
    );
    expect(problemsOf({ ...phase2, percipioOrganizationId: `${phase2.percipioOrganizationId}0` }).join()).toContain("is not a UUID");
    expect(problemsOf({ ...phase2, percipioOrganizationId: `x${phase2.percipioOrganizationId}` }).join()).toContain("is not a UUID");
  });

  it("client id and secret must be wholly letters, digits, '_' and '-'", () => {
    expect(problemsOf({ ...phase2, percipioClientId: "abc def" }).join()).toContain("moodle:percipioClientId: 'abc def' has characters");
    expect(problemsOf({ ...phase2, percipioClientId: "abc!" }).join()).toContain("moodle:percipioClientId: 'abc!' has characters");
    expect(problemsOf({ ...phase2, percipioClientSecret: "!abc" }).join()).toContain("moodle:percipioClientSecret: has characters");
  });

  it("a blank region means us; an explicit URL replaces the region's; scope and verification are read", () => {
    const s = load({ ...phase2, percipioRegion: " ", percipioApiUrl: "https://api.example.com", percipioScope: " api ", percipioVerifyCredentials: "true" });
    expect(s.percipio).toEqual({
      clientId: "abc_DEF-123",
      clientSecret: "s3cr3t_VALUE-1",
      organizationId: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd",
      oauthUrl: "https://oauth2-provider.percipio.com",
      apiUrl: "https://api.example.com",
      scope: "api",
      verifyCredentials: true,
    });
  });

  it("custom region with only the OAuth URL names the missing API URL", () => {
    expect(problemsOf({ ...phase2, percipioRegion: "custom", percipioOauthUrl: "https://oauth.example.com" })).toEqual([
      "moodle:percipioApiUrl: is required with percipioRegion=custom. Example: https://api.percipio.com",
    ]);
  });

  it("an unknown region is named, with the choices", () => {
    expect(problemsOf({ ...phase2, percipioRegion: "apac" })).toEqual([
      "moodle:percipioRegion: must be 'us', 'eu' or 'custom', got 'apac'. Example: pulumi config set moodle:percipioRegion eu",
    ]);
  });

  it.each([
    ["https://oauth.example.com/", "a trailing slash"],
    ["https://oauth.example.com?x=1", "a query"],
    ["https://oauth.example.com#x", "a fragment"],
    ["https://oauth.example.com/token", "a path"],
  ])("an OAuth URL with %s (%s) is refused: the plugin appends its own paths", (oauthUrl) => {
    expect(problemsOf({ ...phase2, percipioOauthUrl: oauthUrl })).toEqual([
      `moodle:percipioOauthUrl: must be a bare origin without path, query or trailing slash (the plugin appends its own paths), got '${oauthUrl}'. Example: https://oauth2-provider.percipio.com`,
    ]);
  });

  it("URLs that are not URLs or not https are refused with an example", () => {
    expect(problemsOf({ ...phase2, percipioApiUrl: "api.percipio.com" })).toEqual([
      "moodle:percipioApiUrl: 'api.percipio.com' is not a URL. Example: https://api.percipio.com",
    ]);
    expect(problemsOf({ ...phase2, percipioOauthUrl: "http://oauth.example.com" })).toEqual([
      "moodle:percipioOauthUrl: must use https, got 'http://oauth.example.com'. Example: https://oauth2-provider.percipio.com",
    ]);
  });

  it("a local plain-http Percipio double is allowed only with allowHttp", () => {
    const local = { ...phase2, url: "http://127.0.0.1:8080", percipioOauthUrl: "http://127.0.0.1:9000", percipioApiUrl: "http://localhost:9001" };
    expect(load({ ...local, allowHttp: "true" }).percipio).toMatchObject({ oauthUrl: "http://127.0.0.1:9000", apiUrl: "http://localhost:9001" });
    expect(problemsOf({ ...local, url: "https://moodle.example.com" }).join("\n")).toContain("moodle:percipioOauthUrl: must use https");
    expect(problemsOf({ ...local, url: "https://moodle.example.com" }).join("\n")).toContain("moodle:percipioApiUrl: must use https");
    expect(problemsOf({ ...local, allowHttp: "true", percipioOauthUrl: "http://oauth.example.com" }).join()).toContain("moodle:percipioOauthUrl: must use https");
  });
});

describe("mode and Docker", () => {
  it("docker mode needs no site URL and keeps the docker object and the database password", () => {
    const s = load({ adminPassword: "x", mode: "docker", docker: '{"hostPort":8081}', dockerDatabasePassword: "db-pass" });
    expect(s.mode).toBe("docker");
    expect(s.moodle.url).toBeUndefined();
    expect(s.dockerRaw).toEqual({ hostPort: 8081 });
    expect(s.dockerDatabasePassword).toBe("db-pass");
  });

  it("docker mode with a URL keeps it", () => {
    expect(load({ ...phase1, mode: "docker", dockerDatabasePassword: "db-pass" }).moodle.url).toBe("https://moodle.example.com");
  });

  it("existing mode: no docker object is an empty one, and the database password is optional", () => {
    const s = load(phase1);
    expect(s.dockerRaw).toEqual({});
    expect(s.dockerDatabasePassword).toBe("");
  });

  it("a docker value that is not JSON says how to set its fields", () => {
    expect(problemsOf({ ...phase1, docker: "hostPort=8080" })).toEqual([
      "moodle:docker: is not an object. Set its fields with --path, e.g. pulumi config set --path moodle:docker.hostPort 8080",
    ]);
  });

  it("a plaintext database password is refused", () => {
    expect(problemsOf({ ...phase1, mode: "docker", dockerDatabasePassword: "db-pass" }, ["dockerDatabasePassword"])).toEqual([
      "moodle:dockerDatabasePassword: is stored in plaintext. Set it again with: pulumi config set --secret moodle:dockerDatabasePassword <value>",
    ]);
  });

  it("an unknown mode names the choices and the command", () => {
    expect(problemsOf({ ...phase1, mode: "k8s" })).toEqual(["moodle:mode: must be 'existing' or 'docker', got 'k8s'. Example: pulumi config set moodle:mode existing"]);
  });
});

describe("the error", () => {
  it("counts its problems and lists each on its own line", () => {
    const one = new StackConfigError(["moodle:url: is not set"]);
    expect(one.message).toBe("The stack configuration has 1 problem:\n  - moodle:url: is not set");
    expect(one.name).toBe("StackConfigError");
    const two = new StackConfigError(["a", "b"]);
    expect(two.message).toBe("The stack configuration has 2 problems:\n  - a\n  - b");
  });
});

describe("the Moodle connection in full", () => {
  it("phase 1 gives every connection setting, with no TOTP key and no CA certificate when none is set", () => {
    expect(load(phase1).moodle).toEqual({
      url: "https://moodle.example.com",
      adminUser: "admin",
      adminPassword: "Admin-Pass-1!",
      adminTotpSecret: "",
      allowHttp: false,
      caCertPem: "",
      requestTimeoutSeconds: 30,
    });
  });

  it("the admin's TOTP key is kept as Moodle showed it (spaces and lower case are fine)", () => {
    expect(load({ ...phase1, adminTotpSecret: "jbsw y3dp EHPK 3PXP" }).moodle.adminTotpSecret).toBe("jbsw y3dp EHPK 3PXP");
  });

  it("a TOTP key that is not Base32 is refused without echoing it, saying where to find the right one", () => {
    expect(problemsOf({ ...phase1, adminTotpSecret: "not-a-key-0189" })).toEqual([
      "moodle:adminTotpSecret: the TOTP key is not Base32 (letters A-Z and digits 2-7, as Moodle shows it). Copy the key Moodle showed when the admin's authenticator app was set up (e.g. 'JBSW Y3DP EHPK 3PXP'; spaces are fine): pulumi config set --secret moodle:adminTotpSecret '<key>'",
    ]);
  });

  it("a plaintext TOTP key is refused like any other secret", () => {
    expect(problemsOf({ ...phase1, adminTotpSecret: "JBSWY3DPEHPK3PXP" }, ["adminTotpSecret"])).toEqual([
      "moodle:adminTotpSecret: is stored in plaintext. Set it again with: pulumi config set --secret moodle:adminTotpSecret <value>",
    ]);
  });
});

describe("dates and URLs at their edges", () => {
  it("a token valid until today is already past, and the message says which day today is", () => {
    expect(problemsOf({ ...phase1, tokenValidUntil: "2026-11-27" })).toEqual([
      "moodle:tokenValidUntil: 2026-11-27 is in the past (today is 2026-11-27): a token valid until then would already have expired. Example: 2027-12-31, or unset it for no expiry",
    ]);
  });

  it("allowHttp lets a local Percipio double use plain http, not any other scheme", () => {
    expect(problemsOf({ ...phase2, allowHttp: "true", percipioOauthUrl: "ws://localhost:9000" })).toEqual([
      "moodle:percipioOauthUrl: must use https, got 'ws://localhost:9000'. Example: https://oauth2-provider.percipio.com",
    ]);
  });

  it("a local Percipio double with a path is refused like a real one", () => {
    expect(problemsOf({ ...phase2, allowHttp: "true", percipioApiUrl: "http://localhost:9001/api" })).toEqual([
      "moodle:percipioApiUrl: must be a bare origin without path, query or trailing slash (the plugin appends its own paths), got 'http://localhost:9001/api'. Example: https://api.percipio.com",
    ]);
  });
});
