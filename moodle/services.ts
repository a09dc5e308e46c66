// Site administration > Server > Web services > External services: find a service, switch it on/off,
// manage its authorised users. Built-in services (declared by a plugin) freeze "Authorised users only".
import type { AuthorisedUser, ExternalService } from "./types";
import { MoodleError, MoodleNotAppliedError, MoodleRecordMissingError } from "./errors";
import { parseErrorPage } from "./parsers/common";
import { parseServiceEditForm, parseServiceFunctions, parseServiceList, parseServiceUsers, ServiceEditForm, ServiceUsersPage } from "./parsers/services";
import { settingsPath } from "./adminPages";
import type { MoodleSession } from "./session";

const EDIT_PATH = "/admin/webservice/service.php";
const USERS_PATH = "/admin/webservice/service_users.php";
const FUNCTIONS_PATH = "/admin/webservice/service_functions.php";

/**
 * Error codes of dml_missing_record_exception, which service.php throws for an id with no record
 * (get_external_service_by_id(..., MUST_EXIST)). Codes, not messages: they do not depend on the admin's language.
 */
const MISSING_RECORD_CODES = new Set(["invalidrecordunknown", "invalidrecord"]);

/**
 * The service's edit form. Throws MoodleRecordMissingError only when Moodle says the record does not exist;
 * any other error page (a failed database read, a timeout page) is a plain MoodleError, never "gone".
 */
export async function readServiceEditForm(session: MoodleSession, serviceId: number, step = "read external service", reuse = false): Promise<ServiceEditForm> {
  const page = await session.request({ step, path: `${EDIT_PATH}?id=${serviceId}`, reuse });
  const form = page.status === 200 ? parseServiceEditForm(page.body) : undefined;
  if (form && form.id === serviceId) return form;
  const err = parseErrorPage(page.body);
  if (!err) throw new MoodleError(step, EDIT_PATH, `no edit form for service id ${serviceId} (HTTP ${page.status})`);
  const detail = `service id ${serviceId}: Moodle said "${err.message}"`;
  // Stryker disable next-line StringLiteral: the stand-in for a missing error code only has to be no missing-record code; any other text is equally none
  if (MISSING_RECORD_CODES.has(err.errorcode ?? "")) throw new MoodleRecordMissingError(step, EDIT_PATH, detail);
  throw new MoodleError(step, EDIT_PATH, detail);
}

/** The External services list: name, enabled and "Authorised users only" of each, without shortnames (one page). */
export async function readServiceList(session: MoodleSession, step: string, reuse = false): Promise<ExternalService[]> {
  const page = await session.request({ step, path: settingsPath("externalservices"), reuse });
  if (page.status !== 200 || !page.body.includes("builtinservices")) {
    throw new MoodleError(step, "/admin/settings.php", `no external services page (HTTP ${page.status})`);
  }
  return parseServiceList(page.body);
}

/** The service's edit form; undefined only when Moodle says it has no such record. */
async function editFormOrGone(session: MoodleSession, serviceId: number, step: string, reuse: boolean): Promise<ServiceEditForm | undefined> {
  try {
    return await readServiceEditForm(session, serviceId, step, reuse);
  } catch (e) {
    // Deleted (for instance between the list and its edit form): it is gone. Any other failure is the caller's to see.
    if (e instanceof MoodleRecordMissingError) return undefined;
    throw e;
  }
}

/** The listed service completed from its edit form; undefined when it was deleted in between. */
async function withEditForm(session: MoodleSession, listed: ExternalService, step: string, reuse = false): Promise<ExternalService | undefined> {
  const form = await editFormOrGone(session, listed.id, step, reuse);
  return form && { ...listed, shortname: form.shortname, enabled: form.enabled, restrictedUsers: form.restrictedUsers };
}

export async function listServices(session: MoodleSession): Promise<ExternalService[]> {
  const step = "list external services";
  const services: ExternalService[] = [];
  // The list has no shortname column; the edit form has it (read-only for built-in services).
  for (const s of await readServiceList(session, step)) {
    const full = await withEditForm(session, s, step);
    if (full) services.push(full);
  }
  return services;
}

