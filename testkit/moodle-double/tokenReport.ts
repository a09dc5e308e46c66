// The token system report as Moodle computes it: the admin's own filter values, then
// ORDER BY validuntil ASC, then 30 rows at OFFSET page*30 (Moodle 5.0.6 source:
// webservice/classes/reportbuilder/local/systemreports/tokens.php, reportbuilder/classes/table/
// base_report_table.php init_sql/query_db/get_sql_sort, lib/table/classes/flexible_table.php
// set_sorting_preferences). Only the rows of the page asked for are ever built, so a site with tens of
// thousands of tokens costs a sort, not a rendering of every row.
import type { DoubleService, DoubleState, DoubleToken, DoubleUser } from "./state";
import { missingCapabilities } from "./capabilities";

export const REPORT_PAGE_SIZE = 30;

/** The token report's id: a row of reportbuilder_report made on the site's first visit, so site-specific. */
export function tokenReportId(state: DoubleState): number {
  return state.tokenReportId ?? 1;
}

/** Filter values are stored per report and user (reportbuilder_user_filter; user_filter_manager::set/get). */
export function filterKey(reportId: number, userId: number): string {
  return `${reportId}:${userId}`;
}

export function filterValues(state: DoubleState, userId: number): Record<string, unknown> {
  return state.reportFilters?.[filterKey(tokenReportId(state), userId)] ?? {};
}

// reportbuilder/classes/local/filters/text.php
export const TEXT = { ANY: 0, CONTAINS: 1, DOES_NOT_CONTAIN: 2, IS_EQUAL_TO: 3, IS_NOT_EQUAL_TO: 4, STARTS_WITH: 5, ENDS_WITH: 6, IS_EMPTY: 7, IS_NOT_EMPTY: 8 };
// reportbuilder/classes/local/filters/date.php
export const DATE = { ANY: 0, NOT_EMPTY: 1, EMPTY: 2, RANGE: 3, LAST: 4, CURRENT: 5, NEXT: 6, PAST: 7, FUTURE: 8, BEFORE: 9, AFTER: 10 };
const UNIT_SECONDS: Record<number, number> = { 5: 60, 0: 3600, 1: 86400, 2: 7 * 86400, 3: 30 * 86400, 4: 365 * 86400 };

/** sql_equal/sql_like with $casesensitive = false, $accentsensitive = false. */
function fold(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function int(v: unknown, dflt: number): number {
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : dflt;
}

/** text::get_sql_filter; undefined = the filter does not apply (invalid or "any value"). */
function textTest(values: Record<string, unknown>, name: string): ((field: string) => boolean) | undefined {
  const op = int(values[`${name}_operator`], TEXT.ANY);
  const value = String(values[`${name}_value`] ?? "").trim();
  if (value === "" && ![TEXT.ANY, TEXT.IS_EMPTY, TEXT.IS_NOT_EMPTY].includes(op)) return undefined;
  const v = fold(value);
  switch (op) {
    case TEXT.CONTAINS:
      return (f) => fold(f).includes(v);
    case TEXT.DOES_NOT_CONTAIN:
      return (f) => !fold(f).includes(v);
    case TEXT.IS_EQUAL_TO:
      return (f) => fold(f) === v;
    case TEXT.IS_NOT_EQUAL_TO:
      return (f) => fold(f) !== v;
    case TEXT.STARTS_WITH:
      return (f) => fold(f).startsWith(v);
    case TEXT.ENDS_WITH:
      return (f) => fold(f).endsWith(v);
    case TEXT.IS_EMPTY:
      return (f) => f === "";
    case TEXT.IS_NOT_EMPTY:
      return (f) => f !== "";
    default:
      return undefined;
  }
}

/** date::get_sql_filter (the relative operators with the unit lengths of a day/week; months and years approximated). */
function dateTest(values: Record<string, unknown>, name: string, now: number): ((t: number) => boolean) | undefined {
  const op = int(values[`${name}_operator`], DATE.ANY);
  const n = int(values[`${name}_value`], 1);
  const unit = UNIT_SECONDS[int(values[`${name}_unit`], 1)] ?? 86400;
  switch (op) {
    case DATE.NOT_EMPTY:
      return (t) => t !== 0;
    case DATE.EMPTY:
      return (t) => t === 0;
    case DATE.RANGE: {
      const from = int(values[`${name}_from`], 0);
      const to = int(values[`${name}_to`], 0);
      if (from > 0 && to > 0) return (t) => t >= from && t <= to;
      if (from > 0) return (t) => t >= from;
      if (to > 0) return (t) => t < to;
      return undefined;
    }
    case DATE.BEFORE:
      return (t) => t < now - n * unit;
    case DATE.AFTER:
      return (t) => t > now + n * unit;
    case DATE.LAST:
      return n === 0 ? undefined : (t) => t >= now - n * unit && t <= now;
    case DATE.NEXT:
      return n === 0 ? undefined : (t) => t >= now && t <= now + n * unit;
    case DATE.PAST:
      return (t) => t < now;
    case DATE.FUTURE:
      return (t) => t > now;
    default:
      return undefined;
  }
}

export interface ReportRow {
  token: DoubleToken;
  user?: DoubleUser;
  creator?: DoubleUser;
  service?: DoubleService;
  /** The "Missing capabilities" column (capabilities.ts missingCapabilities), in the order Moodle lists them. */
  missingCaps: string[];
}

export interface ReportPage {
  rows: ReportRow[];
  /** Rows the filters let through (data-table-total-rows). */
  total: number;
  values: Record<string, unknown>;
  appliedFilters: number;
}

/**
 * Moodle orders by valid-until only: nothing breaks ties (the initial sort column is the only sort
 * key, and get_sql_sort adds none), so equal dates come in whatever order the database returns them.
 * The recorded 45 tokens without expiry (e14, e15) came in id order on both pages, which is what the
 * double gives by default. `state.tokenReportTies = "unstable"` gives each page its own order of
 * equal dates instead, as a large PostgreSQL sort with LIMIT/OFFSET may: a client that pages through
 * ties may then see a token twice and another never.
 */
function tieKey(state: DoubleState, id: number, pageIndex: number): number {
  if (state.tokenReportTies !== "unstable") return id;
  let h = (id * 2654435761 + (pageIndex + 1) * 40503) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 2246822519) >>> 0;
  return h ^ (h >>> 13);
}

