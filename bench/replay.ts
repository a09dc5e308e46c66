// The HTTP floor: the procedure as the fewest hand-written requests a person with curl would send
// (log in, read what must be known, write), timed per operation the project performs. Pages are
// parsed with the project's parsers only to pick values out of them; the requests are our own.
import { parseMCfg } from "../moodle/parsers/common";
import { parseAdminSettingsPage } from "../moodle/parsers/adminSettings";
import { parseLoginPage } from "../moodle/parsers/login";
import { parseProtocols } from "../moodle/parsers/protocols";
import { parseServiceEditForm, parseServiceList } from "../moodle/parsers/services";
import { parseTokenReport } from "../moodle/parsers/tokens";
import { BareSession, Target } from "./http";

const SETTINGS = "/admin/settings.php";
const TOKENS = "/admin/webservice/tokens.php";
const SERVICE = "/admin/webservice/service.php";
const settings = (section: string) => `${SETTINGS}?section=${section}`;
const PLUGIN_SECTION = "modsettingpercipio";

export interface ReplayPlan {
  tokenName: string;
  /** s_percipio_<name> -> value, as the stack's phase 2 writes them. */
  percipio: Record<string, string>;
}

/** What the replay changed, so that its own "destroy" can put the site back. */
interface Applied {
  serviceId: number;
  tokenId: number;
  webServicesWereOn: boolean;
  restWasOn: boolean;
  serviceWasOn: boolean;
  pluginBefore: Record<string, string>;
}

export interface Timed {
  ms: number;
  requests: number;
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`floor replay: ${what}`);
}

async function login(target: Target): Promise<BareSession> {
  const s = new BareSession(target);
  const page = parseLoginPage((await s.get("/login/index.php")).body);
  const answer = await s.post("/login/index.php", { username: target.username, password: target.password, logintoken: page.logintoken ?? "", anchor: "" });
  expect(answer.status === 303 && !/loginredirect=1/.test(answer.location ?? ""), `login as ${target.username} failed`);
  return s;
}

async function adminPage(s: BareSession, path: string): Promise<{ body: string; sesskey: string; userId: number }> {
  const answer = await s.get(path);
  const cfg = parseMCfg(answer.body);
  expect(answer.status === 200 && !!cfg?.sesskey, `GET ${path} answered HTTP ${answer.status}`);
  return { body: answer.body, sesskey: cfg!.sesskey, userId: cfg!.userId };
}

async function saveSettings(s: BareSession, section: string, sesskey: string, inputs: Record<string, string>): Promise<void> {
  const answer = await s.post(settings(section), { section, action: "save-settings", sesskey, return: "", ...inputs });
  expect(answer.status === 303, `saving ${section} answered HTTP ${answer.status}`);
}

/** Times one operation from its login to its last answer. */
async function timed<T>(work: (s: BareSession) => Promise<T>, target: Target): Promise<{ result: T } & Timed> {
  const start = process.hrtime.bigint();
  const session = await login(target);
  const result = await work(session);
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6, requests: session.requests };
}

