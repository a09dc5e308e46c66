// webservice/rest/server.php, login/token.php and lib/ajax/service.php.
import { reportFilterAjax } from "./tokens";
import express from "express";
import type { Express, Request, Response } from "express";
import { coreConfig, DoubleState, DoubleToken, DoubleUser } from "../state";
import { phpJson } from "../render/layout";
import { DoubleContext, cookie, param } from "./common";
import { SESSION_COOKIE } from "../sessions";

export const FUNCTION_INFO: Record<string, { description: string; capabilities: string }> = {
  percipio_asset_import: {
    description: "Import course from Percipio into Moodle",
    capabilities:
      "moodle/category:manage, moodle/course:create, moodle/course:visibility, moodle/course:update, moodle/course:changecategory, moodle/course:changeshortname, moodle/course:changeidnumber, moodle/site:config, enrol/self:config",
  },
  percipio_image_upload: { description: "Upload image into Moodle w.r.t a course", capabilities: "" },
  percipio_progress_tracking: { description: "Import user grades from Percipio into Moodle w.r.t a course", capabilities: "moodle/grade:manage" },
  core_webservice_get_site_info: { description: "Return some site info / user info / list web service functions", capabilities: "" },
  core_user_get_users_by_field: { description: "Retrieve users' information for a specified unique field", capabilities: "moodle/user:viewdetails" },
  core_course_get_courses: { description: "Return course details", capabilities: "moodle/course:view" },
};

class WsError {
  constructor(
    readonly exception: string,
    readonly errorcode: string,
    readonly message: string,
  ) {}
}

const invalidToken = () => new WsError("core\\exception\\moodle_exception", "invalidtoken", "Invalid token - token not found");
const accessException = () => new WsError("webservice_access_exception", "accessexception", "Access control exception");
const invalidParameter = () => new WsError("core\\exception\\invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected");
const invalidParam = (name: string) => new WsError("core\\exception\\moodle_exception", "errorinvalidparam", `The param "${name}" is invalid.`);

function xmlEsc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#039;");
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

function send(res: Response, json: boolean, payload: unknown): void {
  res.status(200);
  res.set({
    "Cache-Control": "private, must-revalidate, pre-check=0, post-check=0, max-age=0",
    Expires: "Thu, 01 Jan 1970 00:00:00 GMT",
    Pragma: "no-cache",
    "Accept-Ranges": "none",
    "Access-Control-Allow-Origin": "*",
  });
  if (json) {
    const body = payload instanceof WsError ? { exception: payload.exception, errorcode: payload.errorcode, message: payload.message } : payload;
    // res.end, not res.send: Moodle's REST JSON has no charset parameter.
    res.setHeader("Content-Type", "application/json");
    res.end(phpJson(body));
    return;
  }
  res.set({ "Content-Type": "application/xml; charset=utf-8", "Content-Disposition": 'inline; filename="response.xml"' });
  if (payload instanceof WsError) {
    res.send(
      `<?xml version="1.0" encoding="UTF-8" ?>\n<EXCEPTION class="${xmlEsc(payload.exception)}">\n<ERRORCODE>${xmlEsc(payload.errorcode)}</ERRORCODE>\n<MESSAGE>${xmlEsc(
        payload.message,
      )}</MESSAGE>\n</EXCEPTION>\n`,
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

function callFunction(d: DoubleContext, fn: string, params: Record<string, string>, user: DoubleUser, token: DoubleToken): unknown {
  const st = d.store.state;
  if (fn.startsWith("percipio_")) {
    const extra = Object.keys(params).filter((k) => k !== "data");
    if (params.data === undefined || extra.length) return invalidParameter();
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
  return invalidParameter();
}

const RESERVED = new Set(["wstoken", "wsfunction", "moodlewsrestformat"]);

function restParams(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (bag: unknown) => {
    if (!bag || typeof bag !== "object") return;
    for (const [k, v] of Object.entries(bag as Record<string, unknown>)) {
      if (RESERVED.has(k) || k.startsWith("moodlewssetting") || k in out) continue;
      out[k] = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
    }
  };
  add(req.body);
  add(req.query);
  return out;
}

function rest(d: DoubleContext, req: Request, res: Response): void {
  const st = d.store.state;
  if (!restEnabled(st)) {
    res.status(403).set("Content-Type", "text/html; charset=utf-8").send("");
    return;
  }
  const json = param(req, "moodlewsrestformat") === "json";
  const now = Math.floor(Date.now() / 1000);
  const tokenValue = param(req, "wstoken") ?? "";
  const token = st.tokens.find((t) => t.token === tokenValue);
  if (!token) return send(res, json, invalidToken());
  if (token.validuntil && token.validuntil < now) {
    st.tokens = st.tokens.filter((t) => t.id !== token.id);
    d.store.save();
    return send(res, json, accessException());
  }
  const remote = req.socket.remoteAddress ?? "";
  if (token.iprestriction && !addressInSubnet(remote, token.iprestriction)) return send(res, json, accessException());
  const user = st.users.find((u) => u.id === token.userId);
  if (!user || user.suspended) return send(res, json, accessException());
  if (token.lastaccess + 60 <= now) {
    token.lastaccess = now;
    d.store.save();
  }
  const fn = param(req, "wsfunction") ?? "";
  if (fn === "") return send(res, json, invalidParameter());
  if (!FUNCTION_INFO[fn]) {
    return send(res, json, new WsError("dml_missing_record_exception", "invalidrecord", "Can't find data record in database table external_functions."));
  }
  const service = st.services.find((s) => s.id === token.serviceId);
  if (!service || !service.enabled || !service.functions.includes(fn)) return send(res, json, accessException());
  if (service.restrictedusers) {
    const su = st.serviceUsers.find((x) => x.serviceId === service.id && x.userId === user.id);
    if (!su || (su.validuntil && su.validuntil < now) || (su.iprestriction && !addressInSubnet(remote, su.iprestriction))) {
      return send(res, json, accessException());
    }
  }
  send(res, json, callFunction(d, fn, restParams(req), user, token));
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
