// Site administration > Server > Web services > Manage tokens. The secret is shown exactly once, on the
// first list view after creation in the same session, so creation and capture are one operation and
// creation is never replayed blindly: after any doubt Moodle is asked again.
//
// A site can list tens of thousands of tokens (every user of the Moodle app has one), so nothing here
// reads the whole report. Tokens are found with the report's own name filter (set for the admin with
// core_reportbuilder_set_filters, checked on the page it produced, reset afterwards), and a known
// token is checked by its id on the delete confirmation page, which exists exactly while the token
// does. Each costs the same few requests however many other tokens the site has. "Absent" and "gone"
// are concluded only from Moodle's own "no such record" or from a filtered list read completely.
import type { CreateTokenRequest, CreatedToken, TokenQuery, TokenRow } from "./types";
import { MoodleError, MoodleNotAppliedError, MoodleRecordMissingError, MoodleTokenExistsError, MoodleTransportError } from "./errors";
import { readServiceEditForm } from "./services";
import { parseErrorPage } from "./parsers/common";
import { parseTokenCreateForm, parseTokenDeleteConfirm, parseTokenReport, TokenReport } from "./parsers/tokens";
import type { MoodleSession } from "./session";

const TOKENS_PATH = "/admin/webservice/tokens.php";
const AJAX_PATH = "/lib/ajax/service.php";
/** Moodle's report pages by 30 (data-table-page-size); a filtered lookup reads at most this many pages. */
const MAX_FILTERED_PAGES = 10;
/** How often a lookup sets its filter again when the page shows someone else's (another run, a human). */
const FILTER_ATTEMPTS = 3;
/** dml_missing_record_exception's codes (get_token_by_id_with_details(…, MUST_EXIST)); codes, not words. */
const MISSING_RECORD_CODES = new Set(["invalidrecordunknown", "invalidrecord"]);

// reportbuilder/classes/local/filters/text.php and date.php
const TEXT_IS_EQUAL_TO = 3;
const TEXT_STARTS_WITH = 5;

/** The report id of each session's site, read once from a token page (it is a row Moodle made on the site). */
const reportIds = new WeakMap<MoodleSession, number>();

function listPath(page: number): string {
  return page === 0 ? TOKENS_PATH : `${TOKENS_PATH}?page=${page}`;
}

async function readReportPage(session: MoodleSession, step: string, page: number, reuse: boolean): Promise<TokenReport> {
  const res = await session.request({ step, path: listPath(page), reuse });
  const report = res.status === 200 ? parseTokenReport(res.body) : undefined;
  if (!report?.isReport) {
    const err = parseErrorPage(res.body);
    throw new MoodleError(step, TOKENS_PATH, err ? `Moodle said "${err.message}"` : `no token list on the page (HTTP ${res.status})`);
  }
  if (report.reportId !== undefined) reportIds.set(session, report.reportId);
  return report;
}

/** The filter values that leave every token in the report: what a page read without a filter must show. */
const NO_FILTER: Record<string, string | string[]> = {
  "token:name_operator": "0",
  "user:fullname_operator": "0",
  "service:name_values": [],
  "token:validuntil_operator": "0",
};

function filterFor(query: TokenQuery): Record<string, string | string[]> {
  return { ...NO_FILTER, "token:name_operator": String(query.match === "prefix" ? TEXT_STARTS_WITH : TEXT_IS_EQUAL_TO), "token:name_value": query.name };
}

function sameSet(a: string[], b: string[]): boolean {
  const sorted = (x: string[]) => JSON.stringify([...new Set(x)].sort());
  return sorted(a) === sorted(b);
}

/** Whether the page was filtered exactly by `wanted` (a form the parser could not find counts as no). */
function filteredBy(report: TokenReport, wanted: Record<string, string | string[]>): boolean {
  const shown = report.filters;
  if (!shown) return false;
  return Object.entries(wanted).every(([k, v]) => {
    const got = shown[k];
    // The form lists selected options in its own (collated) order: compared as sets.
    if (Array.isArray(v)) return sameSet((Array.isArray(got) ? got : []).filter((x) => x !== "" && x !== "0"), v);
    // An "any value" operator makes its value irrelevant; only operators that take a value compare it.
    return (got ?? "") === v;
  });
}

