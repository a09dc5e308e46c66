// The plugin's external service (Percipio-API): enabled, and usable by the token's user.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { MoodleAdmin } from "../../moodle/api";
import type { ExternalService } from "../../moodle/types";
import { CONNECTION_KEYS, checkInputs, connectionOf, connectionSchema, diffFields, moodleFor, pick } from "../shared/common";
import { serviceSwitch, switchOffUnlessNeeded } from "../shared/stillNeeded";

const shape = {
  ...connectionSchema,
  shortname: z.string().min(1),
  tokenUser: z.string().min(1),
  enabled: z.literal(true),
  userAllowed: z.literal(true),
};
const INPUT_KEYS = [...CONNECTION_KEYS, "shortname", "tokenUser", "enabled", "userAllowed"];

/** The service access's inputs (its zod shape) and, in state, the service it found. */
type ServiceAccessProps = z.infer<z.ZodObject<typeof shape>> & { serviceId?: number };

/** Right before a write: the service's pages read since the last write to them will do. */
async function serviceOrFail(moodle: MoodleAdmin, shortname: string) {
  const service = await moodle.findService({ shortname }, true);
  if (!service) {
    throw new Error(
      `Moodle has no external service with shortname '${shortname}'. Install the mod_percipio plugin ` +
        "(it declares the 'Percipio services' service, shortname Percipio-API) or correct moodle:serviceShortname.",
    );
  }
  return service;
}

/**
 * The service by the id this resource recorded (one page read), else by shortname. `reuse` right
 * before a write: pages read since the last write to them will do.
 */
async function liveService(moodle: MoodleAdmin, props: ServiceAccessProps, reuse = false): Promise<ExternalService | undefined> {
  if (typeof props.serviceId === "number") {
    const service = await moodle.getService(props.serviceId, reuse);
    if (service && service.shortname === props.shortname) return service;
  }
  return moodle.findService({ shortname: props.shortname }, reuse);
}

/** Whether the token user may use the service: always for "All users", else when authorised. */
async function userAccess(moodle: MoodleAdmin, service: ExternalService, tokenUser: string) {
  const userId = await moodle.userIdFor(tokenUser);
  const authorised = service.restrictedUsers ? (await moodle.authorisedUsers(service.id)).some((u) => u.id === userId) : false;
  return { userId, authorised, userAllowed: !service.restrictedUsers || authorised };
}

/**
 * Makes the service usable by the token user. Returns what it found and the users it authorised,
 * so delete can undo exactly that (and nothing a previous owner or an admin did).
 */
async function converge(props: ServiceAccessProps, known?: ExternalService) {
  const moodle = moodleFor(connectionOf(props));
  const service = known ?? (await serviceOrFail(moodle, props.shortname));
  const { userId, authorised } = await userAccess(moodle, service, props.tokenUser);
  // Stryker disable next-line ConditionalExpression: equivalent, setServiceEnabled writes nothing to a service already so (it saves a call)
  if (!service.enabled) await moodle.setServiceEnabled(service.id, true);
  const authorisedNow = service.restrictedUsers && !authorised ? [userId] : [];
  for (const id of authorisedNow) await moodle.authoriseUser(service.id, id);
  return { service, userId, authorisedNow };
}

function outputs(props: ServiceAccessProps, service: ExternalService, userId: number) {
  return {
    ...props,
    serviceId: service.id,
    serviceName: service.name,
    restrictedUsers: service.restrictedUsers,
    userId,
    enabled: true,
    userAllowed: true,
  };
}

export const externalServiceAccess: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => checkInputs(shape, news),
  // Another user is an update (authorise them too); only another service is a new resource.
  diff: async (_id, olds, news) =>
    diffFields(olds, news, { replace: ["shortname"], update: ["tokenUser", "enabled", "userAllowed"] }),

  async create(inputs) {
    const { service, userId, authorisedNow } = await converge(inputs);
    return {
      id: String(service.id),
      outs: { ...outputs(inputs, service, userId), enabledBefore: service.enabled, authorisedUserIds: authorisedNow },
    };
  },

  async read(id, props) {
    const moodle = moodleFor(connectionOf(props));
    const service = await liveService(moodle, props);
    if (!service) return { id: "", props: {} };
    const { userAllowed } = await userAccess(moodle, service, props.tokenUser);
    const live = { ...props, serviceId: service.id, enabled: service.enabled, restrictedUsers: service.restrictedUsers, userAllowed };
    return { id, props: live, inputs: pick(live, INPUT_KEYS) };
  },

  async update(_id, olds, news) {
    const known = await liveService(moodleFor(connectionOf(news)), { ...news, serviceId: olds.serviceId });
    const { service, userId, authorisedNow } = await converge(news, known);
    const previous: number[] = olds.authorisedUserIds ?? [];
    return {
      outs: {
        ...outputs(news, service, userId),
        enabledBefore: olds.enabledBefore,
        authorisedUserIds: [...previous, ...authorisedNow.filter((id) => !previous.includes(id))],
      },
    };
  },

  // Undoes only what this resource did: removes the users it authorised, re-disables a service it enabled.
  async delete(_id, props) {
    const moodle = moodleFor(connectionOf(props));
    const service = await liveService(moodle, props, true);
    if (!service) return;
    if (service.restrictedUsers) {
      for (const id of (props.authorisedUserIds ?? []) as number[]) await moodle.deauthoriseUser(service.id, id);
    }
    if (props.enabledBefore !== false || !service.enabled) return;
    // Left enabled while other tokens or authorised users depend on it (ours are gone by now).
    await switchOffUnlessNeeded(serviceSwitch(service.name), () => moodle.serviceDependents(service), () => moodle.setServiceEnabled(service.id, false));
  },
};