/** First `up`: enable web services, REST and the service, create the token, write the plugin settings. */
async function procedure(s: BareSession, plan: ReplayPlan): Promise<Applied> {
  const advanced = await adminPage(s, settings("optionalsubsystems"));
  const webServicesWereOn = parseAdminSettingsPage(advanced.body).values.s__enablewebservices === "1";
  const sesskey = advanced.sesskey;
  await saveSettings(s, "optionalsubsystems", sesskey, { s__enablewebservices: "1" });

  const protocols = parseProtocols((await s.get(settings("webserviceprotocols"))).body);
  const restWasOn = protocols.some((p) => p.name === "rest" && p.enabled);
  await s.get(`/admin/webservice/protocols.php?sesskey=${sesskey}&action=enable&webservice=rest`);

  const service = parseServiceList((await s.get(settings("externalservices"))).body).find((x) => x.component === "mod_percipio");
  expect(!!service, "no mod_percipio service in the external services list");
  const form = parseServiceEditForm((await s.get(`${SERVICE}?id=${service!.id}`)).body);
  expect(!!form, `no edit form for service ${service!.id}`);
  await s.post(SERVICE, { ...form!.fields, enabled: "1", id: String(form!.id), sesskey, _qf__external_service_form: "1", submitbutton: "Save changes" });

  const created = await s.post(TOKENS, {
    action: "create", sesskey, _qf__core_webservice_token_form: "1", name: plan.tokenName,
    user: String(advanced.userId), service: String(service!.id), iprestriction: "", submitbutton: "Save changes",
  });
  expect(created.status === 303, `token creation answered HTTP ${created.status}`);
  const report = parseTokenReport((await s.get(TOKENS)).body);
  const row = report.rows.find((r) => r.name === plan.tokenName);
  expect(!!row && report.created?.name === plan.tokenName, "the created token's value was not shown");

  const plugin = parseAdminSettingsPage((await s.get(settings(PLUGIN_SECTION))).body).values;
  const pluginBefore = Object.fromEntries(Object.keys(plan.percipio).map((k) => [k, plugin[k] ?? ""]));
  await saveSettings(s, PLUGIN_SECTION, sesskey, plan.percipio);
  return { serviceId: service!.id, tokenId: row!.id, webServicesWereOn, restWasOn, serviceWasOn: form!.enabled, pluginBefore };
}

/** No-op preview with refresh: one read per managed resource. */
async function reads(s: BareSession, applied: Applied): Promise<string> {
  const { sesskey } = await adminPage(s, settings("optionalsubsystems"));
  await s.get(settings("webserviceprotocols"));
  await s.get(`${SERVICE}?id=${applied.serviceId}`);
  await s.get(TOKENS);
  await s.get(settings(PLUGIN_SECTION));
  return sesskey;
}

/** `destroy`: delete the token, restore the plugin settings, switch back off what was off. */
async function undo(s: BareSession, applied: Applied): Promise<void> {
  const { sesskey } = await adminPage(s, settings(PLUGIN_SECTION));
  await saveSettings(s, PLUGIN_SECTION, sesskey, applied.pluginBefore);
  await s.post(TOKENS, { tokenid: String(applied.tokenId), action: "delete", confirm: "1", sesskey });
  if (!applied.serviceWasOn) {
    const form = parseServiceEditForm((await s.get(`${SERVICE}?id=${applied.serviceId}`)).body);
    await s.post(SERVICE, { ...form!.fields, enabled: "0", id: String(applied.serviceId), sesskey, _qf__external_service_form: "1", submitbutton: "Save changes" });
  }
  if (!applied.restWasOn) await s.get(`/admin/webservice/protocols.php?sesskey=${sesskey}&action=disable&webservice=rest`);
  if (!applied.webServicesWereOn) await saveSettings(s, "optionalsubsystems", sesskey, { s__enablewebservices: "0" });
}

/** A hand edit in the admin UI (not timed): what the drift repair has to put back. */
export async function handEdit(target: Target, inputs: Record<string, string>): Promise<void> {
  const s = await login(target);
  const { sesskey } = await adminPage(s, settings(PLUGIN_SECTION));
  await saveSettings(s, PLUGIN_SECTION, sesskey, inputs);
}

export interface ReplayTimes {
  firstUp: Timed;
  noopRead: Timed;
  driftRepair: Timed;
  destroy: Timed;
}

/** One replay of every operation, leaving the site as it found it. */
export async function replay(target: Target, plan: ReplayPlan, drift: Record<string, string>): Promise<ReplayTimes> {
  const first = await timed((s) => procedure(s, plan), target);
  const applied = first.result;
  const noopRead = await timed((s) => reads(s, applied), target);
  await handEdit(target, drift);
  const driftRepair = await timed(async (s) => saveSettings(s, PLUGIN_SECTION, await reads(s, applied), plan.percipio), target);
  const destroy = await timed((s) => undo(s, applied), target);
  const strip = ({ ms, requests }: Timed) => ({ ms, requests });
  return { firstUp: strip(first), noopRead: strip(noopRead), driftRepair: strip(driftRepair), destroy: strip(destroy) };
}
