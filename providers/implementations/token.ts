// The web-service token for the Percipio service. Its value is shown by Moodle once, at creation;
// it lives on only as a secret output.
import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { MoodleTokenExistsError } from "../../moodle/errors";
import type { TokenRow } from "../../moodle/types";
import { CONNECTION_KEYS, checkInputs, configure, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "./common";

const shape = {
  ...connectionSchema,
  name: z.string().min(1).max(60),
  tokenUser: z.string().min(1),
  serviceShortname: z.string().min(1),
  ipRestriction: z.string(),
  validUntil: z.string().regex(/^(\d{4}-\d{2}-\d{2})?$/, "expected YYYY-MM-DD or empty"),
  rotation: z.string(),
  adoptExisting: z.boolean(),
};
/** Any change to these needs a new token: Moodle cannot edit a token. */
const REPLACE_KEYS = ["name", "tokenUser", "serviceShortname", "ipRestriction", "validUntil", "rotation", "adoptExisting"];
/** An adopted token keeps the restriction and expiry it was made with; only its identity counts. */
const ADOPTED_REPLACE_KEYS = ["name", "tokenUser", "serviceShortname", "adoptExisting"];
const INPUT_KEYS = [...CONNECTION_KEYS, ...REPLACE_KEYS, "adoptExisting"];

/**
 * The name the token gets in Moodle: the configured name plus a short fingerprint of everything
 * that identifies this generation, so a replacement (created before the old token is deleted)
 * never collides with its predecessor, and a re-run finds its own token again by name.
 */
export function moodleTokenName(inputs: Record<string, any>): string {
  if (inputs.adoptExisting) return inputs.name;
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([inputs.tokenUser, inputs.serviceShortname, inputs.ipRestriction, inputs.validUntil, inputs.rotation]))
    .digest("hex")
    .slice(0, 6);
  return `${inputs.name}-${fingerprint}`;
}

function liveFields(row: TokenRow) {
  return { ipRestriction: row.ipRestriction, validUntil: row.validUntil ?? "", moodleName: row.name, lastAccess: row.lastAccess };
}

export const token: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => configure(req),
  check: async (_olds, news) => checkInputs(shape, news),
  // A token lives on one site: another site URL means a new token there (created before the old
  // one is deleted, which is harmless when the URL only renamed the same site).
  diff: async (_id, olds, news) =>
    diffFields(olds, news, { replace: [...(news.adoptExisting ? ADOPTED_REPLACE_KEYS : REPLACE_KEYS), "moodleUrl"] }),

  async create(inputs) {
    const moodle = moodleFor(connectionOf(inputs));
    const service = await moodle.findService({ shortname: inputs.serviceShortname });
    if (!service) throw new Error(`Moodle has no external service with shortname '${inputs.serviceShortname}' (moodle:serviceShortname).`);
    const userId = await moodle.userIdFor(inputs.tokenUser);
    const moodleName = moodleTokenName(inputs);
    const common = { ...inputs, userId, serviceId: service.id };

    if (inputs.adoptExisting) {
      // Only a token of the configured user on the configured service can stand in for ours.
      const matching = (await moodle.listTokens()).filter(
        (t) => t.name === moodleName && t.serviceShortname === inputs.serviceShortname && (t.userId === undefined || t.userId === userId),
      );
      if (matching.length !== 1) {
        throw new Error(
          `moodle:adoptExistingToken is set but Moodle has ${matching.length} tokens named '${moodleName}' ` +
            `(moodle:tokenName) for user '${inputs.tokenUser}' on service '${inputs.serviceShortname}'; exactly one is needed to adopt.`,
        );
      }
      const row = matching[0];
      // Moodle never shows a token's value again, so an adopted token's value is not exported.
      return { id: String(row.id), outs: { ...common, ...liveFields(row), tokenId: row.id, token: "", adopted: true } };
    }

    let created;
    try {
      // The client refuses to create over a same-named token (it checks the list first).
      created = await moodle.createToken({
        name: moodleName,
        userId,
        serviceId: service.id,
        ipRestriction: inputs.ipRestriction,
        validUntil: inputs.validUntil || undefined,
      });
    } catch (err) {
      if (!(err instanceof MoodleTokenExistsError)) throw err;
      throw new Error(
        `Moodle already has a token named '${moodleName}' (id ${err.tokenIds.join(", ")}) that this stack does not know, ` +
          "probably left by an interrupted run; Moodle never shows its value again. Delete it in Site administration > " +
          "Server > Web services > Manage tokens and run again. (Only if Skillsoft already has its value: adopt it with " +
          `moodle:adoptExistingToken=true and moodle:tokenName='${moodleName}'.)`,
      );
    }
    return {
      id: String(created.row.id),
      outs: { ...common, ...liveFields(created.row), tokenId: created.row.id, token: created.token, adopted: false },
    };
  },

  // A token deleted in Moodle (by hand, or expired and used) is reported gone.
  async read(id, props) {
    const row = (await moodleFor(connectionOf(props)).listTokens()).find((t) => String(t.id) === id);
    if (!row) return { id: "", props: {} };
    const live = { ...props, ...liveFields(row) };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  // Only connection details or adoption can change in place; everything else replaces.
  async update(_id, olds, news) {
    return { outs: { ...olds, ...news } };
  },

  async delete(id, props) {
    const moodle = moodleFor(connectionOf(props));
    if (props.adopted) return; // not ours to delete: it was made by hand
    if ((await moodle.listTokens()).some((t) => String(t.id) === id)) await moodle.deleteToken(Number(id));
  },
};
