/**
 * Stack config -> validated settings, before anything touches Moodle. Pure (the config reader is
 * passed in) so every rule is testable without the engine. Each problem names the config key, what
 * is wrong and an example of a right value; all problems are reported at once.
 */
import * as fs from "fs";
import * as net from "net";
import { isoDaysAhead } from "../moodle/dates";
import { decodeBase32Key, TotpKeyError } from "../moodle/totp";

export const NS = "moodle";

export interface ConfigValue {
  value: string | undefined;
  secret: boolean;
}
export type ConfigReader = (key: string) => ConfigValue;

export const PERCIPIO_REGIONS = {
  us: { oauthUrl: "https://oauth2-provider.percipio.com", apiUrl: "https://api.percipio.com" },
  eu: { oauthUrl: "https://euc1-prod-oauth2-provider.percipio.com", apiUrl: "https://dew1-api.percipio.com" },
} as const;

export interface MoodleSettings {
  /** Undefined in docker mode until the container provides it. */
  url?: string;
  adminUser: string;
  adminPassword: string;
  /** Key of the admin's authenticator-app (TOTP) factor when Moodle asks for a second factor; "" for none. */
  adminTotpSecret: string;
  allowHttp: boolean;
  caCertPem: string;
  requestTimeoutSeconds: number;
}

export interface TokenSettings {
  name: string;
  user: string;
  ipRestriction: string;
  validUntil: string;
  /** Rolling validity in days (0: none, validUntil applies). */
  validDays?: number;
  /** With validDays: renew a token expiring within this many days. */
  renewBeforeDays?: number;
  rotation: string;
  adoptExisting: boolean;
}

export interface PercipioCredentials {
  clientId: string;
  clientSecret: string;
  organizationId: string;
  oauthUrl: string;
  apiUrl: string;
  scope: string;
  verifyCredentials: boolean;
}

export interface StackSettings {
  mode: "existing" | "docker";
  moodle: MoodleSettings;
  serviceShortname: string;
  token: TokenSettings;
  /** Undefined until Skillsoft has sent the credentials (phase 2). */
  percipio?: PercipioCredentials;
  /** Raw `moodle:docker` object, validated by docker/config.ts in docker mode. */
  dockerRaw: unknown;
  dockerDatabasePassword: string;
}

export class StackConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "StackConfigError";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALNUMEXT = /^[A-Za-z0-9_-]+$/;
const LOCAL_HOST = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function isIpOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split("/");
  if (extra !== undefined || !net.isIP(address)) return false;
  if (bits === undefined) return true;
  const max = net.isIPv4(address) ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}

function isoToday(now: Date): string {
  return now.toISOString().slice(0, 10);
}


