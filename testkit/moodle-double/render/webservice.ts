// Web services admin pages: protocols table, external services tables, overview, service edit/users/functions.
import { coreConfig, DoubleService } from "../state";
import { RenderCtx, bs, esc, page, t, vinfo } from "./layout";
import type { StringId } from "../lang-strings";

/** Installed protocols and the string of their plugin name. */
export const PROTOCOLS: [string, StringId][] = [
  ["rest", "restpluginname"],
  ["soap", "soappluginname"],
];

export function enabledProtocols(ctx: RenderCtx): string[] {
  const raw = ctx.state.config.webserviceprotocols;
  return raw ? raw.split(",").filter((p) => p !== "") : [];
}

function rows(cells: string[][], tdAttrs: string[]): string {
  return cells
    .map((row, i) => {
      const last = i === cells.length - 1;
      const tds = row
        .map((c, j) => {
          const lastcol = j === row.length - 1 ? " lastcol" : "";
          return `<td class="${tdAttrs[j]} cell c${j}${lastcol}" style="">${c}</td>`;
        })
        .join("\n");
      return `<tr class="${last ? "lastrow" : ""}">\n${tds}\n</tr>\n`;
    })
    .join("");
}

export function protocolsTable(ctx: RenderCtx): string {
  const b = bs(ctx);
  const on = enabledProtocols(ctx);
  const sk = ctx.session?.sesskey ?? "";
  const v = vinfo(ctx);
  const body = rows(
    PROTOCOLS.map(([p, labelId]) => {
      const label = t(ctx, labelId);
      const enabled = on.includes(p);
      const action = enabled ? "disable" : "enable";
      const icon = enabled
        ? `<i class="icon fa-regular fa-eye fa-fw "  title="${t(ctx, "disable")}" role="img" aria-label="${t(ctx, "disable")}"></i>`
        : `<i class="icon fa fa-eye-slash fa-fw "  title="${t(ctx, "enable")}" role="img" aria-label="${t(ctx, "enable")}"></i>`;
      return [
        enabled ? `<span>${label}</span>` : `<span class="dimmed_text">${label}</span>`,
        v.protocolVersion,
        `<a href="${ctx.base}/admin/webservice/protocols.php?sesskey=${sk}&amp;action=${action}&amp;webservice=${p}">${icon}</a>`,
        "",
      ];
    }),
    ["leftalign", "centeralign", "centeralign", "centeralign"],
  );
  return `<h3 class="main">${t(ctx, "actwebserviceshhdr")}</h3><div class="box py-3 generalbox webservicesui"><div class="table-responsive"><table class="${b.tableClass("admintable generaltable table table-hover")}" id="webserviceprotocols">
<thead>
<tr>
<th class="header c0 leftalign" style="" scope="col">${t(ctx, "protocol")}</th>
<th class="header c1 centeralign" style="" scope="col">${t(ctx, "version")}</th>
<th class="header c2 centeralign" style="" scope="col">${t(ctx, "enable")}</th>
<th class="header c3 lastcol centeralign" style="" scope="col">${t(ctx, "settings")}</th>
</tr>
</thead>
<tbody>${body}</tbody>
</table>
</div>${t(ctx, "configwebserviceplugins")}</div>`;
}

