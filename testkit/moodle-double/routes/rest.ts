// webservice/rest/server.php, login/token.php and lib/ajax/service.php.
import { reportFilterAjax } from "./tokens";
import express from "express";
import type { Express, Request, Response } from "express";
import { coreConfig, DoubleState, DoubleToken, DoubleUser } from "../state";
import { FUNCTION_INFO } from "../functions";
import { hasSystemCapability } from "../capabilities";
import { phpJson } from "../render/layout";
import { DoubleContext, cookie, param } from "./common";
import { SESSION_COOKIE } from "../sessions";

// Declared in ../functions.ts (the token report needs them too); re-exported for the service pages.

/**
 * An exception as webservice/rest/locallib.php:174-197 sends it. `message` is getMessage(): the lang
 * string, with " (<debuginfo>)" appended when $CFG->debugdisplay is on and $CFG->debug === DEBUG_DEVELOPER
 * at the time the exception was made (lib/classes/exception/moodle_exception.php:80-92). `debuginfo` is
 * sent only when debugging() is true when the answer is written (see debugging() below).
 */
class WsError {
  constructor(
    readonly exception: string,
    readonly errorcode: string,
    readonly message: string,
    readonly debuginfo?: string,
  ) {}
}

const DEBUG_NORMAL = 15; // E_ERROR | E_PARSE | E_WARNING | E_NOTICE (lib/setuplib.php:36)
const DEBUG_DEVELOPER = 32767; // E_ALL on PHP 8 (lib/setuplib.php:40)

/** PHP's (int) cast of a config string (lib/setup.php:745-746): leading digits, else 0. */
function phpInt(v: string | undefined): number {
  const m = /^\s*([+-]?\d+)/.exec(v ?? "");
  return m ? Number(m[1]) : 0;
}

/** PHP truthiness of a config string. */
function phpTruthy(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0";
}

/** The message of an exception made now: with " (debuginfo)" under DEVELOPER debugging shown on screen. */
function messageWith(st: DoubleState, message: string, debuginfo: string | undefined): string {
  const developer = phpTruthy(coreConfig(st, "debugdisplay")) && phpInt(coreConfig(st, "debug")) === DEBUG_DEVELOPER;
  return debuginfo && developer ? `${message} (${debuginfo})` : message;
}

/**
 * debugging() at DEBUG_NORMAL (lib/weblib.php:2484-2495): $CFG->debug at least NORMAL (or -1), or the
 * current user listed in $CFG->debugusers. Until authenticate_user() calls set_user() the script's $USER
 * is the empty one (id 0), so debugusers only counts from the protocol check on.
 */
function debugging(st: DoubleState, currentUserId: number): boolean {
  const ids = (coreConfig(st, "debugusers") ?? "").split(",").filter((x) => x !== "");
  // in_array($USER->id, explode(',', …)): PHP 8 loose comparison of an int with each string.
  const forced = ids.some((x) => (/^\s*[+-]?\d+(\.\d+)?\s*$/.test(x) ? Number(x) === currentUserId : x === String(currentUserId)));
  if (forced) return true;
  const level = phpInt(coreConfig(st, "debug"));
  return level !== 0 && (level === -1 || level >= DEBUG_NORMAL);
}

const MOODLE_EXCEPTION = "core\\exception\\moodle_exception";
const invalidToken = () => new WsError(MOODLE_EXCEPTION, "invalidtoken", "Invalid token - token not found");
const accessException = (st: DoubleState, debuginfo: string) =>
  new WsError("webservice_access_exception", "accessexception", messageWith(st, "Access control exception", debuginfo), debuginfo);
const invalidParameter = (st: DoubleState, debuginfo?: string) =>
  new WsError("core\\exception\\invalid_parameter_exception", "invalidparameter", messageWith(st, "Invalid parameter value detected", debuginfo), debuginfo);
const invalidParam = (name: string) => new WsError(MOODLE_EXCEPTION, "errorinvalidparam", `The param "${name}" is invalid.`);
/** moodle_exception('wsaccessuser…', 'webservice', '', $user->username): no debuginfo (lang/en/webservice.php:225-229). */
const refusedUser = (errorcode: string, state: string, username: string) =>
  new WsError(MOODLE_EXCEPTION, errorcode, `Refused web service access for ${state} username: ${username}`);