/**
 * Services found by shortname in this process (per session): a later lookup reads only that service's
 * edit form, and still lists again when the form no longer carries the shortname.
 */
const found = new WeakMap<MoodleSession, Map<string, ExternalService>>();

/** Plugin-declared and custom services before core ones (the mobile app service is never ours). */
function likelyFirst(services: ExternalService[], name?: string): ExternalService[] {
  const rank = (s: ExternalService) => (name !== undefined && s.name === name ? 0 : s.component === "moodle" ? 2 : 1);
  return [...services].sort((a, b) => rank(a) - rank(b));
}

/** The service, or undefined only when Moodle says it has no such record. */
export async function getService(session: MoodleSession, serviceId: number, reuse = false): Promise<ExternalService | undefined> {
  const form = await editFormOrGone(session, serviceId, "read external service", reuse);
  if (!form) return undefined;
  return {
    id: form.id,
    name: form.name,
    shortname: form.shortname,
    // The edit form does not name the component; a frozen restriction is what marks a built-in service.
    component: "",
    builtin: form.restrictedUsersFrozen,
    enabled: form.enabled,
    restrictedUsers: form.restrictedUsers,
  };
}

/** `reuse`: pages read since the last write to them will do (the check right before a write). */
export async function findService(session: MoodleSession, key: { shortname?: string; name?: string }, reuse = false): Promise<ExternalService | undefined> {
  const step = "find external service";
  const known = found.get(session) ?? new Map<string, ExternalService>();
  found.set(session, known);
  const remembered = key.shortname ? known.get(key.shortname) : undefined;
  if (remembered) {
    const fresh = await withEditForm(session, remembered, step, reuse);
    if (fresh && fresh.shortname === key.shortname) return fresh;
  }
  // Edit forms are read only until the shortname matches.
  const read: ExternalService[] = [];
  for (const s of likelyFirst(await readServiceList(session, step, reuse), key.name)) {
    const full = await withEditForm(session, s, step, reuse);
    if (!full) continue;
    if (full.shortname) known.set(full.shortname, full);
    if (key.shortname && full.shortname === key.shortname) return full;
    read.push(full);
  }
  return key.name ? read.find((x) => x.name === key.name) : undefined;
}

async function postServiceForm(session: MoodleSession, step: string, form: ServiceEditForm, overrides: Record<string, string>): Promise<void> {
  const page = await session.request({
    step,
    method: "POST",
    path: EDIT_PATH,
    // Replay what a browser submits (hidden fields, current checkbox states) so only our field changes.
    form: (sesskey) => ({ ...form.fields, ...overrides, id: String(form.id), sesskey, _qf__external_service_form: "1", submitbutton: "Save changes" }),
    idempotent: true,
    invalidates: [`${EDIT_PATH}?id=${form.id}`, settingsPath("externalservices")],
  });
  if (page.status >= 300 && page.status < 400) return;
  const err = parseErrorPage(page.body);
  if (err) throw new MoodleError(step, EDIT_PATH, `Moodle said "${err.message}"`);
  throw new MoodleError(step, EDIT_PATH, `the form was not accepted (HTTP ${page.status}, re-rendered)`);
}

export async function setServiceEnabled(session: MoodleSession, serviceId: number, enabled: boolean): Promise<void> {
  const step = `${enabled ? "enable" : "disable"} external service ${serviceId}`;
  const form = await readServiceEditForm(session, serviceId, step, true);
  if (form.enabled === enabled) return;
  await postServiceForm(session, step, form, { enabled: enabled ? "1" : "0" });
  const after = await readServiceEditForm(session, serviceId, step);
  if (after.enabled !== enabled) throw new MoodleNotAppliedError(step, EDIT_PATH, `service "${form.name}" is still ${enabled ? "disabled" : "enabled"}`);
}

