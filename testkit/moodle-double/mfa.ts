// tool_mfa's decisions (admin/tool/mfa/classes/manager.php, plugininfo/factor.php, local/factor/
// object_factor_base.php) for the two input factors the double models: totp and email, each of weight
// factor_<name>/weight (100 by default, so one pass is enough). Non-input factors (iprange, grace, token,
// role...) and the brute-force sleep_timer() are not modelled. HTTP lives in routes/mfa.ts.
import { randomInt } from "crypto";
import type { DoubleState, DoubleUser } from "./state";
import { pluginSetting, sendMail } from "./state";
import type { FactorState, MfaSession, Session } from "./sessions";
import { TOTP_PERIOD, totpVerify } from "./totp";
import { str } from "./lang";

export type Factor = "email" | "totp";
/** get_factors() order (plugin name order): the order factors not named in factor_order come in. */
const FACTORS: Factor[] = ["email", "totp"];

export type MfaStatus = "pass" | "neutral" | "fail";

const on = (v: string | undefined) => !!v && v !== "0";

export function isFactor(name: string | undefined): name is Factor {
  return name === "totp" || name === "email";
}

export function mfaOf(s: Session): MfaSession {
  return (s.mfa ??= {});
}

/** manager::is_ready(): tool_mfa enabled and at least one factor enabled. */
export function mfaReady(state: DoubleState): boolean {
  return on(pluginSetting(state, "tool_mfa", "enabled")) && FACTORS.some((f) => on(pluginSetting(state, `factor_${f}`, "enabled")));
}

/** get_config('tool_mfa', 'lockout'); an unset value reads as 0, so every input factor is locked at once. */
export function lockoutThreshold(state: DoubleState): number {
  return Number(pluginSetting(state, "tool_mfa", "lockout")) || 0;
}

/** factor_email::is_ready(): a valid email and no revoked row. */
function emailReady(user: DoubleUser): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(user.email) && !user.mfa?.email?.revoked;
}

/**
 * The user has a row of the factor: a TOTP secret that is not revoked; for email the row Moodle creates
 * by itself (get_all_user_factors()) unless it was revoked.
 */
function hasRow(user: DoubleUser, f: Factor): boolean {
  return f === "totp" ? !!user.mfa?.totp && !user.mfa.totp.revoked : !user.mfa?.email?.revoked;
}

/** get_active_user_factor_types(): enabled factors the user has rows of, in tool_mfa/factor_order. */
export function activeFactors(state: DoubleState, user: DoubleUser): Factor[] {
  const active = FACTORS.filter((f) => on(pluginSetting(state, `factor_${f}`, "enabled")) && hasRow(user, f));
  const order = (pluginSetting(state, "tool_mfa", "factor_order") ?? "").split(",").filter(isFactor);
  const listed = [...new Set(order)].filter((f) => active.includes(f));
  return [...listed, ...active.filter((f) => !listed.includes(f))];
}

/** has_input(): TOTP always; email only while is_ready(). */
export function hasInput(user: DoubleUser, f: Factor): boolean {
  return f === "totp" || emailReady(user);
}

/** get_all_user_login_factors(). */
export function loginFactors(state: DoubleState, user: DoubleUser): Factor[] {
  return activeFactors(state, user).filter((f) => hasInput(user, f));
}

/** get_state(): $SESSION->factor_<name>, "unknown" when unset; email that is not ready is neutral. */
export function factorState(s: Session, user: DoubleUser, f: Factor): FactorState | "unknown" {
  if (f === "email" && !emailReady(user)) return "neutral";
  return s.mfa?.factors?.[f] ?? "unknown";
}

/** set_state(): a failed factor stays failed. */
export function setFactorState(s: Session, user: DoubleUser, f: Factor, st: FactorState): void {
  if (factorState(s, user, f) === "fail") return;
  (mfaOf(s).factors ??= {})[f] = st;
}

/** SELECT MAX(lockcounter) ... AND revoked = 0. */
function lockcounter(user: DoubleUser, f: Factor): number {
  const row = f === "totp" ? user.mfa?.totp : user.mfa?.email;
  return row && !row.revoked ? row.lockcounter || 0 : 0;
}

/** load_locked_state(): locked once the counter reaches the threshold, whatever the session. */
function loadLockedState(state: DoubleState, s: Session, user: DoubleUser, f: Factor): void {
  if (lockcounter(user, f) >= lockoutThreshold(state)) setFactorState(s, user, f, "locked");
}

/** get_next_user_login_factor(): undefined = the fallback factor, whose state is always fail. */
export function nextLoginFactor(state: DoubleState, s: Session, user: DoubleUser): Factor | undefined {
  return loginFactors(state, user).find((f) => factorState(s, user, f) === "unknown");
}

/** get_cumulative_weight() >= 100. */
function passedEnough(state: DoubleState, s: Session, user: DoubleUser, active: Factor[]): boolean {
  const weight = active.filter((f) => factorState(s, user, f) === "pass").reduce((sum, f) => sum + (Number(pluginSetting(state, `factor_${f}`, "weight")) || 0), 0);
  return weight >= 100;
}

/** manager::get_status(). */
export function mfaStatus(state: DoubleState, s: Session, user: DoubleUser): MfaStatus {
  const active = activeFactors(state, user);
  for (const f of active) {
    loadLockedState(state, s, user, f);
    if (factorState(s, user, f) === "fail") return "fail";
  }
  const pass = !!s.mfa?.authenticated || passedEnough(state, s, user, active);
  if (!nextLoginFactor(state, s, user)) return pass ? "pass" : "fail";
  return pass ? "pass" : "neutral";
}

