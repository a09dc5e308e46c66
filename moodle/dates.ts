// Token dates as this project writes them: UTC calendar days (YYYY-MM-DD). Moodle stops a token at the
// start of its valid-until day in the site's timezone, so callers keep a day's margin where it matters.

/** The UTC date `days` days after `now` (0: today), as YYYY-MM-DD. */
export function isoDaysAhead(days: number, now: Date = new Date()): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