export async function setServiceRestrictedUsers(session: MoodleSession, serviceId: number, restricted: boolean): Promise<void> {
  const step = `set "Authorised users only" of external service ${serviceId}`;
  const form = await readServiceEditForm(session, serviceId, step, true);
  if (form.restrictedUsers === restricted) return;
  if (form.restrictedUsersFrozen) {
    throw new MoodleError(
      step,
      EDIT_PATH,
      `"${form.name}" is a built-in service: its plugin fixes "Authorised users only" to ${form.restrictedUsers ? "on" : "off"} and Moodle ignores changes (they are re-applied on every plugin upgrade). ` +
        (form.restrictedUsers ? "Authorise the user on the service instead." : "Leave it as the plugin declares it."),
    );
  }
  await postServiceForm(session, step, form, { restrictedusers: restricted ? "1" : "0" });
  const after = await readServiceEditForm(session, serviceId, step);
  if (after.restrictedUsers !== restricted) throw new MoodleNotAppliedError(step, EDIT_PATH, `"Authorised users only" unchanged on "${form.name}"`);
}

async function readUsers(session: MoodleSession, serviceId: number, step: string, reuse = false): Promise<ServiceUsersPage> {
  const page = await session.request({ step, path: `${USERS_PATH}?id=${serviceId}`, reuse });
  const users = page.status === 200 ? parseServiceUsers(page.body) : undefined;
  if (!users) {
    const err = parseErrorPage(page.body);
    throw new MoodleError(step, USERS_PATH, err ? `service id ${serviceId}: Moodle said "${err.message}"` : `no user selector for service id ${serviceId} (HTTP ${page.status})`);
  }
  return users;
}

/** `reuse` right before a decision: a page read since the last write to it will do. */
export async function authorisedUsers(session: MoodleSession, serviceId: number, reuse = false, step = "read authorised users"): Promise<AuthorisedUser[]> {
  return (await readUsers(session, serviceId, step, reuse)).authorised;
}

async function changeUser(session: MoodleSession, serviceId: number, userId: number, add: boolean): Promise<void> {
  const step = `${add ? "authorise" : "deauthorise"} user ${userId} on external service ${serviceId}`;
  const before = await readUsers(session, serviceId, step, true);
  if (before.authorised.some((u) => u.id === userId) === add) return;
  const page = await session.request({
    step,
    method: "POST",
    path: `${USERS_PATH}?id=${serviceId}`,
    form: (sesskey) => (add ? { sesskey, "addselect[]": [userId], add: "Add" } : { sesskey, "removeselect[]": [userId], remove: "Remove" }),
    idempotent: true,
    follow: true,
    invalidates: [`${USERS_PATH}?id=${serviceId}`, settingsPath("externalservices")],
  });
  // The page re-renders with the new lists (200, no redirect); read them from it, or re-read if it redirected.
  const users = (page.status === 200 && parseServiceUsers(page.body)) || (await readUsers(session, serviceId, step));
  if (users.authorised.some((u) => u.id === userId) !== add) {
    throw new MoodleNotAppliedError(step, USERS_PATH, `user ${userId} is ${add ? "still not" : "still"} authorised`);
  }
}

export const authoriseUser = (s: MoodleSession, serviceId: number, userId: number) => changeUser(s, serviceId, userId, true);
export const deauthoriseUser = (s: MoodleSession, serviceId: number, userId: number) => changeUser(s, serviceId, userId, false);

/** The functions a service lets its tokens call (its "Functions" page). */
export async function serviceFunctions(session: MoodleSession, serviceId: number): Promise<string[]> {
  const step = "read the service's functions";
  const page = await session.request({ step, path: `${FUNCTIONS_PATH}?id=${serviceId}` });
  const functions = page.status === 200 ? parseServiceFunctions(page.body) : undefined;
  if (!functions) throw new MoodleError(step, FUNCTIONS_PATH, `no functions table for service id ${serviceId} (HTTP ${page.status})`);
  return functions;
}
