// admin/webservice/tokens.php: Report-builder token list, once-only token display, create form, delete confirmation.
import { coreConfig, DoubleService, DoubleToken, DoubleUser } from "../state";
import { REPORT_PAGE_SIZE, ReportPage, ReportRow } from "../tokenReport";
import { CAPABILITY_NAMES } from "../capabilities";
import { RenderCtx, bs, esc, langOf, notification, page, singleButtonId, vinfo, dateIn } from "./layout";
import { TokenWords, dateParts, tokenWords } from "./tokenWords";
import { buttons, mformId } from "./webservice";

const TOKENS_BODY = "format-site admin path-admin path-admin-webservice pagelayout-admin course-1 context-1";

export type TokenListRow = ReportRow;

/** Column titles with their sort aliases (c<index>_<field>; IP restriction and missing capabilities are not sortable). */
function columns(w: TokenWords): [string, string | null][] {
  const c = w.columns;
  return [
    [c.name, "c1_name"],
    [c.user, "c2_firstname"],
    [c.email, "c3_email"],
    [c.service, "c4_name"],
    [c.ip, null],
    [c.validUntil, "c6_validuntil"],
    [c.lastAccess, "c7_lastaccess"],
    [c.creator, "c8_firstname"],
    [c.missingCaps, null],
  ];
}

function header(ctx: RenderCtx, w: TokenWords): string {
  const b4 = vinfo(ctx).bs4;
  const ths = columns(w).map(([label, sortby], i) => {
    if (!sortby) return `<th class="header c${i}" scope="col">${esc(label)}<div class="commands"></div></th>`;
    const current = sortby === "c6_validuntil";
    const order = current ? 3 : 4;
    const link = b4
      ? `<a data-sortable="1" data-sortby="${sortby}" data-sortorder="${order}" role="button" href="${ctx.base}/?tsort=${sortby}&amp;tdir=${order}">${esc(label)}<span class="accesshide " >${esc(w.sortBy(label, true))}</span></a>`
      : `<a data-sortable="1" data-sortby="${sortby}" data-sortorder="${order}" role="button" aria-label="${esc(w.sortBy(label))}" href="${ctx.base}/?tsort=${sortby}&amp;tdir=${order}">${esc(label)}</a>`;
    const icon = current ? ` <i class="icon fa fa-arrow-up-short-wide fa-fw " aria-hidden="true"  title="${esc(w.ascending)}"></i>` : " ";
    return `<th class="header c${i}" scope="col">${link}${icon}<div class="commands"></div></th>`;
  });
  ths.push(`<th class="header c9" scope="col"><span class="${bs(ctx).hidden}">${esc(w.actions)}</span><div class="commands"></div></th>`);
  return `<thead><tr>${ths.join("")}</tr></thead>`;
}