/**
 * Reads every page of what the report shows and proves it is all of it: each page filtered as
 * expected, the same total on each, and as many distinct tokens as that total. Moodle orders by
 * valid-until alone, so equal dates may come in another order on each page (a token twice, another
 * never): then the read is incomplete and says so, it is never taken as a list.
 */
async function readComplete(
  session: MoodleSession,
  step: string,
  opts: { filter: Record<string, string | string[]>; maxPages: number; reuseFirst?: boolean; onFirst?: (r: TokenReport) => void },
): Promise<TokenReport & { rows: TokenRow[] }> {
  const first = await readReportPage(session, step, 0, opts.reuseFirst ?? false);
  opts.onFirst?.(first);
  if (!filteredBy(first, opts.filter)) throw new FilterNotShownError(step, first);
  const total = first.totalRows ?? first.rows.length;
  const pageSize = first.pageSize ?? 30;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages > opts.maxPages) {
    throw new MoodleError(step, TOKENS_PATH, `the report lists ${total} tokens for this lookup, more than the ${opts.maxPages * pageSize} it reads; nothing was concluded from it`);
  }
  const byId = new Map(first.rows.map((r) => [r.id, r]));
  for (let p = 1; p < pages; p++) {
    const next = await readReportPage(session, step, p, false);
    if (!filteredBy(next, opts.filter)) throw new FilterNotShownError(step, next);
    if ((next.totalRows ?? total) !== total) throw new MoodleError(step, TOKENS_PATH, `the token list changed while it was read (${total}, then ${next.totalRows} tokens); nothing was concluded from it`);
    for (const r of next.rows) byId.set(r.id, r);
  }
  if (byId.size !== total) {
    throw new MoodleError(
      step,
      TOKENS_PATH,
      `read ${byId.size} distinct tokens of the ${total} the report counts (Moodle orders tokens by valid-until only, so equal dates can move between pages); nothing was concluded from it`,
    );
  }
  return { ...first, rows: [...byId.values()] };
}

/** A page whose filters form does not show the filter the read needs: another run or a person changed it. */
class FilterNotShownError extends MoodleError {
  constructor(step: string, report: TokenReport) {
    super(
      step,
      TOKENS_PATH,
      report.filters
        ? "the page was filtered by other values than this lookup set (another run, or someone using Manage tokens with the same admin account, changed the report's filters)"
        : "the page shows no report filters form, so which tokens it lists cannot be told",
    );
  }
}

interface AjaxAnswer {
  error: boolean;
  data?: unknown;
  exception?: { message?: string; errorcode?: string };
}

/** One report-builder AJAX call as the logged-in admin (lib/ajax/service.php, like the browser's). */
async function reportAjax(session: MoodleSession, step: string, methodname: string, args: Record<string, unknown>): Promise<void> {
  // Stryker disable next-line EqualityOperator,UpdateOperator: the second pass returns or throws (only the first may log in again), so neither the bound nor the direction is ever reached
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await session.request({
      step,
      method: "POST",
      path: (sesskey) => `${AJAX_PATH}?sesskey=${encodeURIComponent(sesskey)}&info=${methodname}`,
      json: [{ index: 0, methodname, args }],
      // Setting the same filter values again, or resetting twice, ends in the same state.
      idempotent: true,
      invalidates: [TOKENS_PATH],
      follow: false,
    });
    let answer: AjaxAnswer | undefined;
    try {
      answer = (JSON.parse(res.body) as AjaxAnswer[])[0];
    } catch {
      throw new MoodleError(step, AJAX_PATH, `${methodname}: not JSON (HTTP ${res.status})`);
    }
    if (!answer) throw new MoodleError(step, AJAX_PATH, `${methodname}: empty answer`);
    if (!answer.error && answer.data === true) return;
    const code = answer.exception?.errorcode;
    if (attempt === 0 && (code === "invalidsesskey" || code === "servicerequireslogin" || code === "requireloginerror")) {
      await session.forceRelogin();
      continue;
    }
    throw new MoodleError(step, AJAX_PATH, `${methodname}: Moodle said "${answer.exception?.message ?? code ?? JSON.stringify(answer.data)}"`);
  }
  throw new MoodleError(step, AJAX_PATH, `${methodname}: session lost twice`);
}

