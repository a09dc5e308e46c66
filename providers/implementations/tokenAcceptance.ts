// Whether Moodle accepts the stack's token for every function of its service (moodle/tokenCheck.ts),
// as a resource of its own after the token: created once Moodle accepts the token, read back on every
// preview (a refusal is drift, with its reason), and updated by `up` (which calls again, after the
// steps before it repaired what the stack owns, and fails with what is left to change in Moodle).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import { missingCapabilitiesReason, type TokenFacts } from "../../moodle/tokenCheck";
import { CONNECTION_KEYS, checkInputs, configure, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "./common";

const shape = {
  ...connectionSchema,
  token: z.string(),
  tokenId: z.number().int(),
  moodleName: z.string().min(1),
  serviceShortname: z.string().min(1),
  tokenUser: z.string().min(1),
  ipRestriction: z.string(),
  validUntil: z.string(),
  acceptedByMoodle: z.literal("yes"),
};
const TOKEN_KEYS = ["token", "tokenId", "moodleName", "serviceShortname", "tokenUser", "ipRestriction", "validUntil"];
const INPUT_KEYS = [...CONNECTION_KEYS, ...TOKEN_KEYS, "acceptedByMoodle"];

export const ACCEPTED = "yes";
const REFUSED = "refused: ";
const UNPROVEN = "not proven: ";

/** A token Moodle refuses for its service's functions, with who lacks what. */
export class TokenRefusedError extends Error {}

function isoDaysAhead(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** What the calls need to tell causes apart; the configured admin is the site administrator logged in to admin pages. */
function factsOf(props: Record<string, any>): TokenFacts {
  return {
    serviceName: props.serviceShortname,
    tokenUser: props.tokenUser,
    ipRestriction: props.ipRestriction ?? "",
    userIsAdmin: String(props.tokenUser).toLowerCase() === String(props.adminUser).toLowerCase(),
  };
}

async function functionsOf(moodle: MoodleAdmin, props: Record<string, any>): Promise<string[]> {
  if (Array.isArray(props.functions) && props.functions.length > 0) return props.functions;
  const service = await moodle.findService({ shortname: props.serviceShortname });
  if (!service) throw new TokenRefusedError(`Moodle has no external service with shortname '${props.serviceShortname}' (moodle:serviceShortname)`);
  return moodle.serviceFunctions(service.id);
}

/**
 * Moodle's answer now: "yes", "refused: <why>" or "not proven: <why>". Calls each function (stopping
 * before it runs); for a token of another user than the admin, also the "Missing capabilities" Manage
 * tokens shows, which the functions check when they run.
 */
async function answer(moodle: MoodleAdmin, props: Record<string, any>, functions: string[]): Promise<string> {
  if (!props.token) return `${UNPROVEN}the token was adopted, and this stack never saw its value`;
  // Calling a token past its valid-until makes Moodle delete it; the token resource renews it instead.
  if (props.validUntil && props.validUntil <= isoDaysAhead(1)) return `${UNPROVEN}the token expires within a day (its successor is checked)`;
  const facts = factsOf(props);
  const verdict = await moodle.checkToken(props.token, functions, facts);
  if (verdict.kind === "gone") return `${REFUSED}Moodle has no such token any more (deleted, or expired and then used)`;
  if (verdict.kind === "refused") return REFUSED + verdict.reason;
  if (!facts.userIsAdmin) {
    const row = (await moodle.findTokens({ name: props.moodleName, match: "exact" })).find((t) => t.id === Number(props.tokenId));
    const lacking = row?.missingCapabilities ?? [];
    if (lacking.length > 0) return REFUSED + missingCapabilitiesReason(facts.tokenUser, lacking);
  }
  return verdict.kind === "unproven" ? UNPROVEN + verdict.reason : ACCEPTED;
}

/** Creates or updates: Moodle must accept the token, or the step fails with why and what to change. */
async function proven(props: Record<string, any>, olds?: Record<string, any>): Promise<Record<string, any>> {
  const moodle = moodleFor(connectionOf(props));
  const functions = await functionsOf(moodle, olds?.tokenId === props.tokenId ? { ...props, functions: olds?.functions } : props);
  const accepted = await answer(moodle, props, functions);
  if (accepted.startsWith(REFUSED)) {
    throw new TokenRefusedError(
      `Moodle refuses the token '${props.moodleName}' for the service '${props.serviceShortname}': ${accepted.slice(REFUSED.length)}. ` +
        "The token stays recorded in the stack but is not handed off as working; this stack switched on what it owns (web services, REST, " +
        "the service and its users), so the rest must be changed in Moodle. Then run pulumi up again",
    );
  }
  return { ...props, acceptedByMoodle: accepted, functions };
}

export const tokenAcceptance: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => configure(req),
  check: async (_olds, news) => checkInputs(shape, news),
  // A new token (or one Moodle refused at the last read-back) is called again; nothing here is ever replaced.
  diff: async (_id, olds, news) => {
    const planned = diffFields(olds, news, { update: TOKEN_KEYS });
    return String(olds.acceptedByMoodle ?? ACCEPTED).startsWith(REFUSED) ? { ...planned, changes: true } : planned;
  },

  async create(inputs) {
    return { id: `token-${inputs.tokenId}`, outs: await proven(inputs) };
  },

  async read(id, props) {
    const moodle = moodleFor(connectionOf(props));
    const live = { ...props, acceptedByMoodle: await answer(moodle, props, await functionsOf(moodle, props)) };
    // Only a refusal is drift (its reason shows in the plan); "not proven" is as far as this runner can see.
    const asInput = live.acceptedByMoodle.startsWith(REFUSED) ? live.acceptedByMoodle : ACCEPTED;
    return { id, props: live, inputs: { ...pick(live, INPUT_KEYS), acceptedByMoodle: asInput } };
  },

  async update(_id, olds, news) {
    return { outs: await proven(news, olds) };
  },

  // Nothing in Moodle belongs to this resource.
  async delete() {
    return;
  },
};