function actionMenu(ctx: RenderCtx, w: TokenWords, n: number, tokenId: number): string {
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
                            aria-label="${b4 ? "" : esc(w.actions)}"
                            ${b.data("toggle")}="dropdown"
                            role="button"
                            aria-haspopup="true"
                            aria-expanded="false"
                            aria-controls="action-menu-${n}-menu"
                            title="${esc(w.actions)}"
                        >
                            <i class="icon fa fa-ellipsis-vertical fa-fw " aria-hidden="true" ></i><span class="${b.hidden}">${esc(w.actions)}</span>
                            <b class="caret"></b>
                        </a>
                            <div class="dropdown-menu menu ${b4 ? "dropdown-menu-right" : "dropdown-menu-end"}" id="action-menu-${n}-menu" data-rel="menu-content" aria-labelledby="action-menu-toggle-${n}" role="menu">
                                <a href="${ctx.base}/admin/webservice/tokens.php?action=delete&amp;tokenid=${tokenId}" class="dropdown-item text-danger menu-action" aria-label="${esc(w.delete)}" role="menuitem" tabindex="-1" >
                                <i class="icon fa fa-trash-can fa-fw " aria-hidden="true" ></i>
                                <span class="menu-action-text">${esc(w.delete)}</span>
                        </a>
                            </div>
                    </div>
                </div>
        </div>
</div>`;
}

/**
 * $OUTPUT->help_icon('missingcaps', 'webservice') (lib/templates/help_icon.mustache, core\output\help_icon::
 * export_for_template; 4.5's Bootstrap 4 spelling as recorded on its service form), trimmed as
 * render_from_template() trims. The popover holds the formatted help string, escaped, then " " and no docs link.
 */
function missingCapsHelpIcon(ctx: RenderCtx): string {
  const title = "Help with Missing capabilities";
  const text = esc(
    '<div class="no-overflow"><p>List of capabilities declared by the service which the user does not have. Some service functionality may not be available without these capabilities.</p>\n</div>',
  );
  const icon = `  <i class="icon fa fa-circle-question text-info fa-fw "  title="${title}" role="img" aria-label="${title}"></i>`;
  return vinfo(ctx).bs4
    ? `<a class="btn btn-link p-0" role="button"
    data-container="body" data-toggle="popover"
    data-placement="right" data-content="${text} "
    data-html="true" tabindex="0" data-trigger="focus" aria-label="Help">
${icon}
</a>`
    : `<a class="btn btn-link p-0 me-2 icon-no-margin" role="button"
    data-bs-container="body" data-bs-toggle="popover"
    data-bs-placement="right" data-bs-content="${text} "
    data-bs-html="true" tabindex="0" data-bs-trigger="focus" aria-label="Help">
${icon}
</a>`;
}

/**
 * The "Missing capabilities" cell: '' when nothing is missing (tokens.php:148-150), else
 * webservice/templates/missing_capabilities.mustache (trimmed) with one <li> per capability holding
 * get_capability_docs_link() (lib/accesslib.php:2514-2516: the human name linked to
 * get_docs_url('Capabilities/<name>'), $CFG->docroot/<branch>/<doclang or page language>/…) and the
 * raw name. Words are English whatever the page's language (the double has no pack's capability names).
 */
function missingCapsCell(ctx: RenderCtx, caps: string[]): string {
  if (caps.length === 0) return "";
  const configured = coreConfig(ctx.state, "docroot");
  // get_docs_url(): an empty docroot falls back to http://docs.moodle.org; unset = the setting's default.
  const docroot = configured === undefined ? "https://docs.moodle.org" : configured === "" ? "http://docs.moodle.org" : configured;
  const lang = coreConfig(ctx.state, "doclang") || langOf(ctx);
  const items = caps
    .map((cap) => {
      // Not reached: every capability a known function declares is named in CAPABILITY_NAMES.
      const name = CAPABILITY_NAMES[cap] ?? `${cap} ???`;
      const link = `<a onclick="this.target='docspopup'" href="${docroot}/${vinfo(ctx).docs}/${lang}/Capabilities/${cap}">${name}</a>`;
      return `        <li class="mb-1">\n            ${link}\n            <div class="text-muted">${esc(cap)}</div>\n        </li>\n`;
    })
    .join("");
  return `<div class="d-flex missingcaps">\n    <ul class="list-unstyled">\n${items}    </ul>\n    <div>${missingCapsHelpIcon(ctx)}</div>\n</div>`;
}

function cell(r: number, c: number, content: string): string {
  return `<td class="cell c${c}" id="system-report-table-1_r${r}_c${c}">${content}</td>`;
}

function fullname(u?: DoubleUser): string {
  return u ? `${u.firstname} ${u.lastname}` : "";
}

/**
 * Moodle's paging bar under a dynamic table. Its links point at the site root ("…/?page=1"), not at
 * tokens.php, exactly as recorded on 5.0.6+; `page` is 0-based, data-page-number 1-based. Like
 * Moodle's paging_bar it shows a window of pages around the current one, not a link per page.
 */
function pagingBar(ctx: RenderCtx, w: TokenWords, page: number, pages: number): string {
  const hidden = bs(ctx).hidden;
  const item = (target: number, label: string, text: string, cls = "page-item") => `                <li class="${cls}" data-page-number="${target + 1}">
                    <a href="${ctx.base}/?page=${target}" class="page-link">
                        <span aria-hidden="true">${label}</span>
                        <span class="${hidden}">${esc(text)}</span>
                    </a>
                </li>`;
  const items: string[] = [];
  if (page > 0) items.push(item(page - 1, "&laquo;", w.previousPage));
  const first = Math.max(0, page - 5);
  const last = Math.min(pages - 1, page + 5);
  if (first > 0) items.push(item(0, "1", w.page(1), "page-item "));
  for (let p = first; p <= last; p++) {
    items.push(
      p === page
        ? `                <li class="page-item active" data-page-number="${p + 1}">
                    <a href="#" class="page-link" aria-current="page">
                        <span aria-hidden="true">${p + 1}</span>
                        <span class="${hidden}">${esc(w.page(p + 1))}</span>
                    </a>
                </li>`
        : item(p, String(p + 1), w.page(p + 1), "page-item "),
    );
  }
  if (last < pages - 1) items.push(item(pages - 1, String(pages), w.page(pages), "page-item "));
  if (page < pages - 1) items.push(item(page + 1, "&raquo;", w.nextPage));
  return `<nav aria-label="Page" class="pagination pagination-centered justify-content-center">
        <ul class="mt-1 pagination flex-wrap justify-content-center" data-page-size="${REPORT_PAGE_SIZE}">
${items.join("\n")}
        </ul>
    </nav>`;
}

function selectField(ctx: RenderCtx, name: string, label: string, options: [number | string, string][], selected: string): string {
  const b = bs(ctx);
  return `<div class="mb-3  fitem  " >
        <label class="col-form-label ${b.hidden}" for="id_${name.replace(/[^a-z0-9]/gi, "")}">
            ${esc(label)}
        </label>
    <span data-fieldtype="select">
    <select class="${b.select}
                   "
        name="${esc(name)}"
        id="id_${name.replace(/[^a-z0-9]/gi, "")}"
         >
${options.map(([v, l]) => `        <option value="${esc(v)}" ${String(v) === selected ? "selected" : ""}  >${esc(l)}</option>`).join("\n")}
    </select>
    </span>
</div>`;
}

function textField(ctx: RenderCtx, name: string, label: string, value: string, size?: number): string {
  return `<div class="mb-3  fitem  " >
        <label class="col-form-label ${bs(ctx).hidden}" for="id_${name.replace(/[^a-z0-9]/gi, "")}">
            ${esc(label)}
        </label>
    <span data-fieldtype="text">
    <input type="text"
            class="form-control "
            name="${esc(name)}"
            id="id_${name.replace(/[^a-z0-9]/gi, "")}"
            value="${esc(value)}"
            ${size ? `size="${size}"` : ""}
            >
    </span>
</div>`;
}

function group(name: string, header: string, inner: string): string {
  return `<div class="filter pb-3 mb-3" data-filter-for="${esc(header)}">
    <div class="filter-header d-flex align-items-start justify-content-between">
        <div class="filter-name text-truncate">
            ${esc(header)}
        </div>
    </div><div id="fgroup_id_${name.replace(/[^a-z0-9]/gi, "")}_group" class="mb-3 row  fitem    " data-groupname="${esc(name)}_group">
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="group">
            <fieldset class="w-100 m-0 p-0 border-0">
                <legend class="visually-hidden">${esc(header)}</legend>
                <div class="d-flex flex-wrap align-items-center">
${inner}
                </div>
            </fieldset>
    </div>
</div>`;
}

function dateSelector(ctx: RenderCtx, w: TokenWords, name: string, label: string, value: unknown): string {
  const ts = Number(value) > 0 ? Number(value) : Math.floor(Date.now() / 1000);
  const { year, month, day } = dateIn(ts, ctx.state.site.timezone);
  const range = (a: number, z: number) => Array.from({ length: z - a + 1 }, (_, i) => [a + i, String(a + i)] as [number, string]);
  return `<div id="fitem_id_${name.replace(/[^a-z0-9]/gi, "")}" class="mb-3 row  fitem    " data-groupname="${esc(name)}">
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="date_selector">
        <fieldset data-fieldtype="date" class="m-0 p-0 border-0" id="id_${name.replace(/[^a-z0-9]/gi, "")}">
            <legend class="visually-hidden">${esc(label)}</legend>
            <span class="fdate_selector d-flex flex-wrap align-items-center">
                <label data-fieldtype="checkbox" class="form-check  fitem  ">
<input type="checkbox" name="${esc(name)}[enabled]" class="form-check-input " value="1" ${Number(value) > 0 ? "checked" : ""} >
    ${esc(w.enable)}
</label>
${selectField(ctx, `${name}[day]`, w.day, range(1, 31), String(day))}
${selectField(
  ctx,
  `${name}[month]`,
  w.month,
  w.months.map((m, i) => [i + 1, m] as [number, string]),
  String(month),
)}
${selectField(ctx, `${name}[year]`, w.year, range(1900, 2050), String(year))}
                <div class="mb-3  fitem  " ><span data-fieldtype="button"><button class="btn btn-link btn-sm icon-no-margin" name="${esc(name)}[calendar]" type="button" title="${esc(w.datePicker)}" aria-label="${esc(w.datePicker)}"><i class="icon fa-regular fa-calendar fa-fw " aria-hidden="true" ></i></button></span></div>
            </span>
        </fieldset>
    </div>
</div>`;
}

/**
 * The report's filters form (core_reportbuilder\form\filter), rendered with the viewer's stored
 * values (set_data_for_dynamic_submission), as the real page does: what a reader can check to know
 * which filter produced the rows below it.
 */
function filtersForm(ctx: RenderCtx, w: TokenWords, reportId: number, values: Record<string, unknown>): string {
  const v = (k: string, dflt: string) => (values[k] === undefined ? dflt : String(values[k]));
  const textFilter = (name: string, header: string) =>
    group(
      name,
      header,
      selectField(
        ctx,
        `${name}_operator`,
        w.operator(header),
        w.textOperators.map((l, i) => [i, l] as [number, string]),
        v(`${name}_operator`, "0"),
      ) + textField(ctx, `${name}_value`, w.value(header), v(`${name}_value`, "")),
    );
  // entities/service.php: SELECT DISTINCT name … ORDER BY name, then core_collator::asort.
  const services = [...new Map(ctx.state.services.map((s) => [s.name, s])).values()].sort((a, b) => a.name.localeCompare(b.name));
  const chosen = Array.isArray(values["service:name_values"]) ? (values["service:name_values"] as unknown[]).map(String) : [];
  const serviceFilter = `<div class="filter pb-3 mb-3" data-filter-for="${esc(w.columns.service)}">
    <div class="filter-header d-flex align-items-start justify-content-between"><div class="filter-name text-truncate">${esc(w.columns.service)}</div></div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="autocomplete">
            <input type="hidden" name="service:name_values" value="_qf__force_multiselect_submission">
        <select class="${bs(ctx).select} " name="service:name_values[]" id="id_servicename_values" multiple >
            <option value="0" ></option>
${services.map((s) => `            <option value="${esc(s.name)}" ${chosen.includes(s.name) ? "selected" : ""}>${esc(s.name)}</option>`).join("\n")}
        </select>
    </div>
</div>`;
  const dateHeader = w.columns.validUntil;
  const dateFilter =
    group(
      "token:validuntil",
      dateHeader,
      selectField(ctx, "token:validuntil_operator", w.operator(dateHeader), w.dateOperators, v("token:validuntil_operator", "0")) +
        textField(ctx, "token:validuntil_value", w.value(dateHeader), v("token:validuntil_value", "1"), 3) +
        selectField(ctx, "token:validuntil_unit", w.unit(dateHeader), w.dateUnits, v("token:validuntil_unit", "1")),
    ) +
    dateSelector(ctx, w, "token:validuntil_from", w.from(dateHeader), values["token:validuntil_from"]) +
    dateSelector(ctx, w, "token:validuntil_to", w.to(dateHeader), values["token:validuntil_to"]) +
    "</div>";
  return `<form data-random-ids="1" autocomplete="off" action="${ctx.base}/admin/webservice/tokens.php" method="post" accept-charset="utf-8" id="mform1_filters" class="mform full-width-labels">
	<div style="display: none;"><input name="reportid" type="hidden" value="${reportId}" />
<input name="parameters" type="hidden" value="[]" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__core_reportbuilder_form_filter" type="hidden" value="1" />
</div>
${textFilter("token:name", w.tokenName)}</div>${textFilter("user:fullname", w.columns.user)}</div>${serviceFilter}${dateFilter}
<div class="mb-3  fitem  " ><span data-fieldtype="submit"><input type="submit" class="btn btn-primary" name="submitbutton" value="${esc(w.apply)}" ></span></div>
<div class="mb-3  fitem  " ><span data-fieldtype="submit"><input type="submit" class="btn btn-link ms-1" name="resetfilters" value="${esc(w.resetAll)}" data-skip-validation="1" data-no-submit="1" ></span></div>
</form>`;
}

/** One page (0-based `pageIndex`, 30 rows, as Moodle's report builder) of the token report, filtered by the viewer's filters. */
export function tokensListPage(ctx: RenderCtx, report: ReportPage, reportId: number, newToken?: { name: string; token: string }, pageIndex = 0): string {
  const b4 = vinfo(ctx).bs4;
  const w = tokenWords(ctx.lang);
  const tz = ctx.state.site.timezone;
  const once = newToken
    ? `<div class="d-inline-block">
    <div class="alert alert-warning">
        <div class="lead">${esc(w.copyNow)}</div>
    </div>
    <div class="alert alert-primary">
        <div class="lead">${esc(newToken.name)}</div>
        <div class="d-flex justify-content-start align-middle">
            <div class="lead text-break pt-1" id="copytoclipboardtoken">${esc(newToken.token)}</div>
            <button class="btn btn-primary ${b4 ? "ml-2" : "ms-2"}" data-action="copytoclipboard" data-clipboard-target="#copytoclipboardtoken" data-clipboard-success-message="${esc(w.copied)}">
            <i class="icon fa-solid fa-clone fa-fw " aria-hidden="true" ></i>${esc(w.copyToClipboard)}</button>
        </div>
    </div>
</div>`
    : "";
  let table: string;
  if (report.total === 0 || report.rows.length === 0) {
    table = notification(ctx, "info", esc(w.nothingToDisplay), false);
  } else {
    const trs = report.rows.map((row, r) => {
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
        esc(t.validuntil ? w.dateTime(dateParts(t.validuntil, tz)) : w.noExpiry),
        esc(t.lastaccess ? w.dayDateTime(dateParts(t.lastaccess, tz)) : w.never),
        creatorLink,
        missingCapsCell(ctx, row.missingCaps),
        actionMenu(ctx, w, r + 1, t.id),
      ];
      return `<tr class="" id="system-report-table-1_r${r}">${cells.map((c, i) => cell(r, i, c)).join("")}</tr>`.replace(/system-report-table-1_r/g, `system-report-table-${reportId}_r`);
    });
    for (let r = trs.length; r < REPORT_PAGE_SIZE; r++) {
      trs.push(`<tr class="emptyrow" id="system-report-table-1_r${r}">${Array.from({ length: 10 }, (_, i) => cell(r, i, "")).join("")}</tr>`.replace(/system-report-table-1_r/g, `system-report-table-${reportId}_r`));
    }
    table = `<div${b4 ? "" : ' class="table-responsive"'}><table class="flexible table table-striped table-hover generaltable generalbox reportbuilder-table reportbuilder-table" data-region="reportbuilder-table"><caption class="${
      bs(ctx).hidden
    }">${esc(w.caption)}</caption>${header(ctx, w)}<tbody>${trs.join("")}</tbody></table></div>`;
    const pages = Math.ceil(report.total / REPORT_PAGE_SIZE);
    if (pages > 1) {
      table += `${pagingBar(ctx, w, pageIndex, pages)}<a data-action="showcount" data-target-page-size="5000" href="${ctx.base}/admin/webservice/tokens.php?perpage=5000">${esc(w.showAll(report.total))}</a>`;
    }
  }
  const reportAttrs = b4
    ? `data-region="core_reportbuilder/report"
        data-report-id="${reportId}"
        data-report-type="1"
        data-parameter="[]"`
    : `id="reportbuilder-report-${Date.now().toString(16)}"
        data-region="core_reportbuilder/report"
        data-report-id="${reportId}"
        data-report-type="1"
        data-report-parameters="[]"`;
  const tableFilters = esc(
    JSON.stringify({ jointype: 2, filters: { parameters: { name: "parameters", jointype: 1, values: ["[]"] }, reportid: { name: "reportid", jointype: 1, values: [reportId] } } }),
  );
  const filterLabel = report.appliedFilters > 0 ? `${w.filters} (${report.appliedFilters})` : w.filters;
  const main = `<div class="d-flex flex-wrap"><h2>${esc(w.heading)}</h2><div class="${b4 ? "ml-auto" : "ms-auto"}"><div class="singlebutton">
    <form method="get" action="${ctx.base}/admin/webservice/tokens.php" >
            <input type="hidden" name="action" value="create">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >${esc(w.createToken)}</button>
    </form>
</div></div></div>${once}<div class="reportbuilder-report "
        ${reportAttrs}
        >
            <div class="reportbuilder-wrapper">
                <div class="dropdown d-flex justify-content-end mb-3">
                        <button class="btn btn-outline-secondary ms-2" type="button" id="dropdownFiltersButton" ${bs(ctx).data("toggle")}="dropdown" aria-haspopup="true" aria-expanded="false" title="${esc(w.filters)}">
                            <i class="icon fa fa-filter fa-fw " aria-hidden="true" ></i>
                            <span data-region="filter-button-label">${esc(filterLabel)}</span>
                        </button>
                        <div class="filters-dropdown dropdown-menu dropdown-menu-end moodle-has-zindex" aria-labelledby="dropdownFiltersButton">
                            <div id="filters" class="reportbuilder-filters-sidebar scroll-shadow" data-region="report-filters">
                                <div class="px-3 pt-3">
                                        <div class="reportbuilder-filters-wrapper" data-region="filters-form">
${filtersForm(ctx, w, reportId, report.values)}
                                        </div>
                                </div>
                            </div>
                        </div>
                </div>
                <div class="mt-2"><div class="table-dynamic position-relative" data-region="core_table/dynamic" data-table-handler="system_report_table" data-table-component="core_reportbuilder" data-table-uniqueid="system-report-table-${reportId}" data-table-filters="${tableFilters}" data-table-sort-data="[{&quot;sortby&quot;:&quot;c6_validuntil&quot;,&quot;sortorder&quot;:4}]" data-table-page-number="${pageIndex + 1}" data-table-page-size="${REPORT_PAGE_SIZE}" data-table-default-per-page="${REPORT_PAGE_SIZE}" data-table-total-rows="${report.total}">${table}</div></div>
            </div>
</div>`;
  return page(ctx, { title: w.title, bodyId: "page-admin-webservice-tokens", bodyClass: TOKENS_BODY, main });
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
  const w = tokenWords(ctx.lang);
  const { year, month, day } = dateIn(ts, ctx.state.site.timezone);
  const months = w.months;
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
    sel("day", w.day, range(1, 31), day),
    sel(
      "month",
      w.month,
      months.map((m, i) => [i + 1, m] as [number, string]),
      month,
    ),
    sel("year", w.year, range(1900, 2050), year),
  ].join("\n                &nbsp;\n                ");
}

