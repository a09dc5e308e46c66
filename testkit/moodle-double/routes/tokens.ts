// admin/webservice/tokens.php: list, create (all observed validations), once-only display, delete.
import * as crypto from "crypto";
import type { Express, Request, Response } from "express";
import type { DoubleToken } from "../state";
import { randomString } from "../sessions";
import { midnightIn, dateIn } from "../render/layout";
import { TokenFormValues, tokenCreatePage, tokenDeleteConfirmPage, tokensListPage } from "../render/tokens";
import { tokenWords } from "../render/tokenWords";
import { pageLanguage } from "../lang";
import { setFilterValues, tokenReportId, tokenReportPage } from "../tokenReport";
import { DoubleContext, errorHtml, html, param, redirect, renderCtx, requireAdmin, sesskeyOk, userById } from "./common";
import { BAD_SESSKEY, NO_RECORD } from "./services";
import type { Session } from "../sessions";

const LIST = "/admin/webservice/tokens.php";

function typeError(arg: string): string {
  return `Exception - core_external\\util::generate_token(): Argument ${arg} must be of type string, null given, called in [dirroot]/admin/webservice/tokens.php on line 74`;
}

function defaultForm(d: DoubleContext): TokenFormValues {
  const tz = d.store.state.site.timezone;
  const now = Math.floor(Date.now() / 1000);
  const { year, month, day } = dateIn(now, tz);
  return { name: "", iprestriction: "", validuntilEnabled: true, validuntil: midnightIn(year, month, day + 30, tz) };
}

/** Flexible tables read a 0-based ?page=N as PARAM_INT (anything else is page 0); ?perpage is left to JavaScript. */
function pageParam(req: Request): number {
  const raw = param(req, "page") ?? "";
  return /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : 0;
}

function showList(d: DoubleContext, req: Request, res: Response, s: Session): void {
  const newToken = s.flash.newToken;
  s.flash.newToken = undefined;
  const page = pageParam(req);
  const st = d.store.state;
  html(res, 200, tokensListPage(renderCtx(d, s), tokenReportPage(st, s.userId, page), tokenReportId(st), newToken, page));
}

/**
 * core_reportbuilder_set_filters and core_reportbuilder_filters_reset through lib/ajax/service.php
 * (lib/db/services.php: both 'ajax' => true). The report must exist (manager::get_report_from_id);
 * set stores the decoded values as they are for the calling user, reset deletes them. Answers
 * undefined for any other function.
 */
export function reportFilterAjax(
  d: DoubleContext,
  userId: number,
  methodname: string | undefined,
  args: Record<string, unknown>,
): { error: false; data: boolean } | { error: true; message: string; errorcode: string } | undefined {
  if (methodname !== "core_reportbuilder_set_filters" && methodname !== "core_reportbuilder_filters_reset") return undefined;
  // external_api::validate_parameters: a key the function does not declare is refused ("Unexpected keys
  // (…) detected in parameter array"), before anything else; `parameters` is optional (VALUE_DEFAULT '').
  const declared = methodname === "core_reportbuilder_set_filters" ? ["reportid", "parameters", "values"] : ["reportid", "parameters"];
  if (Object.keys(args).some((k) => !declared.includes(k))) return { error: true, message: "Invalid parameter value detected", errorcode: "invalidparameter" };
  const st = d.store.state;
  const reportId = Number(args.reportid);
  if (!Number.isInteger(reportId) || args.reportid === undefined) return { error: true, message: "Invalid parameter value detected", errorcode: "invalidparameter" };
  if (reportId !== tokenReportId(st)) return { error: true, message: "Can't find data record in database table reportbuilder_report.", errorcode: "invalidrecord" };
  if (methodname === "core_reportbuilder_filters_reset") {
    setFilterValues(st, reportId, userId, undefined);
    d.store.save();
    return { error: false, data: true };
  }
  if (typeof args.values !== "string") return { error: true, message: "Invalid parameter value detected", errorcode: "invalidparameter" };
  let values: unknown;
  try {
    values = JSON.parse(args.values);
  } catch {
    values = null;
  }
  // (array) json_decode(...) of anything but an object is an empty or one-element array: no filter applies.
  setFilterValues(st, reportId, userId, typeof values === "object" && values !== null && !Array.isArray(values) ? (values as Record<string, unknown>) : {});
  d.store.save();
  return { error: false, data: true };
}

function createForm(d: DoubleContext, res: Response, s: Session, values: TokenFormValues, alert?: string): void {
  html(res, 200, tokenCreatePage(renderCtx(d, s), d.store.state.services, values, alert));
}

