// One web-service protocol (REST) enabled; other enabled protocols are never touched.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { CONNECTION_KEYS, checkInputs, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "../shared/common";
import { protocolSwitch, switchOffUnlessNeeded } from "../shared/stillNeeded";

const shape = { ...connectionSchema, protocol: z.string().regex(/^[a-z]+$/), enabled: z.boolean() };
const INPUT_KEYS = [...CONNECTION_KEYS, "protocol", "enabled"];

/** The protocol resource's inputs (its zod shape). */
type ProtocolProps = z.infer<z.ZodObject<typeof shape>>;

async function isEnabled(props: ProtocolProps): Promise<boolean> {
  return (await moodleFor(connectionOf(props)).enabledProtocols()).includes(props.protocol);
}

export const webServiceProtocol: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => checkInputs(shape, news),
  diff: async (_id, olds, news) => diffFields(olds, news, { replace: ["protocol"], update: ["enabled"] }),

  async create(inputs) {
    const enabledBefore = await isEnabled(inputs);
    if (enabledBefore !== inputs.enabled) {
      await moodleFor(connectionOf(inputs)).setProtocolEnabled(inputs.protocol, inputs.enabled);
    }
    return { id: `protocol-${inputs.protocol}`, outs: { ...inputs, enabledBefore } };
  },

  async read(id, props) {
    const live = { ...props, enabled: await isEnabled(props) };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    // The client reads first and toggles only when the state differs.
    await moodleFor(connectionOf(news)).setProtocolEnabled(news.protocol, news.enabled);
    return { outs: { ...news, enabledBefore: olds.enabledBefore } };
  },

  // Switches off only a protocol the stack switched on, and only while nothing else may use it: Moodle
  // does not record a token's protocol, so any use of web services counts.
  async delete(_id, props) {
    if (props.enabledBefore !== false) return;
    const moodle = moodleFor(connectionOf(props));
    // The client reads first (a page read since the last write to it will do) and toggles only when enabled.
    await switchOffUnlessNeeded(protocolSwitch(props.protocol), () => moodle.webServiceDependents(), () => moodle.setProtocolEnabled(props.protocol, false));
  },
};