/** Reads, checks and normalises every key. Throws StackConfigError listing all problems. */
export function loadStackSettings(read: ConfigReader, now: Date = new Date()): StackSettings {
  const problems: string[] = [];
  const key = (k: string) => `${NS}:${k}`;
  const str = (k: string, fallback = ""): string => (read(k).value ?? fallback).trim();
  const fail = (k: string, message: string) => problems.push(`${key(k)}: ${message}`);

  const bool = (k: string, fallback: boolean): boolean => {
    const raw = str(k);
    if (raw === "") return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    fail(k, `must be true or false, got '${raw}'. Example: pulumi config set ${key(k)} true`);
    return fallback;
  };

  const int = (k: string, fallback: number, min: number, max: number): number => {
    const raw = str(k);
    if (raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      fail(k, `must be a whole number from ${min} to ${max}, got '${raw}'. Example: ${fallback}`);
      return fallback;
    }
    return n;
  };

  /** Secrets: required to be encrypted in the stack; the value never appears in a message. */
  const secret = (k: string, required: boolean): string => {
    const { value, secret: isSecret } = read(k);
    if (!value) {
      if (required) fail(k, `is not set. Set it with: pulumi config set --secret ${key(k)} <value>`);
      return "";
    }
    if (!isSecret) {
      fail(k, `is stored in plaintext. Set it again with: pulumi config set --secret ${key(k)} <value>`);
    }
    return value;
  };

  const httpsOrigin = (k: string, value: string, example: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      fail(k, `'${value}' is not a URL. Example: ${example}`);
      return value;
    }
    const localTest = url.protocol === "http:" && allowHttp && LOCAL_HOST.test(url.hostname);
    if (url.protocol !== "https:" && !localTest) fail(k, `must use https, got '${value}'. Example: ${example}`);
    else if (url.pathname !== "/" || url.search || url.hash || value.endsWith("/")) {
      fail(k, `must be a bare origin without path, query or trailing slash (the plugin appends its own paths), got '${value}'. Example: ${example}`);
    }
    return url.origin;
  };

  // --- mode and the Moodle connection ---
  const modeRaw = str("mode", "existing");
  let mode: StackSettings["mode"] = "existing";
  if (modeRaw === "existing" || modeRaw === "docker") mode = modeRaw;
  else fail("mode", `must be 'existing' or 'docker', got '${modeRaw}'. Example: pulumi config set ${key("mode")} existing`);

  const allowHttp = bool("allowHttp", false);
  let url: string | undefined;
  const urlRaw = str("url");
  if (mode === "existing" && !urlRaw) {
    fail("url", `is not set. Example: pulumi config set ${key("url")} https://moodle.example.com`);
  } else if (urlRaw) {
    try {
      const parsed = new URL(urlRaw);
      if (parsed.protocol === "http:") {
        if (!LOCAL_HOST.test(parsed.hostname)) {
          fail("url", `plain http to a non-local host ('${parsed.hostname}') would send the admin password unencrypted; use https, e.g. https://${parsed.host}${parsed.pathname.replace(/\/$/, "")}`);
        } else if (!allowHttp) {
          fail("url", `is plain http; for a local test site also set: pulumi config set ${key("allowHttp")} true`);
        }
      } else if (parsed.protocol !== "https:") {
        fail("url", `must be an https URL, got '${urlRaw}'. Example: https://moodle.example.com`);
      }
      if (parsed.search || parsed.hash) fail("url", `must be the site root without query or fragment, got '${urlRaw}'. Example: https://moodle.example.com`);
      url = `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
    } catch {
      fail("url", `'${urlRaw}' is not a URL. Example: https://moodle.example.com`);
    }
  }

  const adminUser = str("adminUser") || "admin";
  const adminPassword = secret("adminPassword", true);
  const adminTotpSecret = secret("adminTotpSecret", false);
  if (adminTotpSecret) {
    try {
      decodeBase32Key(adminTotpSecret);
    } catch (e) {
      if (!(e instanceof TotpKeyError)) throw e;
      fail("adminTotpSecret", `${e.message}. Copy the key Moodle showed when the admin's authenticator app was set up (e.g. 'JBSW Y3DP EHPK 3PXP'; spaces are fine): pulumi config set --secret ${key("adminTotpSecret")} '<key>'`);
    }
  }

  let caCertPem = "";
  const caCertPath = str("caCertPath");
  if (caCertPath) {
    if (!fs.existsSync(caCertPath)) fail("caCertPath", `file '${caCertPath}' does not exist. Example: /etc/ssl/certs/my-ca.pem`);
    else {
      caCertPem = fs.readFileSync(caCertPath, "utf8");
      if (!caCertPem.includes("-----BEGIN CERTIFICATE-----")) fail("caCertPath", `'${caCertPath}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    }
  }
  const requestTimeoutSeconds = int("requestTimeoutSeconds", 30, 1, 600);

  // --- service and token ---
  const serviceShortname = str("serviceShortname") || "Percipio-API";
  const tokenName = str("tokenName") || "percipio";
  if (tokenName.length > 50) fail("tokenName", `must be at most 50 characters (a 7-character generation suffix is added), got ${tokenName.length}. Example: percipio-prod`);
  const ipRestriction = str("tokenIpRestriction")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const badIps = ipRestriction.filter((e) => !isIpOrCidr(e));
  if (badIps.length) fail("tokenIpRestriction", `'${badIps.join(", ")}' is not an IP address or CIDR range. Example: 203.0.113.10,198.51.100.0/24`);

  const validUntil = str("tokenValidUntil");
  if (validUntil) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(validUntil);
    const date = match ? new Date(`${validUntil}T00:00:00Z`) : undefined;
    if (!match || !date || isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== validUntil) {
      fail("tokenValidUntil", `must be a date as YYYY-MM-DD, got '${validUntil}'. Example: ${Number(isoToday(now).slice(0, 4)) + 1}-12-31`);
    } else if (validUntil <= isoToday(now)) {
      fail("tokenValidUntil", `${validUntil} is in the past (today is ${isoToday(now)}): a token valid until then would already have expired. Example: ${Number(isoToday(now).slice(0, 4)) + 1}-12-31, or unset it for no expiry`);
    } else if (validUntil < isoDaysAhead(2, now)) {
      // Moodle expires a token at midnight at the START of that day, in the site's timezone (up to UTC+14).
      fail("tokenValidUntil", `${validUntil} is too soon: Moodle expires a token at the start of that day in the site's timezone, so the date must be at least 2 days ahead. Example: ${Number(isoToday(now).slice(0, 4)) + 1}-12-31, or unset it for no expiry`);
    } else if (Number(match[1]) > 2050) {
      fail("tokenValidUntil", `Moodle's date field stops at 2050, got '${validUntil}'. Example: 2050-12-31`);
    }
  }

  const validDays = int("tokenValidDays", 0, 0, 3650);
  const renewBeforeDays = int("tokenRenewBeforeDays", 14, 1, 3650);
  if (validDays) {
    if (validUntil) {
      fail("tokenValidDays", `and ${key("tokenValidUntil")} are both set; they are mutually exclusive (a rolling validity or a fixed date). Unset one, e.g. pulumi config rm ${key("tokenValidUntil")}`);
    }
    if (validDays < 2) {
      // Moodle expires a token at the start of its valid-until day in the site's timezone (up to UTC+14).
      fail("tokenValidDays", `must be at least 2, got ${validDays}: Moodle expires a token at the start of its valid-until day in the site's timezone. Example: pulumi config set ${key("tokenValidDays")} 90`);
    } else if (renewBeforeDays >= validDays) {
      fail("tokenRenewBeforeDays", `must be less than ${key("tokenValidDays")} (${validDays}), got ${renewBeforeDays}: else every run would replace the token. Example: pulumi config set ${key("tokenRenewBeforeDays")} ${Math.max(1, Math.floor(validDays / 2))}`);
    }
  }

  // --- Percipio credentials (phase 2: only once Skillsoft has sent them) ---
  const clientId = str("percipioClientId");
  const clientSecret = secret("percipioClientSecret", false);
  const organizationId = str("percipioOrganizationId");
  let percipio: PercipioCredentials | undefined;
  if (clientId || clientSecret || organizationId) {
    if (!clientId) fail("percipioClientId", "is not set, but other Percipio credentials are. Example: pulumi config set moodle:percipioClientId abc_DEF-123");
    else if (!ALNUMEXT.test(clientId)) fail("percipioClientId", `'${clientId}' has characters the plugin's form rejects; only letters, digits, '_' and '-' are allowed`);
    if (!clientSecret) fail("percipioClientSecret", "is not set, but other Percipio credentials are. Set it with: pulumi config set --secret moodle:percipioClientSecret <value>");
    else if (!ALNUMEXT.test(clientSecret)) {
      fail("percipioClientSecret", "has characters the plugin's form rejects (only letters, digits, '_' and '-' can be saved in Moodle); ask Skillsoft for a secret without them");
    }
    if (!organizationId) fail("percipioOrganizationId", "is not set, but other Percipio credentials are. Example: b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd");
    else if (!UUID.test(organizationId)) fail("percipioOrganizationId", `'${organizationId}' is not a UUID. Example: b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd`);

    const region = str("percipioRegion") || "us";
    const preset = region === "us" || region === "eu" ? PERCIPIO_REGIONS[region] : undefined;
    if (!preset && region !== "custom") fail("percipioRegion", `must be 'us', 'eu' or 'custom', got '${region}'. Example: pulumi config set moodle:percipioRegion eu`);
    const oauthRaw = str("percipioOauthUrl") || preset?.oauthUrl || "";
    const apiRaw = str("percipioApiUrl") || preset?.apiUrl || "";
    // An unknown region is reported as such, not as a custom region without URLs.
    if (!oauthRaw && region === "custom") fail("percipioOauthUrl", `is required with percipioRegion=custom. Example: ${PERCIPIO_REGIONS.us.oauthUrl}`);
    if (!apiRaw && region === "custom") fail("percipioApiUrl", `is required with percipioRegion=custom. Example: ${PERCIPIO_REGIONS.us.apiUrl}`);
    percipio = {
      clientId,
      clientSecret,
      organizationId,
      oauthUrl: oauthRaw ? httpsOrigin("percipioOauthUrl", oauthRaw, PERCIPIO_REGIONS.us.oauthUrl) : "",
      apiUrl: apiRaw ? httpsOrigin("percipioApiUrl", apiRaw, PERCIPIO_REGIONS.us.apiUrl) : "",
      scope: str("percipioScope"),
      verifyCredentials: bool("percipioVerifyCredentials", false),
    };
  }

  const dockerRawText = read("docker").value;
  let dockerRaw: unknown = {};
  if (dockerRawText) {
    try {
      dockerRaw = JSON.parse(dockerRawText);
    } catch {
      fail("docker", "is not an object. Set its fields with --path, e.g. pulumi config set --path moodle:docker.hostPort 8080");
    }
  }
  const dockerDatabasePassword = secret("dockerDatabasePassword", mode === "docker");
  // Read before the problems are reported, so a bad value is one of them.
  const adoptExisting = bool("adoptExistingToken", false);

  if (problems.length) throw new StackConfigError(problems);
  return {
    mode,
    moodle: { url, adminUser, adminPassword, adminTotpSecret, allowHttp, caCertPem, requestTimeoutSeconds },
    serviceShortname,
    token: {
      name: tokenName,
      user: str("tokenUser") || adminUser,
      ipRestriction: ipRestriction.join(","),
      validUntil,
      validDays,
      renewBeforeDays,
      rotation: str("tokenRotation", "1"),
      adoptExisting,
    },
    percipio,
    dockerRaw,
    dockerDatabasePassword,
  };
}
