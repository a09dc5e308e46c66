// The web-service token for the Percipio service. Its value is shown by Moodle once, at creation;
// it lives on only as a secret output.
import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import { isoDaysAhead } from "../../moodle/dates";
import { MoodleTokenExistsError } from "../../moodle/errors";
import type { TokenRow } from "../../moodle/types";
import { ACCEPTED, acceptance, callable, functionsOf, GONE, isRefused, REFUSED, refusedError } from "./acceptance";
import { CONNECTION_KEYS, checkInputs, connectionOf, connectionSchema, diffFields, isUnknown, moodleFor, pick } from "../shared/common";

const shape = {
  ...connectionSchema,
  name: z.string().min(1).max(60),
  tokenUser: z.string().min(1),
  serviceShortname: z.string().min(1),
  ipRestriction: z.string(),
  validUntil: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, "expected YYYY-MM-DD or empty"),
  rotation: z.string(),
  adoptExisting: z.boolean(),
  /** Rolling validity: the token is made valid for this many days from its creation (absent: validUntil). */
  validDays: z.number().int().min(2).optional(),
  /** With validDays: a live token expiring within this many days is replaced. */
  renewBeforeDays: z.number().int().min(1).optional(),
};
/** Any change to these needs a new token: Moodle cannot edit a token. */
const REPLACE_KEYS = ["name", "tokenUser", "serviceShortname", "ipRestriction", "validUntil", "validDays", "rotation", "adoptExisting"];
/** An adopted token keeps the restriction and expiry it was made with; only its identity counts. */
const ADOPTED_REPLACE_KEYS = ["name", "tokenUser", "serviceShortname", "adoptExisting"];
/**
 * With a rolling validity the valid-until is computed at creation, so it is not compared with the
 * (empty) configured date; the live date decides renewal instead (see renewalDue).
 */
const ROLLING_REPLACE_KEYS = REPLACE_KEYS.filter((k) => k !== "validUntil");
const INPUT_KEYS = [...CONNECTION_KEYS, ...REPLACE_KEYS, "renewBeforeDays", "generation", "acceptedByMoodle"];

/** The token's inputs as check validated them (its zod shape), with the generation check adds. */
export type TokenInputs = z.infer<z.ZodObject<typeof shape>> & { generation?: number };

/** What state records of a token: its inputs and what Moodle gave it (state of earlier versions may lack some). */
export type TokenState = TokenInputs & {
  tokenId?: number;
  token?: string;
  moodleName?: string;
  userId?: number;
  serviceId?: number;
  adopted?: boolean;
  issuedAt?: string;
  functions?: string[];
  acceptedByMoodle?: string;
};

/** What makes a token a new generation: any of these changing means Moodle needs a new token. */
const GENERATION_KEYS = [...REPLACE_KEYS, "moodleUrl"];

/**
 * The generation of the token these inputs describe, carried in the inputs from run to run: kept
 * while nothing that needs a new token changed, else the next one. State written before
 * generations existed has none, which counts as 0 (the name those versions gave).
 */
export function nextGeneration(olds: Record<string, unknown>, news: Record<string, unknown>): number {
  const previous = typeof olds.generation === "number" ? olds.generation : 0;
  if (Object.keys(olds).length === 0) return previous;
  const changed = GENERATION_KEYS.some((k) => isUnknown(news[k]) || JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
  return changed ? previous + 1 : previous;
}

/**
 * The name the token gets in Moodle: the configured name plus a short fingerprint of everything
 * that identifies this generation, so a replacement (created before the old token is deleted)
 * never collides with its predecessor, even when only the site URL changed, and a re-run finds its
 * own token again by name. Generation 0 keeps the fingerprint earlier versions used.
 */
export function moodleTokenName(inputs: TokenInputs): string {
  if (inputs.adoptExisting) return inputs.name;
  const identity: unknown[] = [inputs.tokenUser, inputs.serviceShortname, inputs.ipRestriction, inputs.validUntil, inputs.rotation];
  if (inputs.generation) identity.push(inputs.generation);
  if (inputs.validDays) identity.push(`validDays:${inputs.validDays}`);
  const fingerprint = createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 6);
  return `${inputs.name}-${fingerprint}`;
}

