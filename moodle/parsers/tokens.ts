import type { TokenRow } from "../types";
import { alertTexts, clean, load, queryParam } from "./common";

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
  /** false when the page has no token report at all (not tokens.php, or an error page). */
  isReport: boolean;
}

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** "26 November 2026, 12:00 AM" (optionally after a weekday) -> "2026-11-26"; the report shows dates in the admin's timezone. */
export function parseMoodleDate(text: string): string | undefined {
  const m = /(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})/.exec(text);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return undefined;
  return `${m[3]}-${String(month + 1).padStart(2, "0")}-${m[1].padStart(2, "0")}`;
}

const COLUMNS = [
  ["name", "Name"],
  ["user", "User"],
  ["email", "Email address"],
  ["service", "Service"],
  ["ip", "IP restriction"],
  ["validuntil", "Valid until"],
  ["lastaccess", "Last access"],
] as const;

type ColumnKey = (typeof COLUMNS)[number][0];

export function parseTokenReport(html: string): TokenReport {
  const $ = load(html);
  const table = $('table[data-region="reportbuilder-table"], table.reportbuilder-table').first();
  const container = $("[data-table-total-rows]").first();
  const isReport = table.length > 0 || container.length > 0;

  // Columns by header position. 4.5 appends hidden "Sort by …" text to the header, so match the start.
  const index: Partial<Record<ColumnKey, number>> = {};
  table.find("thead th").each((i, th) => {
    const label = clean($(th).text());
    for (const [key, text] of COLUMNS) {
      if (index[key] === undefined && label.startsWith(text)) {
        index[key] = i;
        break;
      }
    }
  });
  COLUMNS.forEach(([key], i) => {
    if (index[key] === undefined) index[key] = i;
  });

  const rows: TokenRow[] = [];
  table.find("tbody tr").each((_, tr) => {
    const cells = $(tr).children("td");
    const link = $(tr)
      .find('a[href*="tokenid="]')
      .filter((_, a) => queryParam($(a).attr("href"), "action") === "delete")
      .first();
    const id = Number(queryParam(link.attr("href"), "tokenid"));
    // Report builder pads the table with empty rows; a real row always has the delete action.
    if (!link.length || !Number.isInteger(id)) return;
    const cell = (k: ColumnKey) => cells.eq(index[k]!);
    const service = cell("service");
    const serviceName = clean(service.clone().children().remove().end().text());
    const validText = clean(cell("validuntil").text());
    const profile = Number(queryParam(cell("user").find('a[href*="profile.php"]').attr("href"), "id"));
    rows.push({
      id,
      name: clean(cell("name").text()),
      ...(Number.isInteger(profile) && profile > 0 ? { userId: profile } : {}),
      userFullName: clean(cell("user").text()),
      userEmail: clean(cell("email").text()),
      serviceName,
      serviceShortname: clean(service.children().last().text()),
      ipRestriction: clean(cell("ip").text()),
      validUntil: /no expiry/i.test(validText) || validText === "" ? null : (parseMoodleDate(validText) ?? validText),
      lastAccess: clean(cell("lastaccess").text()),
    });
  });

  let created: TokenReport["created"];
  const value = $("#copytoclipboardtoken").first();
  if (value.length) {
    // The name is the `div.lead` just before the row holding the value.
    const nameDiv = value.parent().prevAll("div").first();
    created = { name: clean(nameDiv.text()), token: clean(value.text()) };
  }

  const num = (attr: string) => {
    const v = container.attr(attr);
    return v === undefined || v === "" || Number.isNaN(Number(v)) ? undefined : Number(v);
  };
  return {
    rows,
    created,
    totalRows: num("data-table-total-rows"),
    pageSize: num("data-table-page-size"),
    pageNumber: num("data-table-page-number"),
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