export function tokenReportPage(state: DoubleState, viewerId: number, pageIndex: number, now = Math.floor(Date.now() / 1000)): ReportPage {
  const values = filterValues(state, viewerId);
  const users = new Map(state.users.map((u) => [u.id, u]));
  const services = new Map(state.services.map((s) => [s.id, s]));
  const fullname = (u?: DoubleUser) => (u ? `${u.firstname} ${u.lastname}` : "");
  const byName = textTest(values, "token:name");
  const byUser = textTest(values, "user:fullname");
  const byDate = dateTest(values, "token:validuntil", now);
  // service:name is an autocomplete of service names (entities/service.php); "_qf__force_multiselect_submission" is the form's placeholder.
  const wanted = (Array.isArray(values["service:name_values"]) ? (values["service:name_values"] as unknown[]) : []).map(String).filter((v) => v !== "" && v !== "0");
  const tests = [
    byName && ((t: DoubleToken) => byName(t.name)),
    byUser && ((t: DoubleToken) => byUser(fullname(users.get(t.userId)))),
    wanted.length > 0 && ((t: DoubleToken) => wanted.includes(services.get(t.serviceId)?.name ?? "")),
    byDate && ((t: DoubleToken) => byDate(t.validuntil)),
  ].filter((f): f is (t: DoubleToken) => boolean => typeof f === "function");
  const kept = tests.length ? state.tokens.filter((t) => tests.every((f) => f(t))) : [...state.tokens];
  const keyed = kept.map((t) => ({ t, tie: tieKey(state, t.id, pageIndex) }));
  keyed.sort((a, b) => a.t.validuntil - b.t.validuntil || a.tie - b.tie);
  const slice = keyed.slice(pageIndex * REPORT_PAGE_SIZE, (pageIndex + 1) * REPORT_PAGE_SIZE);
  return {
    // The column's callback runs per row shown, as the report builder formats only the page's rows.
    rows: slice.map(({ t }) => {
      const user = users.get(t.userId);
      const service = services.get(t.serviceId);
      return { token: t, user, creator: users.get(t.creatorId), service, missingCaps: missingCapabilities(state, user, service) };
    }),
    total: kept.length,
    values,
    appliedFilters: tests.length,
  };
}

/**
 * core_reportbuilder_set_filters / core_reportbuilder_filters_reset (reportbuilder/classes/external/
 * filters/set.php, reset.php): the report must exist; values are stored as given (JSON), or removed.
 */
export function setFilterValues(state: DoubleState, reportId: number, userId: number, values: Record<string, unknown> | undefined): void {
  const all = { ...(state.reportFilters ?? {}) };
  if (values === undefined) delete all[filterKey(reportId, userId)];
  else all[filterKey(reportId, userId)] = values;
  // Moodle keeps filter values as user preferences and unset_user_preference() removes the row:
  // a site whose filters were all reset holds nothing, exactly as before the first filter.
  if (Object.keys(all).length === 0) delete state.reportFilters;
  else state.reportFilters = all;
}