export function tokenCreatePage(ctx: RenderCtx, services: DoubleService[], values: TokenFormValues, alert?: string): string {
  const b = bs(ctx);
  const w = tokenWords(ctx.lang);
  const f = w.form;
  const b4 = vinfo(ctx).bs4;
  const userOption = values.user
    ? `\n            <option value="${values.user.id}" selected data-html="${esc(
        `<span>\n    <span data-field="fullname">${esc(fullname(values.user))}</span>\n    <small>\n        <span data-field="email">${esc(values.user.email)}</span>\n    </small>\n</span>`,
      )}">${values.user.id}</option>`
    : "";
  const required = `<div class="text-danger" title="${f.required}">
                    <i class="icon fa fa-circle-exclamation text-danger fa-fw " ${b4 ? "" : 'aria-hidden="true" '}title="${f.required}" role="img" aria-label="${f.required}"></i>
                </div>`;
  const serviceOptions = [...services]
    .sort((a, c) => a.id - c.id)
    .map((s) => `            <option value="${s.id}" ${s.id === values.serviceId ? "selected" : ""} \n                >${esc(s.name)}</option>`)
    .join("\n");
  const calendar = b4
    ? `<a name="validuntil[calendar]" href="#" id="id_validuntil_calendar"><i class="icon fa-regular fa-calendar fa-fw "  title="${w.datePicker}" role="img" aria-label="${w.datePicker}"></i></a>`
    : `<button
                class="btn
                btn-link btn-sm icon-no-margin"
                name="validuntil[calendar]"
                id="id_validuntil_calendar"
                type="button"
                title="${w.datePicker}" aria-label="${w.datePicker}"
                >
                <i class="icon fa-regular fa-calendar fa-fw " aria-hidden="true" ></i>
            </button>`;
  const form = `<form autocomplete="off" action="${ctx.base}/admin/webservice/tokens.php" method="post" accept-charset="utf-8" id="${mformId()}" class="mform">
	<div style="display: none;"><input name="action" type="hidden" value="create" />
<input name="sesskey" type="hidden" value="${ctx.session?.sesskey ?? ""}" />
<input name="_qf__core_webservice_token_form" type="hidden" value="1" />
<input name="mform_isexpanded_id_token" type="hidden" value="1" />
</div>
	<fieldset class="clearfix collapsible"  id="id_token"><legend class="${b.hidden}">${f.token}</legend>
<div id="id_tokencontainer" class="fcontainer collapseable collapse  show"><div id="fitem_id_name" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_name_label" class="d-inline word-break " for="id_name">
                    ${f.name}
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
        ${esc(f.nameHint)}
        </div>
    </div>
</div><div id="fitem_id_user" class="mb-3 row  fitem    " >
    <div class="col-md-3 col-form-label d-flex pb-0 pe-md-0">
                <label id="id_user_label" class="d-inline word-break " for="id_user">
                    ${f.user}
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
                    ${f.service}
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
                    ${f.ip}
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
                ${esc(f.validUntil)}
            </p>
    </div>
    <div class="col-md-9 d-flex flex-wrap align-items-start felement" data-fieldtype="date_selector">
        <fieldset data-fieldtype="date" class="m-0 p-0 border-0" id="id_validuntil">
            <legend class="${b.hidden}">${esc(f.validUntil)}</legend>
            <span class="fdate_selector d-flex flex-wrap align-items-center">
                <label data-fieldtype="checkbox" class="form-check  fitem  ">
<input type="checkbox" name="validuntil[enabled]" class="form-check-input "
    id="id_validuntil_enabled"
        value="1"
    ${values.validuntilEnabled ? "checked" : ""}
     >
    ${esc(w.enable)}
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
		</div></fieldset>${buttons(f.save)}
		<div class="fdescription required" aria-hidden="true"><i class="icon fa fa-circle-exclamation text-danger fa-fw " aria-hidden="true"  title="${f.required}"></i> ${f.required}</div>
</form>`;
  return page(ctx, {
    title: w.title,
    bodyId: "page-admin-webservice-tokens",
    bodyClass: TOKENS_BODY,
    main: `<h2>${esc(w.createToken)}</h2>${alert ? notification(ctx, "danger", esc(alert)) + "\n" : ""}${form}`,
  });
}

