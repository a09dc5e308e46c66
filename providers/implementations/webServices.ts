// Site setting `enablewebservices` (Site administration > General > Advanced features).
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONNECTION_KEYS, checkInputs, configure, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "./common";

const shape = { ...connectionSchema, enabled: z.boolean() };
const INPUT_KEYS = [...CONNECTION_KEYS, "enabled"];

export const webServices: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => configure(req),
  check: async (_olds, news) => checkInputs(shape, news),
  diff: async (_id, olds, news) => diffFields(olds, news, { update: ["enabled"] }),

  async create(inputs) {
    const moodle = moodleFor(connectionOf(inputs));
    const enabledBefore = await moodle.webServicesEnabled();
    if (enabledBefore !== inputs.enabled) await moodle.setWebServicesEnabled(inputs.enabled);
    return { id: "enablewebservices", outs: { ...inputs, enabledBefore } };
  },

  async read(id, props) {
    const enabled = await moodleFor(connectionOf(props)).webServicesEnabled();
    const live = { ...props, enabled };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    // The client reads first and writes only when the value differs.
    await moodleFor(connectionOf(news)).setWebServicesEnabled(news.enabled);
    return { outs: { ...news, enabledBefore: olds.enabledBefore } };
  },

  // Puts back what was there before the stack: never switches off web services it found on.
  async delete(_id, props) {
    const moodle = moodleFor(connectionOf(props));
    if (props.enabledBefore === false && (await moodle.webServicesEnabled())) {
      await moodle.setWebServicesEnabled(false);
    }
  },
};
