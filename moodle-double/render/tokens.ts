// admin/webservice/tokens.php: Report-builder token list, once-only token display, create form, delete confirmation.
import type { DoubleService, DoubleToken, DoubleUser } from "../state";
import { RenderCtx, bs, esc, notification, page, singleButtonId, userDate, vinfo, dateIn } from "./layout";
import { buttons, mformId } from "./webservice";

const TOKENS_BODY = "format-site admin path-admin path-admin-webservice pagelayout-admin course-1 context-1";
const TITLE = "Manage tokens | Web services | Server | Administration";
const PAGE_SIZE = 30;

export interface TokenListRow {
  token: DoubleToken;
  user?: DoubleUser;
  creator?: DoubleUser;
  service?: DoubleService;
}

const COLUMNS: [string, string | null][] = [
  ["Name", "c1_name"],
  ["User", "c2_firstname"],
  ["Email address", "c3_email"],
  ["Service", "c4_name"],
  ["IP restriction", null],
  ["Valid until", "c6_validuntil"],
  ["Last access", "c7_lastaccess"],
  ["Creator", "c8_firstname"],
  ["Missing capabilities", null],
];

function header(ctx: RenderCtx): string {
  const b4 = vinfo(ctx).bs4;
  const ths = COLUMNS.map(([label, sortby], i) => {
    if (!sortby) return `<th class="header c${i}" scope="col">${label}<div class="commands"></div></th>`;
    const current = sortby === "c6_validuntil";
    const order = current ? 3 : 4;
    const link = b4
      ? `<a data-sortable="1" data-sortby="${sortby}" data-sortorder="${order}" role="button" href="${ctx.base}/?tsort=${sortby}&amp;tdir=${order}">${label}<span class="accesshide " >Sort by ${label} Ascending</span></a>`
      : `<a data-sortable="1" data-sortby="${sortby}" data-sortorder="${order}" role="button" aria-label="Sort by ${label} ascending" href="${ctx.base}/?tsort=${sortby}&amp;tdir=${order}">${label}</a>`;
    const icon = current ? ` <i class="icon fa fa-arrow-up-short-wide fa-fw " aria-hidden="true"  title="Ascending"></i>` : " ";
    return `<th class="header c${i}" scope="col">${link}${icon}<div class="commands"></div></th>`;
  });
  ths.push(`<th class="header c9" scope="col"><span class="${bs(ctx).hidden}">Actions</span><div class="commands"></div></th>`);
  return `<thead><tr>${ths.join("")}</tr></thead>`;
}

function actionMenu(ctx: RenderCtx, n: number, tokenId: number): string {
  const b4 = vinfo(ctx).bs4;
  const b = bs(ctx);
  return `<div class="action-menu moodle-actionmenu" id="action-menu-${n}" data-enhance="moodle-core-actionmenu">
        <div class="menubar d-flex " id="action-menu-${n}-menubar">
                <div class="action-menu-trigger">
                    <div class="dropdown">
                        <a
                            href="#"
                            tabindex="0"
                            class="btn btn-icon d-flex no-caret  dropdown-toggle icon-no-margin"
                            id="action-menu-toggle-${n}"
                            aria-label="${b4 ? "" : "Actions"}"
                            ${b.data("toggle")}="dropdown"
                            role="button"
                            aria-haspopup="true"
                            aria-expanded="false"
                            aria-controls="action-menu-${n}-menu"
                            title="Actions"
                        >
                            <i class="icon fa fa-ellipsis-vertical fa-fw " aria-hidden="true" ></i><span class="${b.hidden}">Actions</span>
                            <b class="caret"></b>
                        </a>
                            <div class="dropdown-menu menu ${b4 ? "dropdown-menu-right" : "dropdown-menu-end"}" id="action-menu-${n}-menu" data-rel="menu-content" aria-labelledby="action-menu-toggle-${n}" role="menu">
                                <a href="${ctx.base}/admin/webservice/tokens.php?action=delete&amp;tokenid=${tokenId}" class="dropdown-item text-danger menu-action" aria-label="Delete" role="menuitem" tabindex="-1" >
                                <i class="icon fa fa-trash-can fa-fw " aria-hidden="true" ></i>
                                <span class="menu-action-text">Delete</span>
                        </a>
                            </div>
                    </div>
                </div>
        </div>
</div>`;
}