/** What state records of a token. Its last access is left out: Skillsoft using the token is not drift. */
function liveFields(row: TokenRow, validUntil: string) {
  return { ipRestriction: row.ipRestriction, validUntil, moodleName: row.name };
}

/**
 * A same-named token this stack can prove it made in an interrupted run: the name carries the
 * fingerprint of exactly this generation, every attribute matches, and it was never used, so
 * nobody holds its value (Moodle showed it once, to the run that died).
 */
function leftByInterruptedRun(row: TokenRow, inputs: TokenInputs, userId: number, validUntil: string): boolean {
  return (
    row.name === moodleTokenName(inputs) &&
    // Stryker disable next-line ConditionalExpression: the client reports a clash only for this user and service (moodle/tokens.ts), so this never decides there; kept so the predicate stands alone
    row.serviceShortname === inputs.serviceShortname &&
    // Stryker disable next-line ConditionalExpression: as above
    row.userId === userId &&
    row.ipRestriction === inputs.ipRestriction &&
    // A date the page shows in a form that cannot be read proves nothing.
    row.validUntil !== undefined &&
    (row.validUntil ?? "") === validUntil &&
    !row.used
  );
}

/** Whether Moodle stopped accepting the token: it stops at the start of its valid-until day. */
function expired(row: TokenRow): boolean {
  return !!row.validUntil && row.validUntil <= isoDaysAhead(0);
}

/**
 * Whether a token of a rolling validity is due for its successor: Moodle stops it at the start of
 * its valid-until day, and that day is within renewBeforeDays of today.
 */
export function renewalDue(validUntil: unknown, inputs: Partial<Pick<TokenInputs, "validDays" | "adoptExisting" | "renewBeforeDays">>): boolean {
  if (!inputs.validDays || inputs.adoptExisting || typeof validUntil !== "string" || validUntil === "") return false;
  return validUntil <= isoDaysAhead(inputs.renewBeforeDays ?? 14);
}

/** A token that a replacement is due for: dead already, or (rolling validity) inside its renewal window. */
function dueForSuccessor(row: TokenRow, inputs: TokenInputs): boolean {
  return expired(row) || renewalDue(row.validUntil, inputs);
}

/**
 * The valid-until a new token gets: the configured date, or with a rolling validity validDays from
 * now. Computed at creation only, so the inputs stay the same from day to day.
 */
function validUntilAtCreation(inputs: TokenInputs): string {
  return inputs.validDays ? isoDaysAhead(inputs.validDays) : inputs.validUntil;
}

/**
 * Where a new token's generation starts. The inputs keep the generation of the last change of
 * config, not of the last renewal (check sees the inputs, never the live token), so a rolling
 * token continues after the newest generation still in Moodle that is due for renewal: its
 * successor counts as a replacement, and never takes back the name of an earlier one.
 */
async function firstFreeGeneration(moodle: MoodleAdmin, inputs: TokenInputs): Promise<number> {
  const first: number = inputs.generation ?? 0;
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, createGeneration steps over the same dead names (this saves a token-list read); adoption never gets here
  if (!inputs.validDays || inputs.adoptExisting) return first;
  // Every generation's name starts with the configured name and a dash: one filtered lookup finds them all.
  const family = await moodle.findTokens({ name: `${inputs.name}-`, match: "prefix" });
  const due = new Set(family.filter((t) => dueForSuccessor(t, inputs)).map((t) => t.name));
  let next = first;
  for (let generation = first; generation <= first + MAX_GENERATION_STEPS; generation++) {
    if (due.has(moodleTokenName({ ...inputs, generation }))) next = generation + 1;
  }
  return next;
}

/** How many expired predecessors' names a new token steps over at most. */
const MAX_GENERATION_STEPS = 20;

/**
 * Creates the token of the inputs' generation. A same-named token left by an interrupted run of
 * this stack is replaced; an expired one (dead: Moodle deletes it on its next use), or one due for
 * renewal, is the predecessor of a replacement that refresh planned (check never saw the live
 * expiry), so the next generation's name is taken and the replacement's delete removes it.
 * Anything else stops the run.
 */