async function reportIdOf(session: MoodleSession, step: string): Promise<number> {
  const known = reportIds.get(session);
  if (known !== undefined) return known;
  // Any token page carries it; a page just read will do.
  const page = await readReportPage(session, step, 0, true);
  if (page.reportId === undefined) throw new MoodleError(step, TOKENS_PATH, "the token report carries no report id (data-report-id)");
  return page.reportId;
}

/**
 * Runs `body` with the admin's token-report filters set to `values` (what the page's form must then
 * show: `shown`); `read` reads the filtered report (setting the filter again, a few times, when the
 * page shows another one). The filter is reset afterwards, whatever happened, so Manage tokens shows
 * every token again.
 */
async function withReportFilter<T>(
  session: MoodleSession,
  step: string,
  values: Record<string, unknown>,
  shown: Record<string, string | string[]>,
  body: (read: <R>(readOnce: () => Promise<R>) => Promise<R>) => Promise<T>,
): Promise<T> {
  const reportid = await reportIdOf(session, step);
  const set = () => reportAjax(session, step, "core_reportbuilder_set_filters", { reportid, parameters: "[]", values: JSON.stringify(values) });
  const read = async <R>(readOnce: () => Promise<R>): Promise<R> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await readOnce();
      } catch (e) {
        if (!(e instanceof FilterNotShownError) || attempt >= FILTER_ATTEMPTS) throw e;
        await set();
      }
    }
  };
  await set();
  try {
    return await body(read);
  } finally {
    await reportAjax(session, step, "core_reportbuilder_filters_reset", { reportid, parameters: "[]" }).catch(() => undefined);
  }
}

/** withReportFilter by token name; `read` reads the filtered list completely. */
async function withTokenFilter<T>(
  session: MoodleSession,
  step: string,
  query: TokenQuery,
  body: (read: (onFirst?: (r: TokenReport) => void) => Promise<TokenRow[]>) => Promise<T>,
): Promise<T> {
  const values = { "token:name_operator": query.match === "prefix" ? TEXT_STARTS_WITH : TEXT_IS_EQUAL_TO, "token:name_value": query.name };
  const filter = filterFor(query);
  return withReportFilter(session, step, values, filter, (again) =>
    body((onFirst) => {
      // The once-only value, if any, is on the first page read: later attempts do not look for it.
      let first = onFirst;
      return again(async () => {
        const take = first;
        first = undefined;
        return (await readComplete(session, step, { filter, maxPages: MAX_FILTERED_PAGES, onFirst: take })).rows;
      });
    }),
  );
}

/** How many tokens the site holds on some services: Moodle's own count, and per service what a page showed. */
export interface ServiceTokenCount {
  /** Tokens on those services: Moodle's count, or a lower bound when `exact` is false. */
  total: number;
  exact: boolean;
  /** Per service name, the tokens on the page read; all of them when `seenAll`. */
  seen: Record<string, number>;
  seenAll: boolean;
}

function countSeen(rows: TokenRow[], names: string[]): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const r of rows) if (names.includes(r.serviceName)) seen[r.serviceName] = (seen[r.serviceName] ?? 0) + 1;
  return seen;
}

/** All the tokens a ServiceTokenCount's page showed. */
export const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The tokens on the services named. Usually one page: the unfiltered report (a page read since the
 * last write will do) when it lists every token, or shows some on those services; otherwise the
 * report filtered by service name, whose count is Moodle's. Never concluded from a partial list.
 */
export async function tokensOnServices(
  session: MoodleSession,
  serviceNames: string[],
  step = "count tokens of services",
  opts: { filtered?: boolean } = {},
): Promise<ServiceTokenCount> {
  if (serviceNames.length === 0) return { total: 0, exact: true, seen: {}, seenAll: true };
  const first = opts.filtered ? undefined : await readReportPage(session, step, 0, true);
  if (first && filteredBy(first, NO_FILTER)) {
    const seen = countSeen(first.rows, serviceNames);
    const allOnPage = first.rows.length >= (first.totalRows ?? first.rows.length);
    if (allOnPage) return { total: sum(seen), exact: true, seen, seenAll: true };
    if (sum(seen) > 0) return { total: sum(seen), exact: false, seen, seenAll: false };
  }
  const shown = { ...NO_FILTER, "service:name_values": serviceNames };
  return withReportFilter(session, step, { "service:name_values": serviceNames }, shown, (read) =>
    read(async () => {
      const page = await readReportPage(session, step, 0, false);
      if (!filteredBy(page, shown)) throw new FilterNotShownError(step, page);
      const total = page.totalRows ?? page.rows.length;
      return { total, exact: true, seen: countSeen(page.rows, serviceNames), seenAll: page.rows.length >= total };
    }),
  );
}

