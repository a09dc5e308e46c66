// admin/webservice/service.php, service_functions.php, service_users.php.
import type { Express, Request, Response } from "express";
import type { DoubleService } from "../state";
import { serviceEditPage, serviceFunctionsPage, serviceUsersPage } from "../render/webservice";
import { DoubleContext, errorHtml, html, param, paramArray, redirect, renderCtx, requireAdmin, sesskeyOk } from "./common";
import type { Session } from "../sessions";
import { FUNCTION_INFO } from "../functions";
import { pageLanguage, str } from "../lang";

/** English wording (the token routes use it as is); the service pages say it in the page's language. */
export const NO_RECORD = "Can't find data record in database.";
export const BAD_SESSKEY = "Your session has most likely timed out. Please check if you are logged in or go back to the previous screen and reload the page.";

function truthy(v: string | undefined): boolean {
  return v !== undefined && v !== "" && v !== "0";
}

function findService(d: DoubleContext, req: Request): { id: number; service?: DoubleService } {
  const id = Number(param(req, "id") ?? "NaN");
  return { id, service: d.store.state.services.find((s) => s.id === id) };
}

function missing(d: DoubleContext, res: Response, s: Session): void {
  errorHtml(d, res, s, str(pageLanguage(d.store.state, s), "invalidrecordunknown"), "invalidrecordunknown");
}

export function serviceRoutes(app: Express, d: DoubleContext): void {
  app.get("/admin/webservice/service.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const { id, service } = findService(d, req);
    if (param(req, "action") === "delete") {
      errorHtml(d, res, a.s, "Deleting a custom service is not supported by the Moodle double.", "notsupported");
      return;
    }
    if (id !== 0 && !service) return missing(d, res, a.s);
    html(res, 200, serviceEditPage(renderCtx(d, a.s), service));
  });

  app.post("/admin/webservice/service.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const { id, service } = findService(d, req);
    if (id !== 0 && !service) return missing(d, res, a.s);
    const submitted = param(req, "_qf__external_service_form") !== undefined;
    if (!submitted) {
      html(res, 200, serviceEditPage(renderCtx(d, a.s), service));
      return;
    }
    if (param(req, "cancel") !== undefined) {
      redirect(d, res, "/admin/settings.php?section=externalservices");
      return;
    }
    if (!sesskeyOk(req, a.s)) {
      errorHtml(d, res, a.s, str(pageLanguage(d.store.state, a.s), "invalidsesskey"), "invalidsesskey");
      return;
    }
    const builtin = !!service && service.component !== "";
    const next = {
      name: builtin ? service!.name : (param(req, "name") ?? "").trim(),
      shortname: builtin ? service!.shortname : (param(req, "shortname") ?? "").trim(),
      enabled: truthy(param(req, "enabled")),
      restrictedusers: builtin ? service!.restrictedusers : truthy(param(req, "restrictedusers")),
      downloadfiles: truthy(param(req, "downloadfiles")),
      uploadfiles: truthy(param(req, "uploadfiles")),
    };
    const errors: Record<string, string> = {};
    if (!builtin) {
      if (next.name === "") errors.name = str(pageLanguage(d.store.state, a.s), "required");
      if (next.shortname !== "" && d.store.state.services.some((s) => s.shortname === next.shortname && s.id !== id)) {
        errors.shortname = "The short name is already used by another service";
      }
    }
    if (Object.keys(errors).length) {
      html(res, 200, serviceEditPage(renderCtx(d, a.s), service, next, errors));
      return;
    }
    const state = d.store.state;
    if (service) {
      Object.assign(service, next);
      d.store.save();
      redirect(d, res, "/admin/settings.php?section=externalservices");
      return;
    }
    const created: DoubleService = { id: state.nextIds.service++, component: "", requiredcapability: "", functions: [], ...next };
    state.services.push(created);
    d.store.save();
    redirect(d, res, `/admin/webservice/service_functions.php?id=${created.id}`);
  });

  app.get("/admin/webservice/service_functions.php", (req, res) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const { service } = findService(d, req);
    if (!service) return missing(d, res, a.s);
    html(
      res,
      200,
      serviceFunctionsPage(renderCtx(d, a.s), service, (fn) => FUNCTION_INFO[fn] ?? { description: "", capabilities: "" }),
    );
  });

  const users = (req: Request, res: Response) => {
    const a = requireAdmin(d, req, res);
    if (!a) return;
    const { service } = findService(d, req);
    if (!service) return missing(d, res, a.s);
    const state = d.store.state;
    if (req.method === "POST" && sesskeyOk(req, a.s)) {
      if (param(req, "add") !== undefined) {
        for (const raw of paramArray(req, "addselect[]")) {
          const uid = Number(raw);
          if (!state.users.some((u) => u.id === uid)) continue;
          if (state.serviceUsers.some((su) => su.serviceId === service.id && su.userId === uid)) continue;
          state.serviceUsers.push({ serviceId: service.id, userId: uid, iprestriction: "", validuntil: 0 });
        }
      } else if (param(req, "remove") !== undefined) {
        const remove = new Set(paramArray(req, "removeselect[]").map(Number));
        state.serviceUsers = state.serviceUsers.filter((su) => !(su.serviceId === service.id && remove.has(su.userId)));
      }
      d.store.save();
    }
    const authorisedIds = new Set(state.serviceUsers.filter((su) => su.serviceId === service.id).map((su) => su.userId));
    const label = (u: (typeof state.users)[number]) => `${u.firstname} ${u.lastname} (${u.email})`;
    const sorted = [...state.users].sort((x, y) => (x.lastname + x.firstname).localeCompare(y.lastname + y.firstname));
    const authorised = sorted
      .filter((u) => authorisedIds.has(u.id))
      .map((u) => ({ id: u.id, label: label(u), name: `${u.firstname} ${u.lastname}`, email: u.email }));
    const others = sorted.filter((u) => !authorisedIds.has(u.id)).map((u) => ({ id: u.id, label: label(u) }));
    html(res, 200, serviceUsersPage(renderCtx(d, a.s), service, authorised, others));
  };
  app.get("/admin/webservice/service_users.php", users);
  app.post("/admin/webservice/service_users.php", users);
}