function cell(r: number, c: number, content: string): string {
  return `<td class="cell c${c}" id="system-report-table-1_r${r}_c${c}">${content}</td>`;
}

function fullname(u?: DoubleUser): string {
  return u ? `${u.firstname} ${u.lastname}` : "";
}

/**
 * Moodle's paging bar under a dynamic table. Its links point at the site root ("…/?page=1"), not at
 * tokens.php, exactly as recorded on 5.0.6+; `page` is 0-based, data-page-number 1-based.
 */
function pagingBar(ctx: RenderCtx, page: number, pages: number): string {
  const hidden = bs(ctx).hidden;
  const item = (target: number, label: string, text: string, cls = "page-item") => `                <li class="${cls}" data-page-number="${target + 1}">
                    <a href="${ctx.base}/?page=${target}" class="page-link">
                        <span aria-hidden="true">${label}</span>
                        <span class="${hidden}">${text}</span>
                    </a>
                </li>`;
  const items: string[] = [];
  if (page > 0) items.push(item(page - 1, "&laquo;", "Previous page"));
  for (let p = 0; p < pages; p++) {
    items.push(
      p === page
        ? `                <li class="page-item active" data-page-number="${p + 1}">
                    <a href="#" class="page-link" aria-current="page">
                        <span aria-hidden="true">${p + 1}</span>
                        <span class="${hidden}">Page ${p + 1}</span>
                    </a>
                </li>`
        : item(p, String(p + 1), `Page ${p + 1}`, "page-item "),
    );
  }
  if (page < pages - 1) items.push(item(page + 1, "&raquo;", "Next page"));
  return `<nav aria-label="Page" class="pagination pagination-centered justify-content-center">
        <ul class="mt-1 pagination flex-wrap justify-content-center" data-page-size="${PAGE_SIZE}">
${items.join("\n")}
        </ul>
    </nav>`;
}

