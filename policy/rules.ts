/**
 * What a production stack of this project must look like, as pure checks on the values the engine
 * shows a policy pack (resources' inputs, or their outputs for stack-wide checks). Each check returns
 * the problems it found, each naming the stack config key to change; index.ts makes policies of them.
 * Secret inputs (passwords, the client secret) are never read: the engine may hide them from packs.
 */
import * as net from "net";
import { PERCIPIO_REGIONS } from "../config/stack";

export const MOODLE_TYPE_PREFIX = "pulumi-nodejs:dynamic/moodle:";
export const TOKEN_TYPE = `${MOODLE_TYPE_PREFIX}WebServiceToken`;
export const PERCIPIO_SETTINGS_TYPE = `${MOODLE_TYPE_PREFIX}PercipioSettings`;

export type PercipioRegion = keyof typeof PERCIPIO_REGIONS;
export const REGION_NAMES = Object.keys(PERCIPIO_REGIONS) as PercipioRegion[];

const DAY_MS = 86_400_000;

/** How a Moodle resource connects: only https, and never the escape hatch for local test sites. */
export function transportProblems(props: { allowHttp?: unknown; moodleUrl?: unknown }): string[] {
  // allowHttp is read first: in docker mode the URL is not known during preview, but allowHttp is.
  if (props.allowHttp === true) {
    return [
      "moodle:allowHttp is true, so the admin password and the token may travel unencrypted: run " +
        "`pulumi config rm moodle:allowHttp` and give moodle:url as https://... (moodle:mode=docker always " +
        "connects over http: production stacks use moodle:mode=existing)",
    ];
  }
  const url = String(props.moodleUrl ?? "");
  if (!url.toLowerCase().startsWith("https://")) {
    return [`moodle:url '${url}' is not https: set it to the site's https address, e.g. pulumi config set moodle:url https://moodle.example.com`];
  }
  return [];
}

/** Node's switch that turns certificate verification off for every HTTPS request of the run. */
export function verificationProblems(env: NodeJS.ProcessEnv): string[] {
  if (env.NODE_TLS_REJECT_UNAUTHORIZED !== "0") return [];
  return [
    "NODE_TLS_REJECT_UNAUTHORIZED=0 turns TLS certificate verification off for the connection to Moodle: " +
      "unset it; for a certificate from a private CA set moodle:caCertPath to that CA's PEM file instead",
  ];
}

interface IpEntry {
  text: string;
  prefixLength: number;
  maxPrefixLength: number;
}

function ipEntries(ipRestriction: string): IpEntry[] {
  return ipRestriction
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .map((text) => {
      const [address, bits] = text.split("/");
      const maxPrefixLength = net.isIPv6(address) ? 128 : 32;
      return { text, maxPrefixLength, prefixLength: bits === undefined ? maxPrefixLength : Number(bits) };
    });
}

/** The token works only from listed addresses, and no entry lets every address through. */
export function ipRestrictionProblems(ipRestriction: string, subject = "moodle:tokenIpRestriction"): string[] {
  const entries = ipEntries(ipRestriction);
  if (entries.length === 0) {
    return [
      `${subject} is empty, so the token works from any address: restrict it to the addresses Skillsoft ` +
        "calls from, e.g. pulumi config set moodle:tokenIpRestriction 203.0.113.10,198.51.100.0/24",
    ];
  }
  return entries
    .filter((e) => e.prefixLength === 0)
    .map((e) => `${subject} entry '${e.text}' allows every address: list Skillsoft's addresses instead`);
}

export interface RangeLimits {
  minIpv4PrefixLength: number;
  minIpv6PrefixLength: number;
}

/** Entries wider than the configured range sizes (catch-alls are ipRestrictionProblems' business). */
export function ipRangeProblems(ipRestriction: string, limits: RangeLimits): string[] {
  const problems: string[] = [];
  for (const e of ipEntries(ipRestriction)) {
    const limit = e.maxPrefixLength === 32 ? limits.minIpv4PrefixLength : limits.minIpv6PrefixLength;
    if (e.prefixLength > 0 && e.prefixLength < limit) {
      problems.push(`moodle:tokenIpRestriction entry '${e.text}' is a range wider than /${limit}: narrow it to the addresses Skillsoft calls from`);
    }
  }
  return problems;
}

