// The plugin's external service (Percipio-API): enabled, and usable by the token's user.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import type { ExternalService } from "../../moodle/types";
import { CONNECTION_KEYS, checkInputs, configure, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "./common";

const shape = {
  ...connectionSchema,
  shortname: z.string().min(1),
  tokenUser: z.string().min(1),
  enabled: z.literal(true),
  userAllowed: z.literal(true),
};
const INPUT_KEYS = [...CONNECTION_KEYS, "shortname", "tokenUser", "enabled", "userAllowed"];

async function serviceOrFail(moodle: MoodleAdmin, shortname: string) {
  const service = await moodle.findService({ shortname });
  if (!service) {
    throw new Error(
      `Moodle has no external service with shortname '${shortname}'. Install the mod_percipio plugin ` +
        "(it declares the 'Percipio services' service, shortname Percipio-API) or correct moodle:serviceShortname.",
    );
  }
  return service;
}

/** The service by the id this resource recorded (one page read), else by shortname. */
async function liveService(moodle: MoodleAdmin, props: Record<string, any>): Promise<ExternalService | undefined> {
  if (typeof props.serviceId === "number") {
    const service = await moodle.getService(props.serviceId);
    if (service && service.shortname === props.shortname) return service;
  }
  return moodle.findService({ shortname: props.shortname });
}

/** Live state in the resource's own terms. */
async function observe(props: Record<string, any>, known?: ExternalService) {
  const moodle = moodleFor(connectionOf(props));
  const service = known ?? (await serviceOrFail(moodle, props.shortname));
  const userId = await moodle.userIdFor(props.tokenUser);
  const authorised = service.restrictedUsers
    ? (await moodle.authorisedUsers(service.id)).some((u) => u.id === userId)
    : false;
  return { moodle, service, userId, authorised, userAllowed: !service.restrictedUsers || authorised };
}

async function converge(props: Record<string, any>) {
  const { moodle, service, userId, authorised } = await observe(props);
  if (!service.enabled) await moodle.setServiceEnabled(service.id, true);
  if (service.restrictedUsers && !authorised) await moodle.authoriseUser(service.id, userId);
  return { service, userId, authorised };
}

export const externalService: pulumi.dynamic.ResourceProvider = {
  configure: async (req) => configure(req),
  check: async (_olds, news) => checkInputs(shape, news),
  diff: async (_id, olds, news) =>
    diffFields(olds, news, { replace: ["shortname", "tokenUser"], update: ["enabled", "userAllowed"] }),

  async create(inputs) {
    const { service, userId, authorised } = await converge(inputs);
    return {
      id: String(service.id),
      outs: {
        ...inputs,
        serviceId: service.id,
        serviceName: service.name,
        component: service.component,
        restrictedUsers: service.restrictedUsers,
        userId,
        enabled: true,
        userAllowed: true,
        enabledBefore: service.enabled,
        authorisedByStack: service.restrictedUsers && !authorised,
      },
    };
  },

  async read(id, props) {
    const service = await liveService(moodleFor(connectionOf(props)), props);
    if (!service) return { id: "", props: {} };
    const { userAllowed } = await observe(props, service);
    const live = { ...props, serviceId: service.id, enabled: service.enabled, restrictedUsers: service.restrictedUsers, userAllowed };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    const { service, userId, authorised } = await converge(news);
    return {
      outs: {
        ...olds,
        ...news,
        serviceId: service.id,
        restrictedUsers: service.restrictedUsers,
        userId,
        enabled: true,
        userAllowed: true,
        authorisedByStack: olds.authorisedByStack || (service.restrictedUsers && !authorised),
      },
    };
  },

  // Undoes only what this resource did: re-disables a service it enabled, removes a user it authorised.
  async delete(_id, props) {
    const moodle = moodleFor(connectionOf(props));
    const service = await liveService(moodle, props);
    if (!service) return;
    if (props.authorisedByStack && service.restrictedUsers) await moodle.deauthoriseUser(service.id, props.userId);
    if (props.enabledBefore === false && service.enabled) await moodle.setServiceEnabled(service.id, false);
  },
};
