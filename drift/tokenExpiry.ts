// The token's days to expiry, from the stack's state (the token resource's `validUntil` output),
// flagged inside its renewal window (`renewBeforeDays`, with moodle:tokenValidDays) or else inside
// the report's warning window.
import type { TokenExpiry } from "./types";

const DAY_MS = 86_400_000;

interface StateResource {
  type?: string;
  delete?: boolean;
  outputs?: Record<string, unknown>;
}

/**
 * Moodle's "Valid until" is a date: the token stops working at the start of that day, so the days
 * left are the whole days from today (UTC) to it. Of several tokens in state (a replacement in
 * flight), the one valid longest is the one Skillsoft should be using. A token that renews itself
 * records its renewal window: inside it, the next `up` replaces the token, so it is flagged.
 */
export function tokenExpiryFromState(resources: readonly StateResource[], today: Date, warningDays: number): TokenExpiry {
  const tokens = resources
    .filter((r) => r.type?.endsWith(":WebServiceToken") && !r.delete)
    .map((r) => r.outputs ?? {})
    .filter((o): o is Record<string, unknown> & { validUntil: string } => typeof o.validUntil === "string");
  if (tokens.length === 0) return { validUntil: null, daysToExpiry: null, expiresSoon: false };
  if (tokens.some((t) => t.validUntil === "")) return { validUntil: "", daysToExpiry: null, expiresSoon: false };
  const current = [...tokens].sort((a, b) => a.validUntil.localeCompare(b.validUntil)).pop()!;
  const window = typeof current.renewBeforeDays === "number" ? current.renewBeforeDays : warningDays;
  const daysToExpiry = daysBetween(today, current.validUntil);
  return { validUntil: current.validUntil, daysToExpiry, expiresSoon: daysToExpiry <= window };
}

function daysBetween(today: Date, isoDate: string): number {
  const [y, m, d] = isoDate.split("-").map(Number);
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((Date.UTC(y, m - 1, d) - start) / DAY_MS);
}