/** The latest YYYY-MM-DD a token may be valid until when it may live at most maxDays from now. */
export function latestValidUntil(now: Date, maxDays: number): string {
  return new Date(now.getTime() + maxDays * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The token expires, at most maxDays from now: either a fixed moodle:tokenValidUntil, or a rolling
 * validity (moodle:tokenValidDays, the `validDays` input) of at most maxDays that renewal keeps up.
 */
export function expiryProblems(
  token: { validUntil?: unknown; validDays?: unknown },
  maxDays: number,
  now: Date,
  subject = "moodle:tokenValidUntil",
): string[] {
  const latest = latestValidUntil(now, maxDays);
  if (typeof token.validDays === "number" && token.validDays > 0) {
    if (token.validDays <= maxDays) return [];
    return [`moodle:tokenValidDays is ${token.validDays}: a token may be valid for at most ${maxDays} days; set it to ${maxDays} or less`];
  }
  const validUntil = String(token.validUntil ?? "");
  if (validUntil === "") {
    return [`${subject} is empty, so the token never expires: set a date at most ${maxDays} days ahead, e.g. pulumi config set moodle:tokenValidUntil ${latest}`];
  }
  if (validUntil > latest) {
    return [`${subject} ${validUntil} is more than ${maxDays} days ahead: set it to ${latest} or earlier, e.g. pulumi config set moodle:tokenValidUntil ${latest}`];
  }
  return [];
}

/**
 * A token the stack adopted (its outputs say `adopted`) keeps the IP restriction and expiry it was
 * made with by hand, which Moodle reports back: those must meet the same rules as a token we make.
 */
export function adoptedTokenProblems(
  outputs: { adopted?: unknown; moodleName?: unknown; ipRestriction?: unknown; validUntil?: unknown },
  maxDays: number,
  now: Date,
): string[] {
  if (outputs.adopted !== true) return [];
  const subject = `the adopted token '${String(outputs.moodleName ?? "")}'`;
  const found = [
    ...ipRestrictionProblems(String(outputs.ipRestriction ?? ""), `${subject}'s IP restriction in Moodle`),
    ...expiryProblems({ validUntil: outputs.validUntil }, maxDays, now, `${subject}'s "Valid until" in Moodle`),
  ];
  if (found.length === 0) return [];
  return [
    `${found.join("; ")}. Moodle cannot change an existing token: stop adopting it (pulumi config set ` +
      "moodle:adoptExistingToken false) so the stack makes a token with moodle:tokenIpRestriction and " +
      "moodle:tokenValidUntil, then send Skillsoft the new handoff",
  ];
}

function origin(url: unknown): string {
  try {
    return new URL(String(url)).origin;
  } catch {
    return String(url);
  }
}

/** mod_percipio talks to Percipio's own hosts for one of the allowed regions, OAuth and API alike. */
export function percipioHostProblems(props: { oauthUrl?: unknown; apiUrl?: unknown }, allowedRegions: PercipioRegion[]): string[] {
  const oauthUrl = origin(props.oauthUrl);
  const apiUrl = origin(props.apiUrl);
  const region = REGION_NAMES.find((r) => PERCIPIO_REGIONS[r].oauthUrl === oauthUrl && PERCIPIO_REGIONS[r].apiUrl === apiUrl);
  const allowed = allowedRegions.join(" or ");
  if (region && allowedRegions.includes(region)) return [];
  if (region) {
    return [`moodle:percipioRegion is '${region}', but this policy allows only ${allowed}: run pulumi config set moodle:percipioRegion ${allowedRegions[0]}`];
  }
  return [
    `moodle:percipioOauthUrl '${oauthUrl}' and moodle:percipioApiUrl '${apiUrl}' are not Percipio's hosts for region ${allowed}: ` +
      `set moodle:percipioRegion to ${allowed} and remove the custom URLs (pulumi config rm moodle:percipioOauthUrl; pulumi config rm moodle:percipioApiUrl)`,
  ];
}