async function createGeneration(moodle: MoodleAdmin, inputs: TokenInputs, userId: number, serviceId: number) {
  const first: number = await firstFreeGeneration(moodle, inputs);
  const validUntil = validUntilAtCreation(inputs);
  for (let generation = first; generation <= first + MAX_GENERATION_STEPS; generation++) {
    const named: TokenInputs = { ...inputs, generation };
    const request = { name: moodleTokenName(named), userId, serviceId, ipRestriction: named.ipRestriction, validUntil: validUntil || undefined };
    try {
      // The client refuses to create over a same-named token (it checks the list first).
      return { ...(await moodle.createToken(request)), generation, validUntil };
    } catch (err) {
      if (!(err instanceof MoodleTokenExistsError)) throw err;
      const clashing = err.rows.filter((t) => err.tokenIds.includes(t.id));
      if (clashing.length > 0 && clashing.every((t) => leftByInterruptedRun(t, named, userId, validUntil))) {
        // Ours, from a run that died after Moodle created it: its value is lost, so it is replaced.
        for (const t of clashing) await moodle.deleteToken(t.id);
        return { ...(await moodle.createToken(request)), generation, validUntil };
      }
      if (clashing.length > 0 && clashing.every((t) => dueForSuccessor(t, inputs))) continue;
      throw new Error(
        `Moodle already has a token named '${request.name}' (id ${err.tokenIds.join(", ")}) that this stack does not know ` +
          "and cannot prove it made (it was used, or its user, service, IP restriction or expiry differ); Moodle never shows its value again. " +
          "Delete it in Site administration > Server > Web services > Manage tokens and run again. (Only if Skillsoft already has its value: " +
          `adopt it with moodle:adoptExistingToken=true and moodle:tokenName='${request.name}'.)`,
      );
    }
  }
  throw new Error(`Moodle has expired tokens under the next ${MAX_GENERATION_STEPS} names of '${inputs.name}'; delete them in Manage tokens and run again.`);
}