/** var_export() of a string. */
function phpString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * dml_missing_record_exception from $DB->get_record($table, [$field => $value], '*', MUST_EXIST)
 * (lib/dmllib.php:181-223): without debugging the table is not named (invalidrecordunknown); with it
 * the error code depends on the table and debuginfo holds the query as PostgreSQL's driver builds it
 * ("?" placeholders, moodle_database::where_clause) and var_export() of its parameters.
 */
function missingRecord(st: DoubleState, debug: boolean, table: string, field: string, value: string): WsError {
  if (!debug) return new WsError("dml_missing_record_exception", "invalidrecordunknown", "Can't find data record in database.");
  const debuginfo = `SELECT * FROM {${table}} WHERE ${field} = ?\n[array (\n  0 => ${phpString(value)},\n)]`;
  const [errorcode, message] = table === "user" ? ["invaliduser", "Invalid user"] : ["invalidrecord", `Can't find data record in database table ${table}.`];
  return new WsError("dml_missing_record_exception", errorcode, messageWith(st, message, debuginfo), debuginfo);
}

/** webservice_base_server::load_function_info (webservice/lib.php:1463-1474), word for word. */
function functionNotAllowed(fn: string): string {
  return `Access to the function ${fn}() is not allowed.
                     There could be multiple reasons for this:
                     1. The service linked to the user token does not contain the function.
                     2. The service is user-restricted and the user is not listed.
                     3. The service is IP-restricted and the user IP is not listed.
                     4. The service is time-restricted and the time has expired.
                     5. The token is time-restricted and the time has expired.
                     6. The service requires a specific capability which the user does not have.
                     7. The function is called with username/password (no user token is sent)
                     and none of the services has the function to allow the user.
                     These settings can be found in Administration > Site administration
                     > Server > Web services > External services and Manage tokens.`;
}

/** htmlspecialchars($s, ENT_COMPAT): single quotes stay as they are (webservice/rest/locallib.php:190-195, 240). */
function xmlEsc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function xmlize(v: unknown): string {
  if (v === null || v === undefined) return `<VALUE null="null"/>\n`;
  if (Array.isArray(v)) return `<MULTIPLE>\n${v.map(xmlize).join("")}</MULTIPLE>\n`;
  if (typeof v === "object") {
    const keys = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `<KEY name="${xmlEsc(k)}">${xmlize(x)}</KEY>\n`)
      .join("");
    return `<SINGLE>\n${keys}</SINGLE>\n`;
  }
  if (typeof v === "boolean") return `<VALUE>${v ? 1 : 0}</VALUE>\n`;
  return `<VALUE>${xmlEsc(String(v))}</VALUE>\n`;
}