function handleDelete(d: DoubleContext, req: Request, res: Response, s: Session): void {
  const st = d.store.state;
  const tokenid = Number(param(req, "tokenid") ?? "NaN");
  const token = st.tokens.find((t) => t.id === tokenid);
  if (!token) {
    errorHtml(d, res, s, NO_RECORD, "invalidrecordunknown");
    return;
  }
  const confirm = param(req, "confirm");
  if (confirm !== undefined && confirm !== "" && confirm !== "0" && sesskeyOk(req, s)) {
    st.tokens = st.tokens.filter((t) => t.id !== tokenid);
    d.store.save();
    redirect(d, res, LIST);
    return;
  }
  html(
    res,
    200,
    tokenDeleteConfirmPage(
      renderCtx(d, s),
      token,
      userById(d, token.userId),
      st.services.find((x) => x.id === token.serviceId),
    ),
  );
}

function handleCreate(d: DoubleContext, req: Request, res: Response, s: Session, creatorId: number): void {
  const st = d.store.state;
  if (param(req, "_qf__core_webservice_token_form") === undefined) {
    createForm(d, res, s, defaultForm(d));
    return;
  }
  if (param(req, "cancel") !== undefined) {
    redirect(d, res, LIST);
    return;
  }
  if (!sesskeyOk(req, s)) {
    errorHtml(d, res, s, BAD_SESSKEY, "invalidsesskey");
    return;
  }
  const rawUser = param(req, "user");
  if (rawUser === undefined || !/^\d+$/.test(rawUser.trim())) {
    errorHtml(d, res, s, "Error reading from database", "dmlreadexception");
    return;
  }
  const user = st.users.find((u) => u.id === Number(rawUser));
  const service = st.services.find((x) => String(x.id) === (param(req, "service") ?? "").trim());
  if (!user || !service) {
    errorHtml(d, res, s, NO_RECORD, "invalidrecordunknown");
    return;
  }
  const tz = st.site.timezone;
  const enabledRaw = param(req, "validuntil[enabled]");
  const validuntilEnabled = enabledRaw !== undefined && enabledRaw !== "" && enabledRaw !== "0";
  const today = dateIn(Math.floor(Date.now() / 1000), tz);
  const num = (k: string, dflt: number) => {
    const v = Number(param(req, `validuntil[${k}]`));
    return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
  };
  const validuntil = validuntilEnabled ? midnightIn(num("year", today.year), num("month", today.month), num("day", today.day), tz) : 0;
  const name = param(req, "name");
  const iprestriction = param(req, "iprestriction");
  if (service.restrictedusers && !st.serviceUsers.some((su) => su.serviceId === service.id && su.userId === user.id)) {
    createForm(
      d,
      res,
      s,
      {
        name: name ?? "",
        user,
        serviceId: service.id,
        iprestriction: iprestriction ?? "",
        validuntilEnabled,
        validuntil: validuntil || Math.floor(Date.now() / 1000),
      },
      tokenWords(pageLanguage(st, s)).form.notAllowed(service.name),
    );
    return;
  }
  if (iprestriction === undefined) {
    errorHtml(d, res, s, typeError("#6 ($iprestriction)"), "generalexceptionmessage");
    return;
  }
  if (name === undefined) {
    errorHtml(d, res, s, typeError("#7 ($name)"), "generalexceptionmessage");
    return;
  }
  const token: DoubleToken = {
    id: st.nextIds.token++,
    token: crypto.randomBytes(16).toString("hex"),
    name: name.trim() === "" ? `Webservice-${randomString(5)}` : name.trim(),
    userId: user.id,
    serviceId: service.id,
    iprestriction: iprestriction.trim(),
    validuntil,
    lastaccess: 0,
    creatorId,
    timecreated: Math.floor(Date.now() / 1000),
  };
  st.tokens.push(token);
  d.store.save();
  s.flash.newToken = { name: token.name, token: token.token };
  redirect(d, res, LIST);
}

export function tokenRoutes(app: Express, d: DoubleContext): void {
  const handler = (req: Request, res: Response) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const action = param(req, "action") ?? "";
    if (action === "create") {
      if (req.method === "POST") handleCreate(d, req, res, a.s, a.user.id);
      else createForm(d, res, a.s, defaultForm(d));
      return;
    }
    if (action === "delete") {
      handleDelete(d, req, res, a.s);
      return;
    }
    showList(d, req, res, a.s);
  };
  app.get("/admin/webservice/tokens.php", handler);
  app.post("/admin/webservice/tokens.php", handler);
}
