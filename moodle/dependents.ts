// What else on the site needs web services at this moment, so that undoing our switches (destroy)
// never cuts off the Moodle app or another integration that came to rely on them after our `up`.
//
// Moodle does not record which protocol a token is used with, so a token (or an authorised user) of
// any enabled service counts for web services and for every protocol alike: when in doubt, leave on.
import { readSettingsSection } from "./adminPages";
import { authorisedUsers, readServiceList } from "./services";
import { sum, tokensOnServices } from "./tokens";
import type { MoodleSession } from "./session";

/** admin_setting_enablemobileservice: on only while web services and the mobile service are (as the page shows it). */
const MOBILE_INPUT = "s__enablemobilewebservice";

export interface WebServiceDependent {
  kind: "mobile-app" | "service-tokens" | "service-users";
  /** Says who needs it, in words for the destroy output. */
  reason: string;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The Moodle app, as Advanced features shows it (a page read since the last write will do). */
async function mobileAppEnabled(session: MoodleSession, step: string): Promise<boolean> {
  const page = await readSettingsSection(session, step, "optionalsubsystems", true);
  return page.values[MOBILE_INPUT] === "1";
}

/**
 * Everything that needs web services (and so any protocol) now: the Moodle app, and every enabled
 * service with tokens or, when restricted to authorised users, with any. A few pages: Advanced
 * features, the services list, one token page (or a filtered one), one user list per restricted service.
 */
export async function webServiceDependents(session: MoodleSession, step = "check what else uses web services"): Promise<WebServiceDependent[]> {
  const out: WebServiceDependent[] = [];
  if (await mobileAppEnabled(session, step)) {
    out.push({ kind: "mobile-app", reason: 'the Moodle app ("Enable web services for mobile devices" is on)' });
  }
  const enabled = (await readServiceList(session, step, true)).filter((s) => s.enabled);
  const tokens = await tokensOnServices(session, [...new Set(enabled.map((s) => s.name))], step);
  for (const service of enabled) {
    const seen = tokens.seen[service.name] ?? 0;
    if (seen > 0) {
      out.push({ kind: "service-tokens", reason: `the enabled service "${service.name}" (${tokens.seenAll ? "" : "at least "}${plural(seen, "token", "tokens")})` });
    } else if (service.restrictedUsers) {
      const users = await authorisedUsers(session, service.id, true, step);
      if (users.length > 0) out.push({ kind: "service-users", reason: `the enabled service "${service.name}" (${plural(users.length, "authorised user", "authorised users")})` });
    }
  }
  const seenTotal = sum(tokens.seen);
  if (tokens.total > seenTotal) {
    // Filtered by every enabled service at once: Moodle counted more than one page showed.
    out.push({ kind: "service-tokens", reason: `${plural(tokens.total - seenTotal, "more token", "more tokens")} of enabled services (beyond the first page of Manage tokens)` });
  }
  return out;
}

/**
 * What needs one service to stay enabled: its tokens and its authorised users (the caller removes
 * the users it authorised, and its own token is gone, before it asks).
 */
export async function serviceDependents(
  session: MoodleSession,
  service: { id: number; name: string; restrictedUsers: boolean },
  step = `check what else uses "${service.name}"`,
): Promise<WebServiceDependent[]> {
  const out: WebServiceDependent[] = [];
  const tokens = await tokensOnServices(session, [service.name], step);
  if (tokens.total > 0) out.push({ kind: "service-tokens", reason: `${tokens.exact ? "" : "at least "}${plural(tokens.total, "token of another user or integration", "tokens of other users or integrations")}` });
  if (service.restrictedUsers) {
    const users = await authorisedUsers(session, service.id, true, step);
    if (users.length > 0) out.push({ kind: "service-users", reason: `${plural(users.length, "authorised user", "authorised users")} besides the ones this stack authorised` });
  }
  return out;
}
