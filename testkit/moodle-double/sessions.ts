// MoodleSession cookie sessions, kept in memory (a restart logs everyone out).
import * as crypto from "crypto";

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

export function randomString(length: number, alphabet = ALNUM): string {
  const bytes = crypto.randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

export interface Flash {
  /** $SESSION->loginerrormsg: shown (once) by the next login page, or at once by a locked account's POST. */
  loginError?: string;
  /** $SESSION->logininfomsg ("Your account is unlocked..."), shown once like loginError. */
  loginInfo?: string;
  /** Admin settings: "Changes saved" on the next page. */
  changesSaved?: boolean;
  /** Token created: shown once on the next GET of tokens.php. */
  newToken?: { name: string; token: string };
}

export interface Session {
  id: string;
  sesskey: string;
  /** 0 = not logged in, 1 = guest. */
  userId: number;
  logintoken: string;
  lastSeen: number;
  wantsurl?: string;
  /** $SESSION->lang (?lang=, browser language); survives login unless the user has a language. */
  lang?: string;
  /** $SESSION->forcelang (?forcelang=); wins over every other language. */
  forcelang?: string;
  /** $SESSION->loginredirect (login/index.php: 0 after ?loginredirect=0, else 1). */
  loginredirect?: 0 | 1;
  /** $SESSION->saml / $SESSION->oidc = 0: the manual form was asked for (?saml=off, ?noredirect=1...). */
  saml?: 0;
  oidc?: 0;
  /** tool_mfa's $SESSION keys (testkit/moodle-double/mfa.ts). */
  mfa?: MfaSession;
  flash: Flash;
}

/** A factor's state kept in $SESSION->factor_<name>; absent = unknown. */
export type FactorState = "pass" | "neutral" | "locked" | "fail";

export interface MfaSession {
  /** tool_mfa_authenticated: MFA passed (or was not ready when the session was first seen). */
  authenticated?: boolean;
  /** tool_mfa_has_been_redirected: sent to auth.php once, so a pass redirects to wantsurl. */
  redirected?: boolean;
  /** factor_<name>. */
  factors?: Record<string, FactorState>;
  /** mfa_redir_referer / mfa_redir_count: manager.php's redirect-loop detector. */
  redirReferer?: string;
  redirCount?: number;
}

export const SESSION_COOKIE = "MoodleSession";

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private idleTimeoutMs: number) {}

  setIdleTimeout(ms: number): void {
    this.idleTimeoutMs = ms;
  }

  /** The live session for a cookie value, or undefined when unknown or idle too long. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (now - s.lastSeen > this.idleTimeoutMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    return s;
  }

  create(): Session {
    const s: Session = {
      id: randomString(26, "abcdefghijklmnopqrstuvwxyz0123456789"),
      sesskey: randomString(10),
      userId: 0,
      logintoken: randomString(32),
      lastSeen: Date.now(),
      flash: {},
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** Login: new id and new sesskey; $SESSION (wantsurl, lang, forcelang, saml, oidc) survives, as in Moodle. */
  regenerate(old: Session, userId: number): Session {
    this.sessions.delete(old.id);
    const s = this.create();
    s.userId = userId;
    s.wantsurl = old.wantsurl;
    s.lang = old.lang;
    s.forcelang = old.forcelang;
    s.saml = old.saml;
    s.oidc = old.oidc;
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  expireAll(): void {
    this.sessions.clear();
  }

  count(): number {
    return this.sessions.size;
  }
}