/** One page (0-based `pageIndex`, 30 rows, as Moodle's report builder) of the token report. */
export function tokensListPage(ctx: RenderCtx, rows: TokenListRow[], newToken?: { name: string; token: string }, pageIndex = 0): string {
  const b4 = vinfo(ctx).bs4;
  const tz = ctx.state.site.timezone;
  const once = newToken
    ? `<div class="d-inline-block">
    <div class="alert alert-warning">
        <div class="lead">Copy the token now. It won't be shown again once you leave this page.</div>
    </div>
    <div class="alert alert-primary">
        <div class="lead">${esc(newToken.name)}</div>
        <div class="d-flex justify-content-start align-middle">
            <div class="lead text-break pt-1" id="copytoclipboardtoken">${esc(newToken.token)}</div>
            <button class="btn btn-primary ${b4 ? "ml-2" : "ms-2"}" data-action="copytoclipboard" data-clipboard-target="#copytoclipboardtoken" data-clipboard-success-message="Text copied to clipboard.">
            <i class="icon fa-solid fa-clone fa-fw " aria-hidden="true" ></i>Copy to clipboard</button>
        </div>
    </div>
</div>`
    : "";
  const sorted = [...rows].sort((a, b) => a.token.validuntil - b.token.validuntil || a.token.id - b.token.id);
  let table: string;
  if (sorted.length === 0) {
    table = notification(ctx, "info", "Nothing to display", false);
  } else {
    const trs = sorted.slice(pageIndex * PAGE_SIZE, (pageIndex + 1) * PAGE_SIZE).map((row, r) => {
      const t = row.token;
      const userLink = row.user ? `<a href="${ctx.base}/user/profile.php?id=${row.user.id}">${esc(fullname(row.user))}</a>` : "";
      const creatorLink = row.creator ? `<a href="${ctx.base}/user/profile.php?id=${row.creator.id}">${esc(fullname(row.creator))}</a>` : "";
      const service = row.service
        ? `${esc(row.service.name)}<div class="small text-muted"><div class="text_to_html">${esc(row.service.shortname)}</div></div>`
        : "";
      const cells = [
        esc(t.name),
        userLink,
        esc(row.user?.email ?? ""),
        service,
        esc(t.iprestriction),
        t.validuntil ? userDate(t.validuntil, tz, false) : "This token has no expiry date.",
        t.lastaccess ? userDate(t.lastaccess, tz, true) : "Never",
        creatorLink,
        "",
        actionMenu(ctx, r + 1, t.id),
      ];
      return `<tr class="" id="system-report-table-1_r${r}">${cells.map((c, i) => cell(r, i, c)).join("")}</tr>`;
    });
    for (let r = trs.length; r < PAGE_SIZE; r++) {
      trs.push(`<tr class="emptyrow" id="system-report-table-1_r${r}">${Array.from({ length: 10 }, (_, i) => cell(r, i, "")).join("")}</tr>`);
    }
    table = `<div${b4 ? "" : ' class="table-responsive"'}><table class="flexible table table-striped table-hover generaltable generalbox reportbuilder-table reportbuilder-table" data-region="reportbuilder-table"><caption class="${
      bs(ctx).hidden
    }">Tokens</caption>${header(ctx)}<tbody>${trs.join("")}</tbody></table></div>`;
    const pages = Math.ceil(sorted.length / PAGE_SIZE);
    if (pages > 1) {
      table += `${pagingBar(ctx, pageIndex, pages)}<a data-action="showcount" data-target-page-size="5000" href="${ctx.base}/admin/webservice/tokens.php?perpage=5000">Show all ${sorted.length}</a>`;
    }
  }
  const reportAttrs = b4
    ? `data-region="core_reportbuilder/report"
        data-report-id="1"
        data-report-type="1"
        data-parameter="[]"`
    : `id="reportbuilder-report-${Date.now().toString(16)}"
        data-region="core_reportbuilder/report"
        data-report-id="1"
        data-report-type="1"
        data-report-parameters="[]"`;
  const main = `<div class="d-flex flex-wrap"><h2>Manage tokens</h2><div class="${b4 ? "ml-auto" : "ms-auto"}"><div class="singlebutton">
    <form method="get" action="${ctx.base}/admin/webservice/tokens.php" >
            <input type="hidden" name="action" value="create">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >Create token</button>
    </form>
</div></div></div>${once}<div class="reportbuilder-report "
        ${reportAttrs}
        >
            <div class="reportbuilder-wrapper">
                <div class="mt-2"><div class="table-dynamic position-relative" data-region="core_table/dynamic" data-table-handler="system_report_table" data-table-component="core_reportbuilder" data-table-uniqueid="system-report-table-1" data-table-page-number="${pageIndex + 1}" data-table-page-size="${PAGE_SIZE}" data-table-default-per-page="${PAGE_SIZE}" data-table-total-rows="${sorted.length}">${table}</div></div>
            </div>
</div>`;
  return page(ctx, { title: TITLE, bodyId: "page-admin-webservice-tokens", bodyClass: TOKENS_BODY, main });
}

export interface TokenFormValues {
  name: string;
  user?: DoubleUser;
  serviceId?: number;
  iprestriction: string;
  validuntilEnabled: boolean;
  /** Unix seconds for the date selects. */
  validuntil: number;
}

function dateSelects(ctx: RenderCtx, ts: number): string {
  const b = bs(ctx);
  const { year, month, day } = dateIn(ts, ctx.state.site.timezone);
  const months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  const sel = (part: string, label: string, opts: [number, string][], current: number) => `<div class="mb-3  fitem  " >
        <label class="col-form-label ${b.hidden}" for="id_validuntil_${part}">
            ${label}
        </label>
    <span data-fieldtype="select">
    <select class="${b.select}
                   "
        name="validuntil[${part}]"
        id="id_validuntil_${part}"
         >
${opts.map(([v, l]) => `        <option value="${v}" ${v === current ? "selected" : ""}  >${l}</option>`).join("\n")}
    </select>
    </span>
    <div class="form-control-feedback invalid-feedback" id="id_error_validuntil_${part}" >
    </div>
</div>`;
  const range = (a: number, z: number) => Array.from({ length: z - a + 1 }, (_, i) => [a + i, String(a + i)] as [number, string]);
  return [
    sel("day", "Day", range(1, 31), day),
    sel(
      "month",
      "Month",
      months.map((m, i) => [i + 1, m] as [number, string]),
      month,
    ),
    sel("year", "Year", range(1900, 2050), year),
  ].join("\n                &nbsp;\n                ");
}