function nameMatches(row: TokenRow, query: TokenQuery): boolean {
  // Moodle's filter ignores case and accents; the token we look for is named exactly.
  return query.match === "prefix" ? row.name.startsWith(query.name) : row.name === query.name;
}

/** Tokens named exactly `name`, or starting with it: a complete read, whatever else the site lists. */
export async function findTokens(session: MoodleSession, query: TokenQuery, step = `find tokens named "${query.name}"`): Promise<TokenRow[]> {
  return withTokenFilter(session, step, query, async (read) => (await read()).filter((r) => nameMatches(r, query)));
}

/**
 * Every token the report lists, read page by page and proven complete (no filter set, as many
 * distinct tokens as the report counts). For small sites and tests: it costs a page per 30 tokens.
 */
export async function readTokens(session: MoodleSession, step = "list tokens", reuse = false): Promise<{ rows: TokenRow[]; created?: TokenReport["created"] }> {
  let created: TokenReport["created"];
  const read = await readComplete(session, step, { filter: NO_FILTER, maxPages: Number.POSITIVE_INFINITY, reuseFirst: reuse, onFirst: (r) => (created = r.created) });
  return { rows: read.rows, created };
}

export async function listTokens(session: MoodleSession, reuse = false): Promise<TokenRow[]> {
  return (await readTokens(session, "list tokens", reuse)).rows;
}

/**
 * Whether Moodle has the token with this id: its delete confirmation page exists exactly while the
 * token does (admin/webservice/tokens.php: get_token_by_id_with_details(…, MUST_EXIST)). One request;
 * anything but the confirmation form or Moodle's "no such record" is an error, never "gone".
 */
export async function tokenExists(session: MoodleSession, tokenId: number, step = `read token ${tokenId}`): Promise<boolean> {
  const res = await session.request({ step, path: `${TOKENS_PATH}?action=delete&tokenid=${tokenId}` });
  if (res.status === 200 && parseTokenDeleteConfirm(res.body)?.tokenid === tokenId) return true;
  const err = parseErrorPage(res.body);
  // Stryker disable next-line StringLiteral: the stand-in for a missing error code only has to be no missing-record code; any other text is equally none
  if (err && MISSING_RECORD_CODES.has(err.errorcode ?? "")) return false;
  throw new MoodleError(step, TOKENS_PATH, err ? `cannot tell whether token ${tokenId} exists: Moodle said "${err.message}"` : `cannot tell whether token ${tokenId} exists (HTTP ${res.status}, no confirmation form)`);
}

async function serviceNamed(session: MoodleSession, serviceId: number, step: string): Promise<{ id: number; name: string }> {
  try {
    const form = await readServiceEditForm(session, serviceId, step, true);
    return { id: form.id, name: form.name };
  } catch (e) {
    if (e instanceof MoodleRecordMissingError) throw new MoodleError(step, TOKENS_PATH, `service id ${serviceId} does not exist (${e.detail})`);
    throw e;
  }
}

function matches(row: TokenRow, name: string, userId: number, serviceName: string): boolean {
  return row.name === name && row.serviceName === serviceName && (row.userId === undefined || row.userId === userId);
}