export function tokenDeleteConfirmPage(ctx: RenderCtx, token: DoubleToken, user?: DoubleUser, service?: DoubleService): string {
  const b4 = vinfo(ctx).bs4;
  const w = tokenWords(ctx.lang);
  const main = `<div role="alertdialog" aria-labelledby="modal-header" aria-describedby="modal-body" aria-modal="true" id="notice" class="box py-3 generalbox modal modal-dialog modal-in-page show"><div id="modal-content" class="box py-3 modal-content"><div id="modal-header" class="box py-3 modal-header px-3"><h4${
    b4 ? "" : ' class="h4"'
  }>${esc(w.confirm)}</h4></div><div role="alert" data-aria-autofocus="true" id="modal-body" class="box py-3 modal-body"><p>${w.deleteConfirm(esc(fullname(user)), esc(service?.name ?? ""))}</p></div><div id="modal-footer" class="box py-3 modal-footer"><div class="buttons"><div class="singlebutton">
    <form method="get" action="${ctx.base}/admin/webservice/tokens.php" >
        <button type="submit" class="btn btn-secondary"
            id="single_button${singleButtonId()}"
            >${esc(w.cancel)}</button>
    </form>
</div><div class="singlebutton">
    <form method="post" action="${ctx.base}/admin/webservice/tokens.php" >
            <input type="hidden" name="tokenid" value="${token.id}">
            <input type="hidden" name="action" value="delete">
            <input type="hidden" name="confirm" value="1">
            <input type="hidden" name="sesskey" value="${ctx.session?.sesskey ?? ""}">
        <button type="submit" class="btn btn-primary"
            id="single_button${singleButtonId()}"
            >${esc(w.delete)}</button>
    </form>
</div></div></div></div></div>`;
  return page(ctx, { title: w.title, bodyId: "page-admin-webservice-tokens", bodyClass: TOKENS_BODY, main });
}