export function tokenCreatePage(ctx: RenderCtx, services: DoubleService[], values: TokenFormValues, alert?: string): string {
  const b = bs(ctx);
  const b4 = vinfo(ctx).bs4;
  const userOption = values.user
    ? `\n            <option value="${values.user.id}" selected data-html="${esc(
        `<span>\n    <span data-field="fullname">${esc(fullname(values.user))}</span>\n    <small>\n        <span data-field="email">${esc(values.user.email)}</span>\n    </small>\n</span>`,
      )}">${values.user.id}</option>`
    : "";
  const required = `<div class="text-danger" title="Required">
                    <i class="icon fa fa-circle-exclamation text-danger fa-fw " ${b4 ? "" : 'aria-hidden="true" '}title="Required" role="img" aria-label="Required"></i>
                </div>`;
  const serviceOptions = [...services]
    .sort((a, c) => a.id - c.id)
    .map((s) => `            <option value="${s.id}" ${s.id === values.serviceId ? "selected" : ""} \n                >${esc(s.name)}</option>`)
    .join("\n");
  const calendar = b4
    ? `<a name="validuntil[calendar]" href="#" id="id_validuntil_calendar"><i class="icon fa-regular fa-calendar fa-fw "  title="Calendar" role="img" aria-label="Calendar"></i></a>`
    : `<button
                class="btn
                btn-link btn-sm icon-no-margin"
                name="validuntil[calendar]"
                id="id_validuntil_calendar"
                type="button"
                title="Date picker" aria-label="Date picker"
                >
                <i class="icon fa-regular fa-calendar fa-fw " aria-hidden="true" ></i>
            </button>`;
  const form = `<form autocomplete="off" action="${ctx.base}/admin/webservice/tokens.php" method="post" accept-charset="utf-8" id="${mformId()}" class="mform">
	<div style="display: none;"><input name="action" type="hidden" value="create" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__core_webservice_token_form" type="hidden" value="1" />
<input name="mform_isexpanded_id_token" type="hidden" value="1" />
</div>
	<fieldset class="clearfix collapsible"  id="id_token"><legend class="${b.hidden}">Token</legend>
<div id="id_tokencontainer" class="fcontainer collapseable collapse  show"><div id="fitem_id_name" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_name_label" class="d-inline word-break " for="id_name">
                    Name
                </label>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="text">
        <input type="text"
                class="form-control "
                name="name"
                id="id_name"
                value="${esc(values.name)}"
                 >
        <div class="form-control-feedback invalid-feedback" id="id_error_name" >
        </div>
    </div>
</div><div id="fitem_id_tokennamehint" class="mb-3 row  fitem femptylabel   " >
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="static">
        <div class="form-control-static " data-name="tokennamehint">
        If you don't enter a name then a random name will be used.
        </div>
    </div>
</div><div id="fitem_id_user" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_user_label" class="d-inline word-break " for="id_user">
                    User
                </label>
        <div class="form-label-addon d-flex align-items-center align-self-start">
                ${required}
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="autocomplete">
        <select class="${b.select} " name="user"
            id="id_user"
                aria-required="true"
             >${userOption}
        </select>
        <div class="form-control-feedback invalid-feedback" id="id_error_user" >
        </div>
    </div>
</div><div id="fitem_id_service" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_service_label" class="d-inline word-break " for="id_service">
                    Service
                </label>
        <div class="form-label-addon d-flex align-items-center align-self-start">
                ${required}
        </div>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="select">
        <select class="${b.select}
                       "
            name="service"
            id="id_service"
                aria-required="true"
             >
${serviceOptions}
        </select>
        <div class="form-control-feedback invalid-feedback" id="id_error_service" >
        </div>
    </div>
</div><div id="fitem_id_iprestriction" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_iprestriction_label" class="d-inline word-break " for="id_iprestriction">
                    IP restriction
                </label>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="text">
        <input type="text"
                class="form-control "
                name="iprestriction"
                id="id_iprestriction"
                value="${esc(values.iprestriction)}"
                 >
        <div class="form-control-feedback invalid-feedback" id="id_error_iprestriction" >
        </div>
    </div>
</div><div id="fitem_id_validuntil" class="mb-3 row  fitem    " data-groupname="validuntil">
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                    <p id="id_validuntil_label" class="mb-0 word-break" aria-hidden="true">
                Valid until
            </p>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="date_selector">
        <fieldset data-fieldtype="date" class="m-0 p-0 border-0" id="id_validuntil">
            <legend class="${b.hidden}">Valid until</legend>
            <span class="fdate_selector d-flex flex-wrap align-items-center">
                <label data-fieldtype="checkbox" class="form-check  fitem  ">
<input type="checkbox" name="validuntil[enabled]" class="form-check-input "
    id="id_validuntil_enabled"
        value="1"
    ${values.validuntilEnabled ? "checked" : ""}
     >
    Enable
</label>
                &nbsp;
                ${dateSelects(ctx, values.validuntil)}
                &nbsp;
                <div class="mb-3  fitem  " >
    <span data-fieldtype="button">
            ${calendar}
    </span>
</div>
            </span>
        </fieldset>
        <div class="form-control-feedback invalid-feedback" id="id_error_validuntil" >
        </div>
    </div>
</div>
		</div></fieldset>${buttons("Save changes")}
		<div class="fdescription required" aria-hidden="true"><i class="icon fa fa-circle-exclamation text-danger fa-fw " aria-hidden="true"  title="Required field"></i> Required</div>
</form>`;
  return page(ctx, {
    title: TITLE,
    bodyId: "page-admin-webservice-tokens",
    bodyClass: TOKENS_BODY,
    main: `<h2>Create token</h2>${alert ? notification(ctx, "danger", esc(alert)) + "\n" : ""}${form}`,
  });
}