function servicesTable(ctx: RenderCtx, id: string, services: DoubleService[], builtin: boolean): string {
  const b = bs(ctx);
  const sk = ctx.session?.sesskey ?? "";
  const head = `<thead>
<tr>
<th class="header c0 leftalign service" style="" scope="col">${t(ctx, "externalservice")}</th>
<th class="header c1 leftalign plugin" style="" scope="col">${builtin ? t(ctx, "plugin") : t(ctx, "delete")}</th>
<th class="header c2 centeralign functions" style="" scope="col">${t(ctx, "functions")}</th>
<th class="header c3 centeralign users" style="" scope="col">${t(ctx, "users")}</th>
<th class="header c4 lastcol centeralign" style="" scope="col">${t(ctx, "edit")}</th>
</tr>
</thead>`;
  const body =
    services.length === 0
      ? `<tbody class="empty"><tr><td colspan="5"></td></tr></tbody>`
      : `<tbody>${rows(
          services.map((s) => [
            s.enabled ? `<span>${esc(s.name)}</span>` : `<span class="dimmed_text">${esc(s.name)}</span>`,
            builtin ? esc(s.component) : `<a href="${ctx.base}/admin/webservice/service.php?action=delete&amp;sesskey=${sk}&amp;id=${s.id}">${t(ctx, "delete")}</a>`,
            `<a href="${ctx.base}/admin/webservice/service_functions.php?id=${s.id}">${t(ctx, "functions")}</a>`,
            s.restrictedusers ? `<a href="${ctx.base}/admin/webservice/service_users.php?id=${s.id}">${t(ctx, "serviceusers")}</a>` : t(ctx, "allusers"),
            `<a href="${ctx.base}/admin/webservice/service.php?id=${s.id}">${t(ctx, "edit")}</a>`,
          ]),
          ["leftalign service", "leftalign plugin", "centeralign functions", "centeralign users", "centeralign "],
        )}</tbody>`;
  return `<div class="table-responsive"><table class="${b.tableClass("admintable externalservices generaltable table table-hover")}" id="${id}">
${head}
${body}
</table>
</div>`;
}

export function servicesTables(ctx: RenderCtx): string {
  const all = [...ctx.state.services].sort((a, b) => a.id - b.id);
  const builtin = all.filter((s) => s.component !== "");
  const custom = all.filter((s) => s.component === "");
  return `<h3 class="main">${t(ctx, "servicesbuiltin")}</h3>${servicesTable(ctx, "builtinservices", builtin, true)}<h3 class="main">${t(ctx, "servicescustom")}</h3>${servicesTable(
    ctx,
    "customservices",
    custom,
    false,
  )}<br /><a href="${ctx.base}/admin/webservice/service.php?id=0">${t(ctx, "add")}</a>`;
}

export function overviewTable(ctx: RenderCtx): string {
  const b = bs(ctx);
  const ws = coreConfig(ctx.state, "enablewebservices") === "1";
  const protos = enabledProtocols(ctx);
  const protoCell = protos.length ? protos.map((p) => `${p}<br />`).join("") : `<span class="badge bg-danger text-white">None</span>`;
  return `<h3 class="main">Allow an external system to control Moodle</h3><br />The following steps help you to set up the Moodle web services to allow an external system to interact with Moodle. This includes setting up a token (security key) authentication method.<br /><br /><div class="table-responsive"><table class="${b.tableClass(
    "admintable wsoverview generaltable table table-hover",
  )}" id="onesystemcontrol">
<thead>
<tr>
<th class="header c0 leftalign step" style="" scope="col">Step</th>
<th class="header c1 leftalign status" style="" scope="col">Status</th>
<th class="header c2 lastcol leftalign description" style="" scope="col">Description</th>
</tr>
</thead>
<tbody><tr class="">
<td class="leftalign step cell c0" style="">1. <a href="${ctx.base}/admin/search.php?query=enablewebservices">Enable web services</a></td>
<td class="leftalign status cell c1" style="">${ws ? "Yes" : `<span class="badge bg-danger text-white">No</span>`}</td>
<td class="leftalign description cell c2 lastcol" style="">Web services must be enabled in Advanced features.</td>
</tr>
<tr class="lastrow">
<td class="leftalign step cell c0" style="">2. <a href="${ctx.base}/admin/settings.php?section=webserviceprotocols">Enable protocols</a></td>
<td class="leftalign status cell c1" style="">${protoCell}</td>
<td class="leftalign description cell c2 lastcol" style="">At least one protocol should be enabled. For security reasons, only protocols that are to be used should be enabled.</td>
</tr>
</tbody>
</table>
</div>`;
}

const WS_BODY = "format-site admin path-admin path-admin-webservice pagelayout-admin course-1 context-1";

