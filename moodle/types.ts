// The Moodle admin client's vocabulary. Nothing in moodle/ knows Pulumi; nothing above it knows HTML.

export interface MoodleConnection {
  /** Site root, e.g. "https://moodle.example.com" or "http://127.0.0.1:8080/moodle" (no trailing slash needed). */
  url: string;
  username: string;
  password: string;
  /**
   * The Base32 key of the admin's authenticator-app factor (tool_mfa's TOTP), when Moodle asks this
   * admin for a second factor; the client answers it (moodle/mfa.ts).
   */
  totpKey?: string;
  /** Plain http is refused unless this is true (loopback test sites, the local double). */
  allowHttp?: boolean;
  /** PEM text of an extra CA to trust (TLS verification itself is never switched off). */
  caCertPem?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /** Retries for network errors, 5xx and 429 on reads and idempotent writes; default 3. */
  retries?: number;
}

export interface MoodleVersion {
  /** e.g. "5.0.6+ (Build: 20260403)" */
  release: string;
  /** e.g. 4.5, 5.0, 5.1 */
  major: number;
  minor: number;
}

export interface SessionInfo {
  userId: number;
}

export interface ExternalService {
  id: number;
  name: string;
  /** From the service's edit form; undefined only when it could not be read. */
  shortname?: string;
  /** "" for custom services, e.g. "mod_percipio" for built-in ones. */
  component: string;
  builtin: boolean;
  enabled: boolean;
  /** true = "Authorised users only", false = "All users". */
  restrictedUsers: boolean;
}

export interface AuthorisedUser {
  id: number;
  label: string;
}

export interface TokenRow {
  /** From the delete action link (tokenid=N); the only place Moodle shows it. */
  id: number;
  name: string;
  /** From the user column's profile link (user/profile.php?id=N); optional because it is parsed, not guaranteed. */
  userId?: number;
  userFullName: string;
  userEmail: string;
  serviceName: string;
  serviceShortname: string;
  /** "" = any IP. */
  ipRestriction: string;
  /**
   * ISO date (YYYY-MM-DD), null for "no expiry", undefined for a date the page shows in a form the
   * parser cannot read (it never guesses).
   */
  validUntil: string | null | undefined;
  /** Raw text, in the site's language. */
  lastAccess: string;
  /** Whether the token was ever used (its last access is a date). */
  used: boolean;
  /**
   * Capabilities the service's functions declare and the token's user holds in no role (the report's
   * "Missing capabilities"; always empty for site administrators). Moodle does not check them before a
   * call, but the functions do, so a call needing one fails.
   */
  missingCapabilities?: string[];
}

/** Tokens named exactly `name` (Moodle's report filter "Is equal to"), or whose name starts with it ("Starts with"). */
export interface TokenQuery {
  name: string;
  match: "exact" | "prefix";
}

export interface CreateTokenRequest {
  name: string;
  userId: number;
  serviceId: number;
  /** "" = any IP. */
  ipRestriction?: string;
  /** YYYY-MM-DD, or undefined for never. */
  validUntil?: string;
}

export interface CreatedToken {
  /** The secret value, shown once by Moodle. */
  token: string;
  row: TokenRow;
}

/** Settings of mod_percipio (config plugin `percipio`). Runtime keys the plugin writes are not here. */
export const PERCIPIO_SETTING_NAMES = [
  "authenticationmethod",
  "clientid",
  "clientsecret",
  "scope",
  "bearertoken",
  "oauthurl",
  "percipiourl",
  "organizationid",
  "piiinfo",
] as const;
export type PercipioSettingName = (typeof PERCIPIO_SETTING_NAMES)[number];
export type PercipioPluginSettings = Record<PercipioSettingName, string>;
