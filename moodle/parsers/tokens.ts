import type { TokenRow } from "../types";
import { alertTexts, clean, Doc, load, queryParam } from "./common";

export interface TokenCreateForm {
  sesskey?: string;
  services: { id: number; name: string }[];
  /** Error banners of a re-rendered form, e.g. "The user is not allowed for this service…". */
  errors: string[];
}

export function parseTokenCreateForm(html: string): TokenCreateForm | undefined {
  const $ = load(html);
  const form = $('input[name="_qf__core_webservice_token_form"]').closest("form");
  if (!form.length) return undefined;
  const services = form
    .find('select[name="service"] option')
    .toArray()
    .map((o) => ({ id: Number($(o).attr("value")), name: clean($(o).text()) }))
    .filter((s) => Number.isInteger(s.id) && s.id > 0);
  const fieldErrors = form.find("[id^='id_error_']").toArray().map((e) => clean($(e).text()));
  return {
    sesskey: form.find('input[name="sesskey"]').attr("value"),
    services,
    errors: [...alertTexts($), ...fieldErrors].filter(Boolean),
  };
}

export interface TokenReport {
  rows: TokenRow[];
  /** The value Moodle shows once, on the first list view after creation (kept in the session until then). */
  created?: { name: string; token: string };
  /** From the report's data-table-* attributes, for pagination. */
  totalRows?: number;
  pageSize?: number;
  /** 1-based. */
  pageNumber?: number;
  /** The system report's id (data-report-id), site-specific: what the report-builder AJAX functions take. */
  reportId?: number;
  /**
   * The filter values the page was rendered with: Moodle fills the report's filters form from the
   * viewer's stored values (core_reportbuilder\form\filter::set_data_for_dynamic_submission) in the
   * same request that filters the rows, so the form says which filter produced the rows.
   */
  filters?: Record<string, string | string[]>;
  /** false when the page has no token report at all (not tokens.php, or an error page). */
  isReport: boolean;
}