function checkboxItem(ctx: RenderCtx, name: string, label: string, checked: boolean, opts: { frozen?: boolean; advanced?: boolean }): string {
  const twin = opts.frozen ? "" : `                    <input type="hidden" name="${name}" value="0">\n`;
  return `<div class="mb-3 row  fitem ${opts.advanced ? "advanced" : ""}  ">
    <div class="col-md-3 col-form-label pb-0 pt-0">
    </div>
    <div class="col-md-9 checkbox">
        <div class="form-check${vinfo(ctx).bs4 ? " d-flex" : ""}">
${twin}            <input type="checkbox"
                name="${name}"
                class="form-check-input "
                    value="1"
                id="id_${name}" ${checked ? "checked" : ""}${opts.frozen ? "\n                    disabled" : ""}
                 >
                <label for="id_${name}">
                    ${label}
                </label>
        </div>
        <div class="form-control-feedback invalid-feedback" id="id_error_${name}" >
        </div>
    </div>
</div>`;
}

function textItem(name: string, label: string, value: string, frozen: boolean, error = ""): string {
  return `<div id="fitem_id_${name}" class="mb-3 row  fitem  ${error ? "has-danger" : ""}  " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_${name}_label" class="d-inline word-break " for="id_${name}">
                    ${label}
                </label>
        <div class="form-label-addon d-flex align-items-center align-self-start">
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="text">
        <input type="text"
                class="form-control ${error ? "is-invalid" : ""}"
                name="${name}"${frozen ? "\n                readonly disabled" : ""}
                id="id_${name}"
                value="${esc(value)}"
                 >
        <div class="form-control-feedback invalid-feedback" id="id_error_${name}" ${error ? 'style="display: block;"' : ""}>
            ${esc(error)}
        </div>
    </div>
</div>`;
}

export function buttons(submitLabel: string, cancelLabel = "Cancel"): string {
  return `<div id="fgroup_id_buttonar" class="mb-3 row  fitem femptylabel   " data-groupname="buttonar">
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
        <div class="form-label-addon d-flex align-items-center align-self-start">
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="group">
            <div class="w-100 m-0 p-0 border-0">
                <div class="d-flex flex-wrap align-items-center">
                    <div class="mb-3  fitem  " >
    <span data-fieldtype="submit">
        <input type="submit"
                class="btn
                        btn-primary
                    "
                name="submitbutton"
                id="id_submitbutton"
                value="${submitLabel}"
                 >
    </span>
</div>
                    <div class="mb-3  fitem   btn-cancel" >
    <span data-fieldtype="submit">
        <input type="submit"
                class="btn
                        btn-secondary
                    "
                name="cancel"
                id="id_cancel"
                value="${cancelLabel}"
                data-skip-validation="1" data-cancel="1" onclick="skipClientValidation = true; return true;" >
    </span>
</div>
                </div>
            </div>
    </div>
</div>`;
}

export function mformId(): string {
  return "mform1_" + Math.random().toString(36).slice(2, 17);
}