export const webServiceToken: pulumi.dynamic.ResourceProvider = {
  check: async (olds, news) => {
    const result = checkInputs(shape, news);
    return { ...result, inputs: { ...news, generation: nextGeneration(olds, news) } };
  },
  // A token lives on one site: another site URL means a new token there (created before the old
  // one is deleted, which is harmless when the URL only renamed the same site). The olds are the
  // refreshed outputs, so a rolling token's live valid-until tells whether its renewal is due.
  diff: async (_id, olds, news) => {
    const replaceKeys = news.adoptExisting ? ADOPTED_REPLACE_KEYS : news.validDays ? ROLLING_REPLACE_KEYS : REPLACE_KEYS;
    const planned = diffFields(olds, news, { replace: [...replaceKeys, "moodleUrl"], update: ["renewBeforeDays"] });
    // Refused by Moodle at the last read-back: `up` calls again, after the steps before it repaired what they own.
    if (isRefused(olds.acceptedByMoodle) && !planned.replaces?.length) return { ...planned, changes: true };
    if (!renewalDue(olds.validUntil, news)) return planned;
    return { ...planned, changes: true, replaces: [...(planned.replaces ?? []), "validUntil"] };
  },

  async create(inputs) {
    const moodle = moodleFor(connectionOf(inputs));
    // Right before the token write: the service's pages read since the last write to them will do.
    const service = await moodle.findService({ shortname: inputs.serviceShortname }, true);
    if (!service) throw new Error(`Moodle has no external service with shortname '${inputs.serviceShortname}' (moodle:serviceShortname).`);
    const userId = await moodle.userIdFor(inputs.tokenUser);
    const moodleName = moodleTokenName(inputs);
    const common = { ...inputs, userId, serviceId: service.id };

    if (inputs.adoptExisting) {
      // Only a token of the configured user on the configured service can stand in for ours.
      const matching = (await moodle.findTokens({ name: moodleName, match: "exact" })).filter(
        (t) => t.name === moodleName && t.serviceShortname === inputs.serviceShortname && (t.userId === undefined || t.userId === userId),
      );
      if (matching.length !== 1) {
        throw new Error(
          `moodle:adoptExistingToken is set but Moodle has ${matching.length} tokens named '${moodleName}' ` +
            `(moodle:tokenName) for user '${inputs.tokenUser}' on service '${inputs.serviceShortname}'; exactly one is needed to adopt.`,
        );
      }
      const row = matching[0];
      if (row.validUntil === undefined) {
        throw new Error(
          `Moodle lists the token '${moodleName}' (id ${row.id}) with a valid-until this project cannot read from the page; adopting it would record a wrong expiry. ` +
            "Report the page's date format, or replace the token with one made by this stack (moodle:adoptExistingToken=false).",
        );
      }
      // Moodle never shows a token's value again, so an adopted token's value is not exported.
      return { id: String(row.id), outs: { ...common, ...liveFields(row, row.validUntil ?? ""), tokenId: row.id, token: "", adopted: true, issuedAt: "" } };
    }

    const functions = await moodle.serviceFunctions(service.id);
    const created = await createGeneration(moodle, inputs, userId, service.id);
    const outs: TokenState = {
      ...common,
      // What was asked for: Moodle cannot edit a token, so these stay what it was created with.
      ...liveFields(created.row, created.validUntil),
      generation: created.generation,
      tokenId: created.row.id,
      token: created.token,
      adopted: false,
      issuedAt: new Date().toISOString(),
      functions,
    };
    // Before the token is handed off: Moodle must accept it for every function of the service.
    const accepted = callable(outs) ? await acceptance(moodle, outs, functions, created.row.missingCapabilities ?? []) : ACCEPTED;
    if (isRefused(accepted)) {
      // Nothing is handed off that Moodle refuses, and no credential is left that nobody records.
      await moodle.deleteToken(created.row.id);
      throw refusedError(outs, accepted, "The new token was deleted again and nothing was handed off; change that in Moodle (or moodle:tokenUser) and run pulumi up again");
    }
    return { id: String(created.row.id), outs: { ...outs, acceptedByMoodle: accepted } };
  },

  // A token deleted in Moodle (by hand, or expired and used) is reported gone. Moodle cannot edit a
  // token, so a token that still exists has the name, IP restriction and valid-until it was made with:
  // one request for its id answers, however many tokens the site lists.
  async read(id, props) {
    const moodle = moodleFor(connectionOf(props));
    const live: TokenState = { ...(props as TokenState) };
    if (callable(props)) {
      // The calls that prove Moodle accepts the token also say whether it still exists (no admin page).
      const functions = await functionsOf(moodle, props);
      const accepted = await acceptance(moodle, props, functions, undefined, true);
      if (accepted === `${REFUSED}${GONE}`) return { id: "", props: {} };
      Object.assign(live, { functions, acceptedByMoodle: accepted });
    } else if (!(await moodle.tokenExists(Number(id)))) {
      return { id: "", props: {} };
    }
    // A rolling token's configured date stays empty: its live date is an output, not a new input.
    // Keys the token never had (validDays of a fixed date) stay absent (pick): the engine refuses undefined.
    const inputs = pick(live, INPUT_KEYS);
    // Only a refusal is drift (its reason shows in the plan); "not proven" is as far as this runner can see.
    if (inputs.acceptedByMoodle !== undefined && !isRefused(inputs.acceptedByMoodle)) inputs.acceptedByMoodle = ACCEPTED;
    return { id, props: live, inputs: props.validDays ? { ...inputs, validUntil: "" } : inputs };
  },

  // Only connection details or adoption can change in place; everything else replaces.
  // The valid-until stays the live one (a rolling or adopted token's configured date is not it).
  async update(_id, olds, news) {
    const outs: TokenState = { ...olds, ...news, validUntil: olds.validUntil ?? news.validUntil };
    if (isRefused(olds.acceptedByMoodle) && callable(outs)) {
      const moodle = moodleFor(connectionOf(news));
      const accepted = await acceptance(moodle, outs, await functionsOf(moodle, outs));
      if (isRefused(accepted)) {
        throw refusedError(outs, accepted, "This stack switched on what it owns (web services, REST, the service and its users); what is left must be changed in Moodle, then run pulumi up again");
      }
      outs.acceptedByMoodle = accepted;
    }
    return { outs };
  },

  async delete(id, props) {
    const moodle = moodleFor(connectionOf(props));
    if (props.adopted) return; // not ours to delete: it was made by hand
    // Deleting a token that is gone already is Moodle's "no such record": done either way.
    await moodle.deleteToken(Number(id));
  },
};