/** Folds case and accents, as Moodle's case- and accent-insensitive comparisons do. */
function fold(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/**
 * The site's month names, in the page's language, from the filters form's date selector: Moodle writes
 * both those options and the report's dates with userdate(…, '%B') (calendar/type/gregorian/classes/
 * structure.php get_months()), so the page itself says how it spells each month.
 */
export function pageMonths($: Doc): Map<string, number> {
  const months = new Map<string, number>();
  $('select[name$="[month]"]')
    .first()
    .find("option")
    .each((_, o) => {
      const n = Number($(o).attr("value"));
      const label = fold(clean($(o).text()));
      if (Number.isInteger(n) && n >= 1 && n <= 12 && label) months.set(label, n);
    });
  return months;
}

/**
 * A date of the report as YYYY-MM-DD, without knowing the language: the year is the 4-digit number,
 * the day the 1–2 digit number that is not part of the time (hh:mm), the month the page's own month
 * name found in the text (the longest, so no name hides inside another). `null` when the text holds
 * no year at all (Moodle's "no expiry" and "never" texts, in any language); undefined when it holds a
 * year but not a date this can read (a numeric month, another calendar): never guessed.
 */
export function parseReportDate(text: string, months: Map<string, number>): string | null | undefined {
  const t = fold(clean(text));
  const year = /(?<![\d:])\d{4}(?![\d:])/.exec(t);
  if (!year) return null;
  const rest = t.replace(/\d{1,2}:\d{2}(:\d{2})?/g, " ").replace(year[0], " ");
  const days = rest.match(/(?<!\d)\d{1,2}(?!\d)/g) ?? [];
  let month: number | undefined;
  let longest = 0;
  for (const [name, n] of months) {
    if (name.length > longest && new RegExp(`(^|[^\\p{L}])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\p{L}])`, "u").test(rest)) {
      month = n;
      longest = name.length;
    }
  }
  if (month === undefined || days.length !== 1) return undefined;
  const day = Number(days[0]);
  if (day < 1 || day > 31) return undefined;
  return `${year[0]}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

interface Columns {
  name: number;
  user: number;
  email?: number;
  service: number;
  ip: number;
  validuntil: number;
  lastaccess: number;
}

/**
 * Columns by the headers' sort keys (c<index>_<field>), never by their titles: the system report adds
 * token name, the user, the site's identity fields (which vary per site), service, IP restriction
 * (not sortable), valid until, last access, creator (webservice/classes/reportbuilder/local/
 * systemreports/tokens.php add_columns), so service and IP restriction are found from valid-until.
 */
function reportColumns($: Doc, table: ReturnType<Doc>): Columns | undefined {
  const keys = table
    .find("thead th")
    .toArray()
    .map((th) => $(th).find("a[data-sortby]").first().attr("data-sortby") ?? "");
  const at = (re: RegExp) => keys.findIndex((k) => re.test(k));
  const name = at(/^c\d+_name$/);
  const validuntil = at(/^c\d+_validuntil$/);
  const lastaccess = at(/^c\d+_lastaccess$/);
  if (name < 0 || validuntil < name + 3 || lastaccess !== validuntil + 1 || keys[validuntil - 1] !== "") return undefined;
  const email = keys.findIndex((k, i) => i > name + 1 && i < validuntil - 2 && /^c\d+_email$/.test(k));
  return { name, user: name + 1, ...(email >= 0 ? { email } : {}), service: validuntil - 2, ip: validuntil - 1, validuntil, lastaccess };
}

/** The values the filters form shows: selected options (the first when none is marked), texts, ticked boxes. */
function filterFormValues($: Doc): Record<string, string | string[]> | undefined {
  const form = $('input[name="_qf__core_reportbuilder_form_filter"]').closest("form");
  if (!form.length) return undefined;
  const values: Record<string, string | string[]> = {};
  form.find("select[name]").each((_, el) => {
    const sel = $(el);
    const name = sel.attr("name")!;
    const chosen = sel.find("option[selected]").toArray().map((o) => $(o).attr("value") ?? "");
    if (sel.attr("multiple") !== undefined) values[name.replace(/\[\]$/, "")] = chosen;
    else values[name] = chosen[0] ?? sel.find("option").first().attr("value") ?? "";
  });
  form.find('input[type="text"][name]').each((_, el) => {
    values[$(el).attr("name")!] = $(el).attr("value") ?? "";
  });
  form.find('input[type="checkbox"][name]').each((_, el) => {
    if ($(el).attr("checked") !== undefined) values[$(el).attr("name")!] = $(el).attr("value") ?? "1";
  });
  const reportid = form.find('input[name="reportid"]').attr("value");
  if (reportid !== undefined) values.reportid = reportid;
  return values;
}

export function parseTokenReport(html: string): TokenReport {
  const $ = load(html);
  const table = $('table[data-region="reportbuilder-table"], table.reportbuilder-table').first();
  const container = $("[data-table-total-rows]").first();
  const isReport = table.length > 0 || container.length > 0;
  const months = pageMonths($);

  const rows: TokenRow[] = [];
  const cols = table.length ? reportColumns($, table) : undefined;
  if (table.length && !cols) return { rows, isReport: false };
  table.find("tbody tr").each((_, tr) => {
    const cells = $(tr).children("td");
    const link = $(tr)
      .find('a[href*="tokenid="]')
      .filter((_, a) => queryParam($(a).attr("href"), "action") === "delete")
      .first();
    const id = Number(queryParam(link.attr("href"), "tokenid"));
    // Report builder pads the table with empty rows; a real row always has the delete action.
    if (!link.length || !Number.isInteger(id) || !cols) return;
    const cell = (i: number) => cells.eq(i);
    const service = cell(cols.service);
    const serviceName = clean(service.clone().children().remove().end().text());
    const profile = Number(queryParam(cell(cols.user).find('a[href*="profile.php"]').attr("href"), "id"));
    const lastAccess = clean(cell(cols.lastaccess).text());
    rows.push({
      id,
      name: clean(cell(cols.name).text()),
      ...(Number.isInteger(profile) && profile > 0 ? { userId: profile } : {}),
      userFullName: clean(cell(cols.user).text()),
      userEmail: cols.email === undefined ? "" : clean(cell(cols.email).text()),
      serviceName,
      serviceShortname: clean(service.children().last().text()),
      ipRestriction: clean(cell(cols.ip).text()),
      validUntil: parseReportDate(cell(cols.validuntil).text(), months),
      lastAccess,
      // A last access that is a date always shows its year; "never" in any language has none.
      used: /(?<!\d)\d{4}(?!\d)/.test(lastAccess),
      // webservice/templates/missing_capabilities.mustache: each capability's raw name under its docs link.
      missingCapabilities: $(tr)
        .find(".missingcaps li .text-muted")
        .toArray()
        .map((d) => clean($(d).text()))
        .filter(Boolean),
    });
  });

  let created: TokenReport["created"];
  const value = $("#copytoclipboardtoken").first();
  if (value.length) {
    // The name is the `div.lead` just before the row holding the value.
    const nameDiv = value.parent().prevAll("div").first();
    created = { name: clean(nameDiv.text()), token: clean(value.text()) };
  }

  const num = (el: ReturnType<Doc>, attr: string) => {
    const v = el.attr(attr);
    return v === undefined || v === "" || Number.isNaN(Number(v)) ? undefined : Number(v);
  };
  return {
    rows,
    created,
    totalRows: num(container, "data-table-total-rows"),
    pageSize: num(container, "data-table-page-size"),
    pageNumber: num(container, "data-table-page-number"),
    reportId: num($('[data-region="core_reportbuilder/report"]').first(), "data-report-id"),
    filters: filterFormValues($),
    isReport,
  };
}

/** Delete confirmation page: the hidden fields of the POST form, to prove a tokenid exists. */
export function parseTokenDeleteConfirm(html: string): { tokenid: number } | undefined {
  const $ = load(html);
  const form = $('form[method="post"]').filter((_, f) => $(f).find('input[name="confirm"]').length > 0 && $(f).find('input[name="tokenid"]').length > 0).first();
  if (!form.length) return undefined;
  return { tokenid: Number(form.find('input[name="tokenid"]').attr("value")) };
}