/** service.php?id=N edit form (N=0: add form for a custom service). */
export function serviceEditPage(
  ctx: RenderCtx,
  service: DoubleService | undefined,
  posted?: { name: string; shortname: string; enabled: boolean; restrictedusers: boolean; downloadfiles: boolean; uploadfiles: boolean },
  errors: Record<string, string> = {},
): string {
  const b = bs(ctx);
  const builtin = !!service && service.component !== "";
  const s = posted ?? {
    name: service?.name ?? "",
    shortname: service?.shortname ?? "",
    enabled: service?.enabled ?? false,
    restrictedusers: service?.restrictedusers ?? false,
    downloadfiles: service?.downloadfiles ?? false,
    uploadfiles: service?.uploadfiles ?? false,
  };
  const capability = builtin
    ? `<div id="fitem_id_requiredcapability" class="mb-3 row  fitem  advanced  " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                ${
                  vinfo(ctx).bs4
                    ? `<label id="id_requiredcapability_label" class="d-inline word-break " for="id_requiredcapability">
                    ${t(ctx, "requiredcapability")}
                </label>`
                    : `<span class="d-inline-block ">
                    ${t(ctx, "requiredcapability")}
                </span>`
                }
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="autocomplete">
                    ${service!.requiredcapability ? esc(service!.requiredcapability) : t(ctx, "norequiredcapability")}
    </div>
</div>`
    : `<div id="fitem_id_requiredcapability" class="mb-3 row  fitem  advanced  " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_requiredcapability_label" class="d-inline word-break " for="id_requiredcapability">
                    ${t(ctx, "requiredcapability")}
                </label>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="autocomplete">
        <select class="${b.select} " name="requiredcapability" id="id_requiredcapability" >
            <option value="norequiredcapability" selected>${t(ctx, "norequiredcapability")}</option>
        </select>
    </div>
</div>`;
  const form = `<form autocomplete="off" action="${ctx.base}/admin/webservice/service.php" method="post" accept-charset="utf-8" id="${mformId()}" class="mform">
	<div style="display: none;"><input name="id" type="hidden" value="${service?.id ?? 0}" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__external_service_form" type="hidden" value="1" />
<input name="mform_showmore_id_extservice" type="hidden" value="0" />
<input name="mform_isexpanded_id_extservice" type="hidden" value="1" />
</div>
	<fieldset class="clearfix collapsible containsadvancedelements"  id="id_extservice"><legend class="${b.hidden}">${t(ctx, "externalservice")}</legend>
<div id="id_extservicecontainer" class="fcontainer collapseable collapse  show">${textItem("name", t(ctx, "name"), s.name, builtin, errors.name)}${textItem(
    "shortname",
    t(ctx, "shortname"),
    s.shortname,
    builtin,
    errors.shortname,
  )}${checkboxItem(ctx, "enabled", t(ctx, "enabled"), s.enabled, {})}${checkboxItem(ctx, "restrictedusers", t(ctx, "restrictedusers"), s.restrictedusers, {
    frozen: builtin,
  })}${checkboxItem(ctx, "downloadfiles", t(ctx, "downloadfiles"), s.downloadfiles, { advanced: true })}${checkboxItem(
    ctx,
    "uploadfiles",
    t(ctx, "uploadfiles"),
    s.uploadfiles,
    { advanced: true },
  )}${capability}
		</div></fieldset>${buttons(service ? t(ctx, "savechanges") : t(ctx, "addaservice"), t(ctx, "cancel"))}
</form>`;
  return page(ctx, {
    title: `${service ? t(ctx, "editaservice") : t(ctx, "addaservice")} | ${t(ctx, "webservices")} | ${t(ctx, "server")} | ${t(ctx, "administration")}`,
    bodyId: "page-admin-webservice-service",
    bodyClass: WS_BODY,
    main: form,
  });
}

export function serviceFunctionsPage(ctx: RenderCtx, service: DoubleService, describe: (fn: string) => { description: string; capabilities: string }): string {
  const b = bs(ctx);
  const fns = [...service.functions].sort();
  const body = fns
    .map((fn, i) => {
      const d = describe(fn);
      return `<tr class="${i === fns.length - 1 ? "lastrow" : ""}">
<td class="cell c0" style="text-align:left;width:15%;">${esc(fn)}</td>
<td class="cell c1" style="text-align:left;width:40%;"><div class="functiondesc">${esc(d.description)}</div></td>
<td class="cell c2 lastcol" style="text-align:left;width:40%;"><div class="functiondesc">${esc(d.capabilities)}</div></td>
</tr>
`;
    })
    .join("");
  const main = `<h2>Add functions to the service "${esc(service.name)}"</h2><div class="table-responsive"><table class="${b.tableClass(
    "generaltable table table-hover",
  )}" width="100%">
<thead>
<tr>
<th class="header c0" style="text-align:left;width:15%;" scope="col">Function</th>
<th class="header c1" style="text-align:left;width:40%;" scope="col">Description</th>
<th class="header c2 lastcol" style="text-align:left;width:40%;" scope="col">Required capabilities</th>
</tr>
</thead>
<tbody>${body}</tbody>
</table>
</div>`;
  return page(ctx, { title: "External service functions | Web services | Server | Administration", bodyId: "page-admin-webservice-service_functions", bodyClass: WS_BODY, main });
}

