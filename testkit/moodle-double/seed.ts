// A site whose Moodle app users each hold a token on moodle_mobile_app, as on a real campus: every
// app login makes one (lib/classes/external… generate_token with the site's tokenduration, 12 weeks by
// default), so most carry a date, many are past it, and older ones or sites with tokenduration 0 have
// none. Made in bulk, in memory, so tests and the bench can stand up 30,000 of them in well under a second.
import type { DoubleState, DoubleToken, DoubleUser } from "./state";

export interface AppTokenOptions {
  /** Unix seconds the dates are relative to (default now). */
  now?: number;
  /** First user id (default 1000); each token gets its own user. */
  firstUserId?: number;
}

const WEEK = 7 * 86400;

/**
 * `count` app users and their tokens: a quarter without expiry, a quarter expired, half valid for up
 * to 12 weeks. Tokens come in bursts of 8 made in the same second (a class logging in together), so
 * many share a valid-until: the report's order among them is the database's, not the caller's.
 */
export function withAppTokens(state: DoubleState, count: number, opts: AppTokenOptions = {}): DoubleState {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const firstUser = opts.firstUserId ?? 1000;
  const mobile = state.services.find((s) => s.shortname === "moodle_mobile_app")?.id ?? 1;
  const users: DoubleUser[] = [];
  const tokens: DoubleToken[] = [];
  let id = state.nextIds.token;
  const bursts = Math.max(1, Math.ceil(count / 8));
  for (let i = 0; i < count; i++) {
    const userId = firstUser + i;
    users.push({ id: userId, username: `app${i}`, password: "x", firstname: "App", lastname: `User ${i}`, email: `app${i}@example.com`, siteAdmin: false });
    const burst = Math.floor(i / 8);
    const kind = i % 4;
    // Created in the last 24 weeks; valid for 12 weeks from creation (or never).
    const created = now - Math.floor(((burst * 7919) % bursts) * ((24 * WEEK) / bursts));
    const validuntil = kind === 0 ? 0 : created + 12 * WEEK;
    tokens.push({
      id: id++,
      token: (0x1000000 + i).toString(16).padStart(8, "0").repeat(4),
      name: `Mobile app token ${i}`,
      userId,
      serviceId: mobile,
      iprestriction: "",
      validuntil,
      lastaccess: kind === 3 ? 0 : Math.min(now, created + 3600),
      creatorId: userId,
      timecreated: created,
    });
  }
  state.users.push(...users);
  state.tokens.push(...tokens);
  state.nextIds.token = id;
  return state;
}
