// Whether Moodle accepts a token for the functions of its service, proven with calls that run no
// function: webservice/lib.php checks, in this order, the token (invalidtoken; expired: accessexception,
// and the token is deleted), its IP restriction, its user (wsaccessuser*), the protocol capability
// webservice/rest:use, the function's place in an enabled service the user may use (accessexception),
// and only then the parameters. A call with a parameter no function declares is answered
// "invalidparameter" exactly when every check before passed; the function's body never runs. (Each call still sets the token's last access
// and logs a "web service function called" event, as Skillsoft's calls do.)
import { MoodleRestError, MoodleWebServicesUnavailableError } from "./errors";

/** The code this module gives Moodle's HTTP 403 with an empty body (web services or REST off). */
export const WEBSERVICES_OFF = "webservicesoff";

/** What Moodle said to one call without parameters: "passed" = every access check passed. */
export type ProbeAnswer = { passed: true } | { passed: false; errorcode: string; message: string; debuginfo?: string };

/**
 * Where a refusal comes from: web services or REST switched off (the whole web-service layer), the
 * service (switched off, restricted to users the token's user is not among, or without the function),
 * or anything about the token and its user.
 */
export type RefusalCause = "webservices" | "service" | "token";

export type TokenVerdict =
  | { kind: "accepted" }
  /** Moodle has no such token (deleted, or expired and then used). */
  | { kind: "gone" }
  | { kind: "refused"; reason: string; cause: RefusalCause }
  /** Refused at a check that the token's IP restriction may explain: nothing can be proven from this runner. */
  | { kind: "unproven"; reason: string };

/** Calls `wsfunction` ("" for none) with the token and only a parameter the function does not declare. */
export type Probe = (wsfunction: string) => Promise<ProbeAnswer>;

/** Turns a REST client's call into a probe answer (errors other than Moodle's answers propagate). */
export async function probeAnswer(call: () => Promise<unknown>): Promise<ProbeAnswer> {
  try {
    await call();
    // A function that ran without parameters passed every check too (none of Percipio's does).
    return { passed: true };
  } catch (e) {
    if (e instanceof MoodleRestError) {
      if (e.errorcode === "invalidparameter") return { passed: true };
      return { passed: false, errorcode: e.errorcode, message: e.moodleMessage, debuginfo: e.debuginfo };
    }
    if (e instanceof MoodleWebServicesUnavailableError) {
      return { passed: false, errorcode: WEBSERVICES_OFF, message: "HTTP 403: web services or the REST protocol are switched off" };
    }
    throw e;
  }
}

const said = (a: { message: string; debuginfo?: string }) => `Moodle said "${a.message}"${a.debuginfo ? ` (${a.debuginfo})` : ""}`;

export interface TokenFacts {
  serviceName: string;
  tokenUser: string;
  ipRestriction: string;
  /** The token's user is a site administrator (who always holds webservice/rest:use). */
  userIsAdmin: boolean;
}

/** Probes every function; on a refusal, one call without a function tells the token's own checks from the service's. */
export async function tokenVerdict(probe: Probe, functions: string[], facts: TokenFacts): Promise<TokenVerdict> {
  // The calls carry no session (Moodle handles them side by side): all at once, then read in order.
  const answers = await Promise.all(functions.map((fn) => probe(fn)));
  for (const [i, fn] of functions.entries()) {
    const answer = answers[i];
    if (answer.passed) continue;
    if (answer.errorcode === "invalidtoken") return { kind: "gone" };
    if (answer.errorcode !== "accessexception") {
      return { kind: "refused", reason: `${said(answer)} when the token called ${fn}`, cause: answer.errorcode === WEBSERVICES_OFF ? "webservices" : "token" };
    }
    const own = await probe("");
    if (own.passed) {
      return {
        kind: "refused",
        cause: "service",
        reason:
          `Moodle refuses the token for ${fn} (${said(answer)}): the function is no longer in the service "${facts.serviceName}", ` +
          "the service is switched off, or it is restricted to authorised users and the token's user is not one of them",
      };
    }
    if (own.errorcode !== "accessexception") return { kind: "refused", reason: said(own), cause: "token" };
    if (own.debuginfo && /webservice\/rest:use/.test(own.debuginfo)) {
      return { kind: "refused", cause: "token", reason: `the token's user "${facts.tokenUser}" lacks the capability webservice/rest:use (${said(own)})` };
    }
    if (facts.ipRestriction && facts.userIsAdmin && !own.debuginfo) {
      return {
        kind: "unproven",
        reason: `Moodle refuses calls from this runner (${said(own)}); the token's IP restriction (${facts.ipRestriction}) probably excludes it, so whether calls from Skillsoft's addresses work cannot be checked from here`,
      };
    }
    return {
      kind: "refused",
      cause: "token",
      reason:
        `Moodle refuses the token itself (${said(own)}): its user "${facts.tokenUser}" lacks the capability webservice/rest:use ` +
        `(site administrators hold it; others need a role that allows it in the system context)` +
        (facts.ipRestriction ? `, or its IP restriction (${facts.ipRestriction}) excludes this runner` : ""),
    };
  }
  return { kind: "accepted" };
}

/** What a user with capabilities missing must do: Moodle lists them on Manage tokens, the functions check them. */
export function missingCapabilitiesReason(tokenUser: string, capabilities: string[]): string {
  return (
    `the token's user "${tokenUser}" lacks capabilities the service's functions check: ${capabilities.join(", ")} ` +
    "(Manage tokens shows them as \"Missing capabilities\"); give that user a role that allows them in the system context, or make the token for a site administrator (moodle:tokenUser)"
  );
}
