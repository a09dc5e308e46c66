// A stand-in for MoodleSession that answers each request with the next given page (recorded Moodle
// pages, mostly) and records what was sent: the moodle/ modules above the session are tested on
// real pages without a server.
import type { MoodleSession, Page, PageRequest } from "../../moodle/session";

/** Moodle's error page (print_error) as the double renders it, with the error code in the docs link. */
export const errorPage = (message: string, code: string) =>
  `<html><body><div id="region-main"><div data-rel="fatalerror" class="box py-3 errorbox alert alert-danger"><p class="errormessage">${message}</p>` +
  `<p class="errorcode"><a href="https://docs.moodle.org/500/en/error/moodle/${code}">More information about this error</a></p></div></div></body></html>`;

export function session(answers: Page[]) {
  const sent: { method: string; path: string; form?: Record<string, unknown> }[] = [];
  /** Whether each request may be retried (a POST that is safe to repeat) and follows redirects. */
  const flags: { idempotent?: boolean; follow?: boolean; reuse?: boolean }[] = [];
  /** Each request as the operation built it (what it may reuse, which pages it makes stale). */
  const requests: PageRequest[] = [];
  const s = {
    async request(req: PageRequest): Promise<Page> {
      requests.push(req);
      const path = typeof req.path === "function" ? req.path("SESSKEY") : req.path;
      const form = typeof req.form === "function" ? (req.form("SESSKEY") as Record<string, unknown>) : undefined;
      sent.push({ method: req.method ?? "GET", path, form });
      flags.push({ idempotent: req.idempotent, follow: req.follow, reuse: req.reuse });
      const next = answers.shift();
      if (!next) throw new Error(`unexpected request ${path}`);
      return next;
    },
  };
  return { s: s as unknown as MoodleSession, sent, flags, requests };
}
/** Only the status and body matter to the modules above the session. */
export const pg = (status: number, body: string) => ({ status, body, path: "/" }) as Page;
export const ok = (body: string) => pg(200, body);
export const redirect = pg(303, "");