export function serviceUsersPage(ctx: RenderCtx, service: DoubleService, authorised: { id: number; label: string; name: string; email: string }[], others: { id: number; label: string }[]): string {
  const b = bs(ctx);
  const select = (name: string, group: string, list: { id: number; label: string }[]) => {
    const label = list.length ? `${group} (${list.length})` : t(ctx, "none");
    const opts = list.length ? list.map((u) => `    <option value="${u.id}">${esc(u.label)}</option>`).join("\n") : `    <option disabled="disabled">&nbsp;</option>`;
    return `<select name="${name}[]" id="${name}" aria-live="polite" multiple="multiple" size="20" class="form-control no-overflow">
  <optgroup label="${esc(label)}">
${opts}
  </optgroup>
</select>`;
  };
  const settingsList = authorised.length
    ? `<h3 class="main">${t(ctx, "serviceuserssettings")}</h3><div class="alloweduserlist"><ul>
${authorised
  .map(
    (u) =>
      `<li><a href="${ctx.base}/admin/webservice/service_user_settings.php?userid=${u.id}&amp;serviceid=${service.id}">${esc(u.name)}</a><div class="small">${esc(u.email)}</div></li>`,
  )
  .join("\n")}
</ul></div>`
    : "";
  const main = `<h3 class="main">${t(ctx, "selectauthorisedusers")}</h3><form id="assignform" action="${ctx.base}/admin/webservice/service_users.php?id=${service.id}" method="post"><div><input name="sesskey" value="${
    ctx.session?.sesskey ?? ""
  }" type="hidden" /><div class="table-responsive"><table class="${b.tableClass(
    "roleassigntable generaltable generalbox boxaligncenter table table-hover",
  )}" summary="" cellpadding="0" cellspacing="0">
<tbody><tr class="lastrow">
<td class="cell c0" style="width:45%;" id="existingcell"><p><label for="removeselect">${t(ctx, "serviceusers")}</label></p><div class="userselector" id="removeselect_wrapper">
${select("removeselect", t(ctx, "serviceusers"), authorised)}
<div class="d-flex flex-wrap align-items-center">
<input type="text" name="removeselect_searchtext" id="removeselect_searchtext" size="15" value="" class="form-control"/><input type="submit" name="removeselect_searchbutton" id="removeselect_searchbutton" value="${t(ctx, "search")}" class="btn btn-secondary"/><input type="submit" name="removeselect_clearbutton" id="removeselect_clearbutton" value="${t(ctx, "clear")}" class="btn btn-secondary"/></div>
</div>
</td>
<td class="cell c1" style="width:10%;" id="buttonscell"><div id="addcontrols"><input name="add" id="add" type="submit" value="◀ ${t(ctx, "add")}" title="${t(ctx, "add")}" /></div><br /><div id="removecontrols"><input name="remove" id="remove" type="submit" value="▶ ${t(ctx, "remove")}" title="${t(ctx, "remove")}" /></div></td>
<td class="cell c2 lastcol" style="width:45%;" id="potentialcell"><p><label for="addselect">${t(ctx, "potusers")}</label></p><div class="userselector" id="addselect_wrapper">
${select("addselect", t(ctx, "potusers"), others)}
<div class="d-flex flex-wrap align-items-center">
<input type="text" name="addselect_searchtext" id="addselect_searchtext" size="15" value="" class="form-control"/><input type="submit" name="addselect_searchbutton" id="addselect_searchbutton" value="${t(ctx, "search")}" class="btn btn-secondary"/><input type="submit" name="addselect_clearbutton" id="addselect_clearbutton" value="${t(ctx, "clear")}" class="btn btn-secondary"/></div>
</div>
</td>
</tr>
</tbody>
</table>
</div></div></form>${settingsList}`;
  return page(ctx, { title: `${t(ctx, "serviceusers")} | ${t(ctx, "webservices")} | ${t(ctx, "server")} | ${t(ctx, "administration")}`, bodyId: "page-admin-webservice-service_users", bodyClass: WS_BODY, main });
}