export async function createToken(session: MoodleSession, req: CreateTokenRequest): Promise<CreatedToken> {
  const step = `create token "${req.name}"`;
  if (!req.name || req.name.trim() !== req.name) {
    // Moodle names unnamed tokens Webservice-XXXXX; we must find ours by name afterwards.
    throw new MoodleError(step, TOKENS_PATH, "a non-empty token name without surrounding spaces is required");
  }
  let validUntil: { day: number; month: number; year: number } | undefined;
  if (req.validUntil !== undefined) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(req.validUntil);
    if (!m || Number(m[1]) < 1900 || Number(m[1]) > 2050) {
      throw new MoodleError(step, TOKENS_PATH, `validUntil must be YYYY-MM-DD between 1900 and 2050 (Moodle's date selector), got "${req.validUntil}"`);
    }
    validUntil = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  }

  // The token list names the service; its edit form has the name (usually just read by the caller).
  const service = await serviceNamed(session, req.serviceId, step);
  const query: TokenQuery = { name: req.name, match: "exact" };
  const wanted: WantedToken = { ...req, serviceName: service.name, validUntil };

  // A site whose every token fits on the report's first page (most test and staging sites) needs no
  // filter: that page, and the first view after the create, are complete lists by themselves. Read
  // fresh: a same-named token's last access decides whether it may be replaced.
  const whole = wholeList(await readReportPage(session, step, 0, false));
  if (whole) {
    const knownIds = refuseClash(step, wanted, whole);
    const failure = await postCreate(session, step, wanted);
    let created: TokenReport["created"];
    let after: TokenRow[];
    try {
      const page = await readReportPage(session, step, 0, false);
      created = page.created;
      after = wholeList(page) ?? (await withTokenFilter(session, step, query, (read) => read()));
    } catch (e) {
      throw listLost(step, req.name, failure, e);
    }
    return concludeCreate(session, step, wanted, knownIds, created, after, failure);
  }

  return withTokenFilter(session, step, query, async (read) => {
    const knownIds = refuseClash(step, wanted, (await read()).filter((r) => nameMatches(r, query)));
    const failure = await postCreate(session, step, wanted);
    // Same session, next list view: the once-only value (shown above the report, filtered or not),
    // and the filtered list, read completely, as proof either way.
    let created: TokenReport["created"];
    let after: TokenRow[];
    try {
      after = await read((r) => (created = r.created));
    } catch (e) {
      throw listLost(step, req.name, failure, e);
    }
    return concludeCreate(session, step, wanted, knownIds, created, after, failure);
  });
}

/** What createToken makes: the request, with the service's name (the list shows names) and the parsed expiry. */
interface WantedToken {
  name: string;
  userId: number;
  serviceId: number;
  serviceName: string;
  ipRestriction?: string;
  validUntil?: { day: number; month: number; year: number };
}

/**
 * Every token, when this page is the unfiltered report and shows all it counts (distinct ids as many
 * as Moodle's total); otherwise undefined, and the caller looks through the name filter instead.
 */
function wholeList(page: TokenReport): TokenRow[] | undefined {
  if (page.totalRows === undefined || !filteredBy(page, NO_FILTER)) return undefined;
  return new Set(page.rows.map((r) => r.id)).size === page.totalRows ? page.rows : undefined;
}

/** Refuses when the token exists already; otherwise the ids of the tokens listed before the create. */
function refuseClash(step: string, wanted: WantedToken, before: TokenRow[]): Set<number> {
  const clash = before.filter((r) => matches(r, wanted.name, wanted.userId, wanted.serviceName));
  if (clash.length) {
    throw new MoodleTokenExistsError(
      step,
      TOKENS_PATH,
      `a token named "${wanted.name}" already exists for user ${wanted.userId} on "${wanted.serviceName}" (token id ${clash.map((r) => r.id).join(", ")}); adopt or delete it first`,
      clash.map((r) => r.id),
      clash,
    );
  }
  return new Set(before.map((r) => r.id));
}

/** Posts the create once; throws Moodle's refusal, or returns why the outcome is unknown (undefined: accepted). */
async function postCreate(session: MoodleSession, step: string, wanted: WantedToken): Promise<string | undefined> {
  const { validUntil } = wanted;
  try {
    const post = await session.request({
      step,
      method: "POST",
      path: TOKENS_PATH,
      form: (sesskey) => ({
        action: "create",
        sesskey,
        _qf__core_webservice_token_form: "1",
        name: wanted.name,
        user: String(wanted.userId),
        service: String(wanted.serviceId),
        // Must be present even when empty, or Moodle fails with a TypeError.
        iprestriction: wanted.ipRestriction ?? "",
        // Omitting validuntil[enabled] means "never expires" (the browser form pre-ticks +30 days).
        ...(validUntil
          ? { "validuntil[enabled]": "1", "validuntil[day]": String(validUntil.day), "validuntil[month]": String(validUntil.month), "validuntil[year]": String(validUntil.year) }
          : {}),
        submitbutton: "Save changes",
      }),
      // Never replayed by the transport: a lost answer may mean the token exists.
      idempotent: false,
      follow: false,
      invalidates: [TOKENS_PATH],
    });
    if (post.status >= 300 && post.status < 400) return undefined;
    const err = parseErrorPage(post.body);
    const rerendered = post.status === 200 ? parseTokenCreateForm(post.body) : undefined;
    const said = err?.message ?? rerendered?.errors.join("; ");
    // A 404 error page or a re-rendered form means Moodle refused before creating anything.
    if (err || rerendered) throw new MoodleError(step, TOKENS_PATH, `Moodle refused: ${said || `HTTP ${post.status}`}`);
    return `unexpected HTTP ${post.status}`;
  } catch (e) {
    if (!(e instanceof MoodleTransportError)) throw e;
    return e.detail;
  }
}

