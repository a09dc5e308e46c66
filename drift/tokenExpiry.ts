// The token's days to expiry, from the stack's state (the token resource's `validUntil` output).
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
 * flight), the one valid longest is the one Skillsoft should be using.
 */
export function tokenExpiryFromState(resources: readonly StateResource[], today: Date, warningDays: number): TokenExpiry {
  const dates = resources
    .filter((r) => r.type?.endsWith(":WebServiceToken") && !r.delete)
    .map((r) => r.outputs?.validUntil)
    .filter((v): v is string => typeof v === "string");
  if (dates.length === 0) return { validUntil: null, daysToExpiry: null, expiresSoon: false };
  if (dates.includes("")) return { validUntil: "", daysToExpiry: null, expiresSoon: false };
  const validUntil = [...dates].sort().pop() as string;
  const daysToExpiry = daysBetween(today, validUntil);
  return { validUntil, daysToExpiry, expiresSoon: daysToExpiry <= warningDays };
}

function daysBetween(today: Date, isoDate: string): number {
  const [y, m, d] = isoDate.split("-").map(Number);
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((Date.UTC(y, m - 1, d) - start) / DAY_MS);
}