export function tokenDeleteConfirmPage(ctx: RenderCtx, token: DoubleToken, user?: DoubleUser, service?: DoubleService): string {
  const b4 = vinfo(ctx).bs4;
  const main = `<div role="alertdialog" aria-labelledby="modal-header" aria-describedby="modal-body" aria-modal="true" id="notice" class="box py-3 generalbox modal modal-dialog modal-in-page show"><div id="modal-content" class="box py-3 modal-content"><div id="modal-header" class="box py-3 modal-header px-3"><h4${
    b4 ? "" : ' class="h4"'
  }>Confirm</h4></div><div role="alert" data-aria-autofocus="true" id="modal-body" class="box py-3 modal-body"><p>Do you really want to delete this web service token for <strong>${esc(
    fullname(user),
  )}</strong> on the service <strong>${esc(service?.name ?? "")}</strong>?</p></div><div id="modal-footer" class="box py-3 modal-footer"><div class="buttons"><div class="singlebutton">
    <form method="get" action="${ctx.base}/admin/webservice/tokens.php" >
        <button type="submit" class="btn btn-secondary"
            id="single_button${singleButtonId()}"
            >Cancel</button>
    </form>
</div><div class="singlebutton">
    <form method="post" action="${ctx.base}/admin/webservice/tokens.php" >
            <input type="hidden" name="tokenid" value="${token.id}">
            <input type="hidden" name="action" value="delete">
            <input type="hidden" name="confirm" value="1">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >Delete</button>
    </form>
</div></div></div></div></div>`;
  return page(ctx, { title: TITLE, bodyId: "page-admin-webservice-tokens", bodyClass: TOKENS_BODY, main });
}
