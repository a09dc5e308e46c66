// authenticate_user_login() (lib/moodlelib.php:3830-4096) and the login lockout (lib/authlib.php:903-1096)
// for the manual form of login/index.php. A site's user knows only one answer for every refused login
// (303, "Invalid login"), except a locked account, which login/index.php shows at once (200).
import type { DoubleState, DoubleUser } from "./state";
import { coreConfig, sendMail } from "./state";
import { randomString } from "./sessions";

/** Failure reasons (lib/authlib.php:65-83); the event's `reason`, never visible over HTTP except LOCKOUT. */
export const AUTH_LOGIN_OK = 0;
export const AUTH_LOGIN_NOUSER = 1;
export const AUTH_LOGIN_SUSPENDED = 2;
export const AUTH_LOGIN_FAILED = 3;
export const AUTH_LOGIN_LOCKOUT = 4;

export interface LoginAttempt {
  /** 0 = refused, 1 = guest, else the user's id. */
  userId: number;
  reason: number;
}

/** get_enabled_auth_plugins(): manual and nologin always, then $CFG->auth in its order. */
export function enabledAuthPlugins(state: DoubleState): string[] {
  const listed = (coreConfig(state, "auth") ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "" && a !== "manual" && a !== "nologin");
  return ["manual", "nologin", ...new Set(listed)];
}

/**
 * authenticate_user_login($username, $password, false, $reason, $logintoken): the checks in Moodle's
 * order (token, suspended, nologin or disabled plugin, lockout, then the user's own plugin). Only a
 * manual account can match a password: the SSO plugins' user_login() is false outside their own flow
 * (auth_saml2 always; auth_oidc's default authcode flow without its `code`).
 */
export function authenticateUserLogin(state: DoubleState, username: string, password: string, tokenOk: boolean, now: number, base: string): LoginAttempt {
  if (!tokenOk) return { userId: 0, reason: AUTH_LOGIN_FAILED };
  // The guest account: auth manual, password "guest", never locked out (guest login button on).
  if (username === "guest") return password === "guest" ? { userId: 1, reason: AUTH_LOGIN_OK } : { userId: 0, reason: AUTH_LOGIN_FAILED };
  const user = state.users.find((u) => u.username === username && !u.deleted);
  if (!user) return { userId: 0, reason: AUTH_LOGIN_NOUSER };
  if (user.suspended) return { userId: 0, reason: AUTH_LOGIN_SUSPENDED };
  const auth = user.auth || "manual";
  if (auth === "nologin" || !enabledAuthPlugins(state).includes(auth)) return { userId: 0, reason: AUTH_LOGIN_SUSPENDED };
  if (loginIsLockedOut(state, user, now)) return { userId: 0, reason: AUTH_LOGIN_LOCKOUT };
  if (auth === "manual" && user.password === password) {
    loginAttemptValid(user);
    return { userId: user.id, reason: AUTH_LOGIN_OK };
  }
  loginAttemptFailed(state, user, now, base);
  return { userId: 0, reason: AUTH_LOGIN_FAILED };
}

/** empty($CFG->lockoutthreshold) means no lockout. */
function threshold(state: DoubleState): number {
  return Number(coreConfig(state, "lockoutthreshold") ?? 0) || 0;
}

function seconds(state: DoubleState, name: "lockoutwindow" | "lockoutduration"): number {
  return Number(coreConfig(state, name) ?? 0) || 0;
}

/** login_is_lockedout(): a lock older than lockoutduration (0 = forever) is lifted by the check itself. */
export function loginIsLockedOut(state: DoubleState, user: DoubleUser, now: number): boolean {
  if (!threshold(state) || user.lockout?.ignored || !user.lockout?.lockedAt) return false;
  const duration = seconds(state, "lockoutduration");
  if (!duration || now - user.lockout.lockedAt < duration) return true;
  loginUnlockAccount(user);
  return false;
}

/** login_attempt_valid(): a good password clears the counters and any lock. */
function loginAttemptValid(user: DoubleUser): void {
  loginUnlockAccount(user);
}

/**
 * login_attempt_failed(): count the failure, starting again when the last one is older than
 * lockoutwindow (the window slides from the last failure), and lock at the threshold.
 */
function loginAttemptFailed(state: DoubleState, user: DoubleUser, now: number, base: string): void {
  if (!threshold(state)) {
    loginUnlockAccount(user);
    return;
  }
  const l = (user.lockout ??= {});
  const window = seconds(state, "lockoutwindow");
  let count = l.failedCount ?? 0;
  if (window && now - (l.failedLast ?? 0) > window) count = 0;
  l.failedCount = count + 1;
  l.failedLast = now;
  if (l.failedCount >= threshold(state)) loginLockAccount(state, user, now, base);
}

/** login_lock_account(): the lock time moves on every lock; the unlock email goes out only the first time. */
function loginLockAccount(state: DoubleState, user: DoubleUser, now: number, base: string): void {
  const l = (user.lockout ??= {});
  if (l.ignored) return;
  const already = !!l.lockedAt;
  l.lockedAt = now;
  if (already) return;
  l.secret = randomString(15);
  const site = state.site.fullname;
  const link = `${base}/login/unlock_account.php?u=${user.id}&s=${l.secret}`;
  sendMail(state, {
    to: user.email,
    subject: `Your account on ${site} was locked out`,
    body: `Hi ${user.firstname},\n\nYour account with username ${user.username} on server '${site}'\nwas locked out after multiple invalid login attempts.\n\nTo unlock the account immediately, please click the link below:\n\n<a href="${link}">Unlock account</a>\n\n\nIf you need help, please contact the site administrator.\n`,
    time: now,
  });
}

/** login_unlock_account(): the secret stays, so the emailed link keeps working. */
export function loginUnlockAccount(user: DoubleUser): void {
  if (!user.lockout) return;
  delete user.lockout.lockedAt;
  delete user.lockout.failedCount;
  delete user.lockout.failedLast;
}
