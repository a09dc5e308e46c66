// Whether Moodle accepts the stack's token for every function of its service (moodle/tokenCheck.ts):
// the token's `acceptedByMoodle`. "yes" once Moodle accepted it; "refused: <why>" after a read-back
// that found Moodle refusing it (drift: `up` calls again, after the steps before it repaired what the
// stack owns, and fails with what is left to change in Moodle); "not proven: <why>" where this runner
// cannot ask (an adopted token's value, an IP restriction). State written before this has none, which
// counts as accepted.
import type { MoodleAdmin } from "../../moodle/api";
import { isoDaysAhead } from "../../moodle/dates";
import { missingCapabilitiesReason, type TokenFacts } from "../../moodle/tokenCheck";
import type { TokenState } from "./provider";

export const ACCEPTED = "yes";
export const REFUSED = "refused: ";
const UNPROVEN = "not proven: ";

/** The refusal that means the token no longer exists: read-back reports it gone, so the token is made again. */
export const GONE = "Moodle has no such token any more (deleted, or expired and then used)";

export const isRefused = (value: unknown): boolean => typeof value === "string" && value.startsWith(REFUSED);

/** A token Moodle refuses for its service's functions, with who lacks what. */
export class TokenRefusedError extends Error {}

/** What the calls need to tell causes apart; the configured admin is the site administrator logged in to admin pages. */
function factsOf(props: TokenState): TokenFacts {
  return {
    serviceName: props.serviceShortname,
    tokenUser: props.tokenUser,
    ipRestriction: props.ipRestriction ?? "",
    userIsAdmin: String(props.tokenUser).toLowerCase() === String(props.adminUser).toLowerCase(),
  };
}

/** The service's functions: as recorded at creation, else from its Functions page. */
export async function functionsOf(moodle: MoodleAdmin, props: TokenState): Promise<string[]> {
  if (Array.isArray(props.functions) && props.functions.length > 0) return props.functions;
  if (typeof props.serviceId === "number") return moodle.serviceFunctions(props.serviceId);
  const service = await moodle.findService({ shortname: props.serviceShortname });
  if (!service) throw new TokenRefusedError(`Moodle has no external service with shortname '${props.serviceShortname}' (moodle:serviceShortname)`);
  return moodle.serviceFunctions(service.id);
}

/**
 * Moodle's answer now: "yes", "refused: <why>" or "not proven: <why>". Calls each function (stopping
 * before it runs); for a token of another user than the admin, also the "Missing capabilities" Manage
 * tokens shows (`missing` when the caller has the token's row at hand), which the functions check when they run.
 */
/** Whether the token can be called without harm: its value is known, and it is not within a day of its valid-until (Moodle deletes a token called after it). */
export function callable(props: TokenState): boolean {
  return !props.adopted && typeof props.token === "string" && props.token !== "" && !(props.validUntil && props.validUntil <= isoDaysAhead(1));
}

export async function acceptance(moodle: MoodleAdmin, props: TokenState, functions: string[], missing?: string[], readBack = false): Promise<string> {
  if (!callable(props)) {
    return props.token ? `${UNPROVEN}the token expires within a day (its successor is checked)` : `${UNPROVEN}the token was adopted, and this stack never saw its value`;
  }
  const facts = factsOf(props);
  // callable() above: the value is known.
  const verdict = await moodle.checkToken(props.token!, functions, facts);
  if (verdict.kind === "gone") return REFUSED + GONE;
  if (verdict.kind === "refused") {
    // On read-back, a refusal that another step of this stack owns is that step's drift, not the token's:
    // web services and REST (their own resources), the service switched off or restricted (the service's
    // resource, which authorises the token's user). `up` switches them on before the token is looked at.
    if (readBack && (verdict.cause === "webservices" || (verdict.cause === "service" && (await serviceStepOwnsIt(moodle, props))))) return ACCEPTED;
    return REFUSED + verdict.reason;
  }
  if (!facts.userIsAdmin) {
    const row = missing ? undefined : (await moodle.findTokens({ name: props.moodleName ?? props.name, match: "exact" })).find((t) => t.id === Number(props.tokenId));
    const lacking = missing ?? row?.missingCapabilities ?? [];
    if (lacking.length > 0) return REFUSED + missingCapabilitiesReason(facts.tokenUser, lacking);
  }
  return verdict.kind === "unproven" ? UNPROVEN + verdict.reason : ACCEPTED;
}

/** Whether the service is switched off or restricted: what the service's own resource repairs (unlike a function taken out of it). */
async function serviceStepOwnsIt(moodle: MoodleAdmin, props: TokenState): Promise<boolean> {
  const service = typeof props.serviceId === "number" ? await moodle.getService(props.serviceId) : await moodle.findService({ shortname: props.serviceShortname });
  return !service || !service.enabled || service.restrictedUsers;
}

/** The error of a step that needs Moodle to accept the token and found it refused. */
export function refusedError(props: TokenState, accepted: string, outcome: string): TokenRefusedError {
  return new TokenRefusedError(
    `Moodle refuses the token '${props.moodleName}' for the service '${props.serviceShortname}': ${accepted.slice(REFUSED.length)}. ${outcome}`,
  );
}