/** `showDebuginfo`: debugging() when the answer is written; a WsError's debuginfo is sent only then. */
function send(res: Response, json: boolean, payload: unknown, showDebuginfo = false): void {
  res.status(200);
  res.set({
    "Cache-Control": "private, must-revalidate, pre-check=0, post-check=0, max-age=0",
    Expires: "Thu, 01 Jan 1970 00:00:00 GMT",
    Pragma: "no-cache",
    "Accept-Ranges": "none",
    "Access-Control-Allow-Origin": "*",
  });
  const debuginfo = payload instanceof WsError && showDebuginfo ? payload.debuginfo : undefined;
  if (json) {
    const body =
      payload instanceof WsError
        ? { exception: payload.exception, errorcode: payload.errorcode, message: payload.message, ...(debuginfo !== undefined ? { debuginfo } : {}) }
        : payload;
    // res.end, not res.send: Moodle's REST JSON has no charset parameter.
    res.setHeader("Content-Type", "application/json");
    res.end(phpJson(body));
    return;
  }
  res.set({ "Content-Type": "application/xml; charset=utf-8", "Content-Disposition": 'inline; filename="response.xml"' });
  if (payload instanceof WsError) {
    res.send(
      `<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="${payload.exception}">\n<ERRORCODE>${xmlEsc(payload.errorcode)}</ERRORCODE>\n<MESSAGE>${xmlEsc(
        payload.message,
      )}</MESSAGE>\n${debuginfo !== undefined ? `<DEBUGINFO>${xmlEsc(debuginfo)}</DEBUGINFO>\n` : ""}</EXCEPTION>\n`,
    );
    return;
  }
  res.send(`<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n${xmlize(payload)}</RESPONSE>\n`);
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** address_in_subnet(): comma list of exact IPs, CIDR (a.b.c.d/n), ranges (a.b.c.d-e) and prefixes (a.b.c or a.b.c.). */
export function addressInSubnet(addr: string, subnets: string): boolean {
  const ip = addr.replace(/^::ffff:/, "");
  const n = ipv4ToInt(ip);
  for (const raw of subnets.split(",")) {
    const sub = raw.trim();
    if (sub === "") continue;
    if (sub === ip) return true;
    if (n === undefined) continue;
    const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(sub);
    if (cidr) {
      const base = ipv4ToInt(cidr[1]);
      const bits = Number(cidr[2]);
      if (base === undefined || bits > 32) continue;
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      if (((n & mask) >>> 0) === ((base & mask) >>> 0)) return true;
      continue;
    }
    const range = /^(\d+\.\d+\.\d+)\.(\d+)-(\d+)$/.exec(sub);
    if (range) {
      const last = Number(ip.split(".")[3]);
      if (ip.startsWith(range[1] + ".") && last >= Number(range[2]) && last <= Number(range[3])) return true;
      continue;
    }
    const prefix = sub.endsWith(".") ? sub : sub + ".";
    if (/^\d+(\.\d+){0,2}\.$/.test(prefix) && ip.startsWith(prefix)) return true;
  }
  return false;
}

function restEnabled(state: DoubleState): boolean {
  const protos = (state.config.webserviceprotocols ?? "").split(",");
  return coreConfig(state, "enablewebservices") === "1" && protos.includes("rest");
}

function siteInfo(d: DoubleContext, user: DoubleUser, functions: string[], downloadfiles: boolean, uploadfiles: boolean) {
  const st = d.store.state;
  const base = d.base();
  return {
    sitename: st.site.fullname,
    username: user.username,
    firstname: user.firstname,
    lastname: user.lastname,
    fullname: `${user.firstname} ${user.lastname}`,
    lang: "en",
    userid: user.id,
    siteurl: base,
    userpictureurl: `${base}/theme/image.php/boost/core/1795770578/u/f1`,
    functions: functions.map((name) => ({ name, version: st.version })),
    downloadfiles: downloadfiles ? 1 : 0,
    uploadfiles: uploadfiles ? 1 : 0,
    release: st.release,
    version: st.version,
    mobilecssurl: "",
    usercanmanageownfiles: true,
    userquota: 0,
    usermaxuploadfilesize: -1,
    userhomepage: 1,
    siteid: 1,
    sitecalendartype: "gregorian",
    usercalendartype: "gregorian",
    userissiteadmin: user.siteAdmin,
    theme: "boost",
    limitconcurrentlogins: 0,
    policyagreed: 0,
  };
}

function parseJsonObject(raw: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * external_api::validate_parameters on the function's top-level keys (external_api.php:334-370): the
 * first missing required key, else the keys nobody declared, in request order. Value types are not
 * checked. Runs after every access check and before any plugin code (webservice/lib.php:1486).
 */
function validateParameters(st: DoubleState, fn: string, params: Record<string, string>): WsError | undefined {
  const declared = FUNCTION_INFO[fn].parameters;
  for (const key of declared.required) if (!(key in params)) return invalidParameter(st, `Missing required key in single structure: ${key}`);
  const unexpected = Object.keys(params).filter((k) => !declared.required.includes(k) && !declared.optional.includes(k));
  if (unexpected.length) return invalidParameter(st, `Unexpected keys (${unexpected.join(", ")}) detected in parameter array.`);
  return undefined;
}

/** The function bodies, run as Moodle runs them for a site admin: their own capability checks are not modelled. */
function callFunction(d: DoubleContext, fn: string, params: Record<string, string>, user: DoubleUser, token: DoubleToken): unknown {
  const st = d.store.state;
  if (fn.startsWith("percipio_")) {
    const data = parseJsonObject(params.data);
    if (fn === "percipio_image_upload") return { percipioid: null, message: "Success", code: 200 };
    if (fn === "percipio_progress_tracking") {
      const shortname = typeof data?.courseshortname === "string" ? data.courseshortname.trim() : "";
      if (!shortname || !st.percipioCourses.some((c) => c.percipioid === shortname)) return invalidParam("courseshortname");
      return { message: "Success", code: 200 };
    }
    // percipio_asset_import
    const id = typeof data?.id === "string" ? data.id : "";
    if (!id) return invalidParam("id");
    const existing = st.percipioCourses.find((c) => c.percipioid === id);
    if (existing) return { moodlecourseid: existing.moodlecourseid, percipioid: id, message: "Course updated successfully", code: 200 };
    const course = { moodlecourseid: st.nextIds.course++, percipioid: id };
    st.percipioCourses.push(course);
    d.store.save();
    return { ...course, message: "Course created successfully", code: 200 };
  }
  if (fn === "core_webservice_get_site_info") {
    const service = st.services.find((s) => s.id === token.serviceId)!;
    return siteInfo(d, user, service.functions, service.downloadfiles, service.uploadfiles);
  }
  return invalidParameter(st);
}

/** What parse_request() removes from the parameters (webservice/rest/locallib.php:77-108, webservice/lib.php:1211-1229). */
const RESERVED = new Set([
  "wstoken",
  "wsfunction",
  "moodlewsrestformat",
  "moodlewssettingraw",
  "moodlewssettingfileurl",
  "moodlewssettingfilter",
  "moodlewssettinglang",
  "moodlewssettingtimezone",
]);

/**
 * The function's parameters as PHP sees array_merge($_GET, $_POST): query keys first, then the body's
 * new ones; a body value wins; "values[0]" is the key "values"; a repeated plain key keeps its last value.
 */
function restParams(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (bag: unknown) => {
    if (!bag || typeof bag !== "object") return;
    for (const [raw, v] of Object.entries(bag as Record<string, unknown>)) {
      const k = /^([^[]+)\[/.exec(raw)?.[1] ?? raw;
      if (RESERVED.has(k)) continue;
      out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
    }
  };
  add(req.query);
  add(req.body);
  return out;
}

/** getremoteaddr(): REMOTE_ADDR as PHP sees it (an IPv4 client is not "::ffff:"-mapped). */
function remoteAddr(req: Request): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

/**
 * webservice/rest/server.php with a permanent token, step by step as webservice_base_server::run()
 * (webservice/lib.php:1294-1362): authenticate_by_token (:1147-1199), authenticate_user (:1006-1138),
 * load_function_info (:1403-1479), execute (:1484-1508). The first refusal is the answer (HTTP 200).
 */
function rest(d: DoubleContext, req: Request, res: Response): void {
  const st = d.store.state;
  if (!restEnabled(st)) {
    res.status(403).set("Content-Type", "text/html; charset=utf-8").send("");
    return;
  }
  const json = param(req, "moodlewsrestformat") === "json";
  const now = Math.floor(Date.now() / 1000);
  // $USER->id: 0 until set_user() (after the user-state checks); debugging() reads it for debugusers.
  let currentUserId = 0;
  const fail = (e: WsError) => send(res, json, e, debugging(st, currentUserId));

  // 1. The token (tokentype 0): no row, invalidtoken.
  const tokenValue = param(req, "wstoken") ?? "";
  const token = st.tokens.find((t) => t.token === tokenValue);
  if (!token) return fail(invalidToken());
  // 2. Expired: the row is deleted first, so the next call says invalidtoken.
  if (token.validuntil && token.validuntil < now) {
    st.tokens = st.tokens.filter((t) => t.id !== token.id);
    d.store.save();
    return fail(accessException(st, "Invalid token - token expired - check validuntil time for the token"));
  }
  // 4. The token's IP restriction (3, session tokens, do not exist here).
  const remote = remoteAddr(req);
  if (token.iprestriction && !addressInSubnet(remote, token.iprestriction)) {
    return fail(accessException(st, `Invalid service - IP:${remote} is not supported - check this allowed user`));
  }
  // The user row, read without a deleted filter, MUST_EXIST.
  const user = st.users.find((u) => u.id === token.userId);
  if (!user) return fail(missingRecord(st, debugging(st, 0), "user", "id", String(token.userId)));
  // update_token_lastaccess (webservice/lib.php:228-240): before any user or function check, so a
  // call refused below still counts as an access; at most once a minute.
  if (now >= token.lastaccess + 60) {
    token.lastaccess = now;
    d.store.save();
  }
  // 5. Maintenance mode, unless the user may enter anyway.
  if (phpTruthy(coreConfig(st, "maintenance_enabled")) && !hasSystemCapability(st, user, "moodle/site:maintenanceaccess")) {
    return fail(new WsError(MOODLE_EXCEPTION, "sitemaintenance", "The site is undergoing maintenance and is currently not available"));
  }
  // 6-10. The user's state (9, an expired password of an auth plugin with expiry, is not modelled).
  if (user.deleted) return fail(refusedUser("wsaccessuserdeleted", "deleted", user.username));
  if (user.confirmed === false) return fail(refusedUser("wsaccessuserunconfirmed", "unconfirmed", user.username));
  if (user.suspended) return fail(refusedUser("wsaccessusersuspended", "suspended", user.username));
  if (user.auth === "nologin") return fail(refusedUser("wsaccessusernologin", "nologin authentication", user.username));
  // set_user(): from here debugging() may be forced for this user by $CFG->debugusers.
  currentUserId = user.id;
  // 11. The protocol capability in the token's (system) context: no archetype has it, so only site
  // admins and users whose roles were granted it pass.
  if (!hasSystemCapability(st, user, "webservice/rest:use")) {
    return fail(accessException(st, "You are not allowed to use the rest protocol (missing capability: webservice/rest:use)"));
  }
  // 12. A function name (PHP empty(): "" and "0").
  const fn = param(req, "wsfunction") ?? "";
  if (fn === "" || fn === "0") return fail(invalidParameter(st, "Missing function name"));
  // 13. The function exists (external_api::external_function_info, MUST_EXIST).
  if (!FUNCTION_INFO[fn]) return fail(missingRecord(st, debugging(st, currentUserId), "external_functions", "name", fn));
  // 14. One query: the function is in the token's service, the service is enabled, and a restricted
  // service lists the user with a validuntil that is empty or PAST (the SQL's test is inverted,
  // webservice/lib.php:1443); then the service's required capability and the listed user's IP. Every
  // failure is the same exception.
  const service = st.services.find((s) => s.id === token.serviceId);
  let allowed = false;
  if (service && service.enabled && service.functions.includes(fn)) {
    let ip = "";
    let row = !service.restrictedusers;
    if (service.restrictedusers) {
      const su = st.serviceUsers.find((x) => x.serviceId === service.id && x.userId === user.id);
      row = !!su && (!su.validuntil || su.validuntil < now);
      ip = su?.iprestriction ?? "";
    }
    allowed =
      row &&
      !(service.requiredcapability && !hasSystemCapability(st, user, service.requiredcapability)) &&
      !(ip && !addressInSubnet(remote, ip));
  }
  if (!allowed) return fail(accessException(st, functionNotAllowed(fn)));
  // 15. validate_parameters, before any plugin code: a missing `data` stops here.
  const params = restParams(req);
  const invalid = validateParameters(st, fn, params);
  if (invalid) return fail(invalid);
  // 16. The function body.
  const out = callFunction(d, fn, params, user, token);
  if (out instanceof WsError) return fail(out);
  send(res, json, out);
}

function loginToken(d: DoubleContext, req: Request, res: Response): void {
  const st = d.store.state;
  res.status(200).set({
    "Content-Type": "application/json; charset=utf-8",
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "no-store, no-cache, must-revalidate",
    Pragma: "no-cache",
    Expires: "Mon, 20 Aug 1969 09:23:00 GMT",
    "Accept-Ranges": "none",
  });
  const fail = (error: string, errorcode: string) =>
    res.send(phpJson({ error, errorcode, stacktrace: null, debuginfo: null, reproductionlink: null }));
  if (coreConfig(st, "enablewebservices") !== "1") return void fail("Web services must be enabled in Advanced features.", "enablewsdescription");
  const username = (param(req, "username") ?? "").trim().toLowerCase();
  const password = param(req, "password") ?? "";
  const shortname = param(req, "service") ?? "moodle_mobile_app";
  const user = st.users.find((u) => u.username === username && u.password === password && !u.suspended);
  if (!user) return void fail("Invalid login, please try again", "invalidlogin");
  const service = st.services.find((s) => s.shortname === shortname && s.enabled);
  if (!service) return void fail("Web service is not available. (It doesn't exist or might be disabled.)", "servicenotavailable");
  const now = Math.floor(Date.now() / 1000);
  const remote = req.socket.remoteAddress ?? "";
  for (const t of [...st.tokens].sort((a, b) => a.id - b.id)) {
    if (t.userId !== user.id || t.serviceId !== service.id) continue;
    if (t.validuntil && t.validuntil < now) {
      st.tokens = st.tokens.filter((x) => x.id !== t.id);
      d.store.save();
      continue;
    }
    if (t.iprestriction && !addressInSubnet(remote, t.iprestriction)) continue;
    return void res.send(phpJson({ token: t.token, privatetoken: null }));
  }
  fail(`No permission to create web service token for the service ${service.shortname}.`, "cannotcreatetoken");
}

function ajax(d: DoubleContext, req: Request, res: Response): void {
  const st = d.store.state;
  res.status(200).set({ "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store, no-cache, must-revalidate", Pragma: "no-cache", Expires: "Thu, 19 Nov 1981 08:52:00 GMT" });
  let calls: { index?: number; methodname?: string; args?: Record<string, unknown> }[] = [];
  try {
    const parsed = JSON.parse(typeof req.body === "string" ? req.body : "[]") as unknown;
    if (Array.isArray(parsed)) calls = parsed as typeof calls;
  } catch {
    calls = [];
  }
  const s = d.sessions.get(cookie(req, SESSION_COOKIE));
  const user = s && s.userId > 1 ? st.users.find((u) => u.id === s.userId) : undefined;
  const err = (message: string, errorcode: string) => ({ error: true, exception: { message, errorcode, link: `${d.base()}/`, moreinfourl: "" } });
  const out = calls.map((c) => {
    if (!user) return err("Course or activity not accessible. (You are not logged in)", "requireloginerror");
    if (param(req, "sesskey") !== s!.sesskey) {
      return err("Your session has most likely timed out. Please check if you are logged in or go back to the previous screen and reload the page.", "invalidsesskey");
    }
    const filters = reportFilterAjax(d, user.id, c.methodname, c.args ?? {});
    if (filters) return filters.error ? err(filters.message, filters.errorcode) : filters;
    if (c.methodname !== "core_user_search_identity") return err("Can't find data record in database table external_functions.", "invalidrecord");
    const q = String(c.args?.query ?? "").toLowerCase();
    const list = st.users
      .filter((u) => `${u.firstname} ${u.lastname}`.toLowerCase().includes(q) || u.email.toLowerCase().includes(q) || u.username.includes(q))
      .sort((a, b) => `${a.firstname} ${a.lastname}`.localeCompare(`${b.firstname} ${b.lastname}`))
      .map((u) => ({ id: u.id, fullname: `${u.firstname} ${u.lastname}`, extrafields: [{ name: "email", value: u.email }] }));
    return { error: false, data: { list: list.slice(0, 100), maxusersperpage: 100, overflow: list.length > 100 } };
  });
  res.send(phpJson(out));
}

export function restRoutes(app: Express, d: DoubleContext): void {
  app.all("/webservice/rest/server.php", (req, res) => rest(d, req, res));
  app.all("/login/token.php", (req, res) => loginToken(d, req, res));
  app.post("/lib/ajax/service.php", express.text({ type: () => true, limit: "1mb" }), (req, res) => ajax(d, req, res));
}
