// mod_percipio's authentication settings (config plugin `percipio`), updated in place.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import type { PercipioSettingName, PercipioPluginSettings } from "../../moodle/types";
import { verifyPercipioCredentials } from "../../percipio/oauth";
import { CONNECTION_KEYS, checkInputs, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "../shared/common";

/** Resource input -> Moodle setting. The plugin's runtime keys (oauthToken...) are deliberately absent. */
const SETTING_OF: Record<string, PercipioSettingName> = {
  authenticationMethod: "authenticationmethod",
  clientId: "clientid",
  clientSecret: "clientsecret",
  organizationId: "organizationid",
  oauthUrl: "oauthurl",
  apiUrl: "percipiourl",
  scope: "scope",
};
const FIELDS = Object.keys(SETTING_OF);
const INPUT_KEYS = [...CONNECTION_KEYS, ...FIELDS, "verifyCredentials"];

const alnumext = z.string().regex(/^[A-Za-z0-9_-]+$/, "only letters, digits, '_' and '-' are accepted by the plugin");
const shape = {
  ...connectionSchema,
  authenticationMethod: z.literal("oauth"),
  clientId: alnumext,
  clientSecret: alnumext,
  organizationId: alnumext,
  oauthUrl: z.string().url(),
  apiUrl: z.string().url(),
  scope: z.string(),
  verifyCredentials: z.boolean(),
};

/** The settings resource's inputs (its zod shape). */
type SettingsProps = z.infer<z.ZodObject<typeof shape>>;

function asSettings(props: SettingsProps): Partial<PercipioPluginSettings> {
  return Object.fromEntries(FIELDS.map((f) => [SETTING_OF[f], String(props[f as keyof SettingsProps] ?? "")]));
}

function asFields(settings: PercipioPluginSettings): Record<string, string> {
  return Object.fromEntries(FIELDS.map((f) => [f, settings[SETTING_OF[f]]]));
}

/** The fields Skillsoft's credential check depends on: only a change to one of them needs the check again. */
const CREDENTIAL_FIELDS = ["clientId", "clientSecret", "oauthUrl", "scope"];

async function write(props: SettingsProps, only: string[] = FIELDS) {
  if (props.verifyCredentials && only.some((f) => CREDENTIAL_FIELDS.includes(f))) {
    await verifyPercipioCredentials({ oauthUrl: props.oauthUrl, clientId: props.clientId, clientSecret: props.clientSecret, scope: props.scope });
  }
  const all = asSettings(props);
  await moodleFor(connectionOf(props)).setPluginSettings(Object.fromEntries(only.map((f) => [SETTING_OF[f], all[SETTING_OF[f]]])));
}

/** Names of the settings that differ between two snapshots (names only: values may be secret). */
function differing(a: PercipioPluginSettings, b: PercipioPluginSettings): string[] {
  return FIELDS.filter((f) => a[SETTING_OF[f]] !== b[SETTING_OF[f]]);
}

/**
 * Moodle saves the valid fields of a rejected form; put back what was found so nothing is half-done
 * and the next attempt records the real previous values. When even that fails, the error says which
 * settings were left changed on the site.
 */
async function rollBack(moodle: MoodleAdmin, found: PercipioPluginSettings, rejected: unknown): Promise<never> {
  try {
    await moodle.setPluginSettings(Object.fromEntries(FIELDS.map((f) => [SETTING_OF[f], found[SETTING_OF[f]]])));
  } catch (rollbackError) {
    const left = await moodle.pluginSettings().then(
      (now) => differing(found, now),
      () => undefined,
    );
    const what = left === undefined ? "could not be read back; check every mod_percipio setting" : left.length ? `left changed: ${left.join(", ")}` : "none left changed";
    throw new Error(
      `${rejected instanceof Error ? rejected.message : String(rejected)}. Putting mod_percipio's previous settings back failed too ` +
        `(${rollbackError instanceof Error ? rollbackError.message : String(rollbackError)}); settings ${what}. ` +
        "Check them in Site administration > Plugins > Activity modules > Percipio, then run pulumi up again.",
    );
  }
  throw rejected;
}

export const percipioSettings: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => checkInputs(shape, news),
  diff: async (_id, olds, news) => diffFields(olds, news, { update: [...FIELDS, "verifyCredentials"] }),

  async create(inputs) {
    // What was there before, so destroy puts it back (on a fresh site: empty, i.e. cleared).
    const moodle = moodleFor(connectionOf(inputs));
    // The check's preflight has usually just read this page (reused only when nothing was written since).
    const found = await moodle.pluginSettings(true);
    const previous = asFields(found);
    try {
      await write(inputs);
    } catch (err) {
      await rollBack(moodle, found, err);
    }
    return { id: "percipio", outs: { ...inputs, previous } };
  },

  async read(id, props) {
    const live = { ...props, ...asFields(await moodleFor(connectionOf(props)).pluginSettings()) };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    // On another site URL every setting is written: it may be a different Moodle. Otherwise only
    // what changed (connection details alone write nothing, and never resend the secret).
    const changed = olds.moodleUrl === news.moodleUrl ? FIELDS.filter((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f])) : FIELDS;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a write of no fields sends nothing (it saves a call)
    if (changed.length > 0) await write(news, changed);
    return { outs: { ...news, previous: olds.previous } };
  },

  async delete(_id, props) {
    const previous = (props.previous ?? {}) as Record<string, string>;
    const restore = Object.fromEntries(FIELDS.map((f) => [SETTING_OF[f], previous[f] ?? ""]));
    // The plugin only accepts its two methods; an empty previous value means the plugin default.
    if (!restore.authenticationmethod) restore.authenticationmethod = "service_account_bearer_token";
    await moodleFor(connectionOf(props)).setPluginSettings(restore);
  },
};