/** The list could not be read after the create: whether a token exists is unknown, and the error says what follows. */
function listLost(step: string, name: string, failure: string | undefined, e: unknown): MoodleError {
  return new MoodleError(
    step,
    TOKENS_PATH,
    `${failure ? `the answer to the create was lost (${failure}) and ` : ""}the token list could not be read afterwards (${e instanceof MoodleError ? e.detail : String(e)}), ` +
      `so whether Moodle created a token named "${name}" is unknown. If it did, nobody has its value and it was never used: the next run finds it by its name, deletes it and creates the token again`,
  );
}

/** Decides the create from the complete list read after it: the new token with its value, or nothing left behind. */
async function concludeCreate(
  session: MoodleSession,
  step: string,
  wanted: WantedToken,
  knownIds: Set<number>,
  created: TokenReport["created"],
  after: TokenRow[],
  failure: string | undefined,
): Promise<CreatedToken> {
  const mine = after.filter((r) => !knownIds.has(r.id) && matches(r, wanted.name, wanted.userId, wanted.serviceName));
  if (mine.length === 1 && created?.name === wanted.name && /^[0-9a-f]{32}$/i.test(created.token)) {
    return { token: created.token, row: mine[0] };
  }
  if (mine.length === 0) {
    // Concluded from a list read completely after the create.
    throw new MoodleError(step, TOKENS_PATH, `no token was created${failure ? ` (${failure})` : ""}; nothing to clean up, safe to retry`);
  }
  // Created, but the value was lost (answer lost or session changed in between), or another run
  // created one of the same name at the same time: unusable orphans, deleted again.
  const left: number[] = [];
  for (const r of mine) {
    try {
      await deleteToken(session, r.id);
    } catch {
      left.push(r.id);
    }
  }
  const ids = mine.map((r) => r.id).join(", ");
  throw new MoodleError(
    step,
    TOKENS_PATH,
    left.length === 0
      ? `the token was created but Moodle's once-only display of its value was lost${failure ? ` (${failure})` : ""}; deleted it again (id ${ids}) so a retry starts clean`
      : `the token was created but Moodle's once-only display of its value was lost${failure ? ` (${failure})` : ""}, and deleting it again failed: token id ${left.join(", ")} named "${wanted.name}" ` +
          "is left in Moodle; the next run deletes it (it was never used), or delete it in Site administration > Server > Web services > Manage tokens",
  );
}

/**
 * Deletes the token and proves it is gone: Moodle's "no such record" for its id, either at once (it was
 * gone already) or on its confirmation page afterwards. Two requests at most, whatever the site holds.
 */
export async function deleteToken(session: MoodleSession, tokenId: number): Promise<void> {
  const step = `delete token ${tokenId}`;
  let said: string | undefined;
  const res = await session.request({
    step,
    method: "POST",
    path: TOKENS_PATH,
    form: (sesskey) => ({ tokenid: String(tokenId), action: "delete", confirm: "1", sesskey }),
    // Deleting twice only yields "record not found"; the read-back below decides.
    idempotent: true,
    follow: false,
    invalidates: [TOKENS_PATH],
  });
  if (res.status === 404) {
    const err = parseErrorPage(res.body);
    // The id is looked up before anything else: no such record means there is nothing to delete.
    // Stryker disable next-line StringLiteral: as in tokenExists, any stand-in for a missing code is equally no missing-record code
    if (err && MISSING_RECORD_CODES.has(err.errorcode ?? "")) return;
    said = err?.message;
  }
  if (await tokenExists(session, tokenId, step)) {
    throw new MoodleNotAppliedError(step, TOKENS_PATH, `token ${tokenId} still exists${said ? `; Moodle said "${said}"` : ` (HTTP ${res.status})`}`);
  }
}