/**
 * set_pass_state(): once per session. Every lock counter of the user goes back to 0, emailed codes are
 * deleted (factor_email's post_pass_state) and factors locked in this session become neutral.
 */
export function setPassState(state: DoubleState, s: Session, user: DoubleUser): void {
  const m = mfaOf(s);
  if (m.authenticated) return;
  m.authenticated = true;
  delete m.redirReferer;
  delete m.redirCount;
  if (user.mfa?.totp) user.mfa.totp.lockcounter = 0;
  if (user.mfa?.email) user.mfa.email.lockcounter = 0;
  const active = activeFactors(state, user);
  if (active.includes("email") && user.mfa?.email) delete user.mfa.email.code;
  for (const f of active) if (factorState(s, user, f) === "locked") setFactorState(s, user, f, "neutral");
}

/** increment_lock_counter(): the new counter (kept in memory even without a row, as Moodle's object does). */
export function incrementLockCounter(state: DoubleState, s: Session, user: DoubleUser, f: Factor): number {
  loadLockedState(state, s, user, f);
  const counter = lockcounter(user, f) + 1;
  if (f === "totp") {
    if (user.mfa?.totp) user.mfa.totp.lockcounter = counter;
  } else {
    const mfa = (user.mfa ??= {});
    mfa.email = { ...mfa.email, lockcounter: counter };
  }
  if (counter >= lockoutThreshold(state)) setFactorState(s, user, f, "locked");
  return counter;
}

/** The error under the code field, or undefined when the code is accepted (login_form_validation()). */
export function validateCode(state: DoubleState, user: DoubleUser, f: Factor, code: string, now: number): string | undefined {
  return f === "totp" ? validateTotp(state, user, code, now) : validateEmail(state, user, code, now);
}

/**
 * factor_totp::login_form_validation() and validate_code(): USED (the step of the last accepted code, with
 * the window), VALID (then lastverified = now), OLD / FUTURE (up to 10 steps off, the past first), wrong.
 */
function validateTotp(state: DoubleState, user: DoubleUser, code: string, now: number): string | undefined {
  const row = user.mfa?.totp;
  const wrong = str("en", "factor_totp/error:wrongverification");
  if (!row || row.revoked) return wrong;
  const window = Number(pluginSetting(state, "factor_totp", "window")) || 0;
  const verify = (t: number) => totpVerify(row.secret, code, t, window);
  if (row.lastverified > 0 && verify(row.lastverified)) return str("en", "factor_totp/error:codealreadyused");
  if (verify(now)) {
    row.lastverified = now;
    return undefined;
  }
  const time = systemTime(now, state.site.timezone);
  for (let i = 1; i <= 10; i++) {
    if (verify(now - i * TOTP_PERIOD)) return str("en", "factor_totp/error:oldcode", time);
    if (verify(now + i * TOTP_PERIOD)) return str("en", "factor_totp/error:futurecode", time);
  }
  return wrong;
}

/** factor_email::check_verification_code(): the last emailed code, younger than factor_email/duration. */
function validateEmail(state: DoubleState, user: DoubleUser, code: string, now: number): string | undefined {
  const row = user.mfa?.email?.code;
  const duration = Number(pluginSetting(state, "factor_email", "duration")) || 0;
  if (row && code === row.secret && row.timecreated + duration > now) return undefined;
  return str("en", "factor_email/error:wrongverification");
}

/**
 * factor_email::generate_and_email_code(), run whenever auth.php builds the email factor's form (even to
 * show it): a new code and an email unless a code younger than factor_email/duration exists.
 */
export function emailCodeIfDue(state: DoubleState, user: DoubleUser, now: number, base: string): void {
  const duration = Number(pluginSetting(state, "factor_email", "duration")) || 0;
  const current = user.mfa?.email?.code;
  if (current && current.timecreated + duration >= now) return;
  const secret = String(randomInt(100000, 1000000));
  const mfa = (user.mfa ??= {});
  mfa.email = { lockcounter: 0, ...mfa.email, code: { secret, timecreated: now } };
  sendMail(state, {
    to: user.email,
    subject: str("en", "factor_email/email:subject"),
    body: `Here's your verification code for ${state.site.fullname} (${base}).\n\n${secret}\n\nThe code can only be used once.`,
    time: now,
  });
}

/** userdate(now, '%l:%M:%S %P %Z') in the site's timezone (factor_totp's systimeformat): " 9:05:03 am GMT". */
export function systemTime(unixSeconds: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, hour: "numeric", minute: "2-digit", second: "2-digit", hour12: true, timeZoneName: "short" }).formatToParts(
    new Date(unixSeconds * 1000),
  );
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  const hour = String(Number(get("hour")) || 12).padStart(2, " ");
  return `${hour}:${get("minute")}:${get("second")} ${get("dayPeriod").toLowerCase()} ${get("timeZoneName")}`;
}

/** factor_email's obfuscate_email(): "a····n@example.com". */
export function obfuscateEmail(email: string): string {
  const [local, domain] = email.split("@");
  const masked = local.length > 2 ? local[0] + "\u00b7".repeat(local.length - 2) + local[local.length - 1] : local;
  return `${masked}@${domain}`;
}
