// Site administration > Server > Web services > Manage tokens. The secret is shown exactly once, on the
// first list view after creation in the same session, so creation and capture are one operation and
// creation is never replayed blindly: after any doubt the list is consulted first.
import type { CreateTokenRequest, CreatedToken, TokenRow } from "./types";
import { MoodleError, MoodleNotAppliedError, MoodleRecordMissingError, MoodleTokenExistsError, MoodleTransportError } from "./errors";
import { readServiceEditForm } from "./services";
import { parseErrorPage } from "./parsers/common";
import { parseTokenCreateForm, parseTokenReport, TokenReport } from "./parsers/tokens";
import type { MoodleSession } from "./session";

const TOKENS_PATH = "/admin/webservice/tokens.php";
const MAX_PAGES = 100;

async function readReportPage(session: MoodleSession, step: string, page: number, reuse: boolean): Promise<TokenReport> {
  const res = await session.request({ step, path: page === 0 ? TOKENS_PATH : `${TOKENS_PATH}?page=${page}`, reuse });
  const report = res.status === 200 ? parseTokenReport(res.body) : undefined;
  if (!report?.isReport) {
    const err = parseErrorPage(res.body);
    throw new MoodleError(step, TOKENS_PATH, err ? `Moodle said "${err.message}"` : `no token list on the page (HTTP ${res.status})`);
  }
  return report;
}

/** Reads every page of the token report. The first page also carries a once-only value, if one is pending. */
export async function readTokens(session: MoodleSession, step = "list tokens", reuse = false): Promise<{ rows: TokenRow[]; created?: TokenReport["created"] }> {
  const first = await readReportPage(session, step, 0, reuse);
  const rows = [...first.rows];
  const seen = new Set(rows.map((r) => r.id));
  // The report pages by 30 (data-table-page-size); flexible tables take a 0-based ?page=N.
  for (let p = 1; p < MAX_PAGES && first.totalRows !== undefined && rows.length < first.totalRows; p++) {
    const next = await readReportPage(session, step, p, reuse);
    const fresh = next.rows.filter((r) => !seen.has(r.id));
    if (fresh.length === 0) break;
    for (const r of fresh) {
      seen.add(r.id);
      rows.push(r);
    }
  }
  return { rows, created: first.created };
}

export async function listTokens(session: MoodleSession, reuse = false): Promise<TokenRow[]> {
  return (await readTokens(session, "list tokens", reuse)).rows;
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

  const before = await readTokens(session, step, true);
  const clash = before.rows.filter((r) => matches(r, req.name, req.userId, service.name));
  if (clash.length) {
    throw new MoodleTokenExistsError(
      step,
      TOKENS_PATH,
      `a token named "${req.name}" already exists for user ${req.userId} on "${service.name}" (token id ${clash.map((r) => r.id).join(", ")}); adopt or delete it first`,
      clash.map((r) => r.id),
    );
  }
  const knownIds = new Set(before.rows.map((r) => r.id));

  let failure: string | undefined;
  try {
    const post = await session.request({
      step,
      method: "POST",
      path: TOKENS_PATH,
      form: (sesskey) => ({
        action: "create",
        sesskey,
        _qf__core_webservice_token_form: "1",
        name: req.name,
        user: String(req.userId),
        service: String(req.serviceId),
        // Must be present even when empty, or Moodle fails with a TypeError.
        iprestriction: req.ipRestriction ?? "",
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
    if (!(post.status >= 300 && post.status < 400)) {
      const err = parseErrorPage(post.body);
      const rerendered = post.status === 200 ? parseTokenCreateForm(post.body) : undefined;
      const said = err?.message ?? rerendered?.errors.join("; ");
      // A 404 error page or a re-rendered form means Moodle refused before creating anything.
      if (err || rerendered) throw new MoodleError(step, TOKENS_PATH, `Moodle refused: ${said || `HTTP ${post.status}`}`);
      failure = `unexpected HTTP ${post.status}`;
    }
  } catch (e) {
    if (!(e instanceof MoodleTransportError)) throw e;
    failure = e.detail;
  }

  // Same session, next list view: the once-only value, or (after a doubtful POST) proof either way.
  const after = await readTokens(session, step);
  const mine = after.rows.filter((r) => !knownIds.has(r.id) && matches(r, req.name, req.userId, service.name));
  if (mine.length === 1 && after.created?.name === req.name && /^[0-9a-f]{32}$/i.test(after.created.token)) {
    return { token: after.created.token, row: mine[0] };
  }
  if (mine.length === 0) {
    throw new MoodleError(step, TOKENS_PATH, `no token was created${failure ? ` (${failure})` : ""}; nothing to clean up, safe to retry`);
  }
  // Created, but the value was lost (answer lost or session changed in between): an unusable orphan.
  for (const r of mine) await deleteToken(session, r.id);
  throw new MoodleError(
    step,
    TOKENS_PATH,
    `the token was created but Moodle's once-only display of its value was lost${failure ? ` (${failure})` : ""}; deleted it again (id ${mine.map((r) => r.id).join(", ")}) so a retry starts clean`,
  );
}

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
  if (res.status === 404) said = parseErrorPage(res.body)?.message;
  const { rows } = await readTokens(session, step);
  if (rows.some((r) => r.id === tokenId)) {
    throw new MoodleNotAppliedError(step, TOKENS_PATH, `token ${tokenId} is still listed${said ? `; Moodle said "${said}"` : ` (HTTP ${res.status})`}`);
  }
}
