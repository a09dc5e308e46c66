// The password login: Moodle's manual login form (reached past single sign-on redirects with Moodle's
// own bypasses), the POST, and what Moodle's answer means. One attempt per call: lockout policies
// count failed logins, so nothing here ever tries a password twice.
import type { MoodleConnection } from "./types";
import type { MoodleHttp, HttpResponse } from "./http";
import { MoodleAccountLockedError, MoodleError, MoodleForcedPageError, MoodleLoginError, MoodleSessionError, stripQuery } from "./errors";
import { parseLoginPage } from "./parsers/login";

export const LOGIN_PATH = "/login/index.php";
/**
 * The manual login form on sites whose login page redirects to single sign-on: core's
 * alternateloginurl honours loginredirect=0 (login/index.php), auth_saml2 saml=off and auth_oidc
 * noredirect=1 (their should_login_redirect()); Moodle ignores the ones a site does not use.
 */
export const MANUAL_LOGIN_PATH = `${LOGIN_PATH}?loginredirect=0&saml=off&noredirect=1`;

const STEP = "log in";

/** Pages Moodle sends a user to right after login, before anything else (the query does not matter). */
export type ForcedPageLookup = (sitePath: string) => string | undefined;

/** Whether a response starts a new Moodle session (Set-Cookie MoodleSession…=). A refused password does not. */
function replacesSession(res: HttpResponse): boolean {
  const set = res.headers["set-cookie"];
  // Stryker disable next-line ArrayDeclaration: no header means no cookie; a made-up one cannot match the MoodleSession pattern either.
  return (Array.isArray(set) ? set : set ? [set] : []).some((c) => /^MoodleSession[^=]*=/.test(c));
}

function refusedLogin(username: string, message: string | undefined, singleSignOn: boolean): MoodleLoginError {
  // Moodle answers a wrong password, an unknown user, a suspended or nologin account and an account
  // of a single sign-on method (SAML, OIDC...) alike: the error names every cause it can be.
  const sso = singleSignOn ? " This site offers single sign-on, so the account may sign in only through it." : "";
  return new MoodleLoginError(
    STEP,
    LOGIN_PATH,
    `Moodle said "${message ?? "Invalid login"}" for user "${username}": the password is wrong, or the account cannot sign in ` +
      `with a password (its authentication method is single sign-on, nologin, or it is suspended), or it does not exist.${sso} ` +
      "Check moodle:adminUser / moodle:adminPassword; the account must use manual accounts authentication (an admin account reserved for automation is safest)",
  );
}

/**
 * Logs in with the password; resolves with the user id Moodle's answer names. The caller holds the
 * cookie jar, which then carries the new session.
 */
export async function submitPassword(
  http: MoodleHttp,
  conn: Pick<MoodleConnection, "username" | "password">,
  forcedPageFor: ForcedPageLookup,
): Promise<{ userId: number }> {
  http.resetCookies();
  const form = await http.request({ step: STEP, method: "GET", path: MANUAL_LOGIN_PATH });
  if (form.status >= 300 && form.status < 400 && form.location) {
    const target = http.sitePath(form.location);
    throw new MoodleForcedPageError(
      STEP,
      LOGIN_PATH,
      "login redirect",
      `the login page redirects to ${target === undefined ? new URL(form.location).host : stripQuery(target)} even with Moodle's own ways to show the ` +
        "manual login form (loginredirect=0 for an alternate login URL, saml=off for auth_saml2, noredirect=1 for auth_oidc); this client needs that form. " +
        "Ask the site's admins to let this runner reach it (auth_saml2: its noredirectips setting)",
    );
  }
  const page = parseLoginPage(form.body);
  if (form.status !== 200 || !page.hasLoginForm || !page.logintoken) {
    throw new MoodleError(
      STEP,
      LOGIN_PATH,
      `no login form (HTTP ${form.status}); is ${http.base.origin}${http.base.pathname} a Moodle site? (A site that hides the form, showloginform=0, cannot be used with a password.)`,
    );
  }
  const post = await http.request({
    step: STEP,
    method: "POST",
    path: LOGIN_PATH,
    form: { anchor: "", logintoken: page.logintoken, username: conn.username, password: conn.password },
    idempotent: false,
  });
  const target = post.location ? http.sitePath(post.location) : undefined;
  // Stryker disable next-line StringLiteral: a redirect without a Location has no target, and no fallback text names a testsession.
  const testsession = post.status >= 300 && post.status < 400 ? /[?&]testsession=(\d+)/.exec(target ?? "") : null;
  if (testsession) {
    // Moodle redirects a successful login to testsession=<user id>: the Location alone is the outcome.
    return { userId: Number(testsession[1]) };
  }
  const refusedToLoginPage = target !== undefined && stripQuery(target) === LOGIN_PATH && /[?&]loginredirect=/.test(target);
  if (refusedToLoginPage && replacesSession(post)) {
    // Moodle starts a new session (session_regenerate_id) when the cookie's session is gone, and then
    // refuses the logintoken before looking at the password: not a failed attempt, and worth one retry.
    throw new MoodleSessionError(STEP, LOGIN_PATH, "the login form's session ended before the form was sent (Moodle restarted, or cookies are not kept?)");
  }
  if (refusedToLoginPage) {
    const next = await http.request({ step: STEP, method: "GET", path: target! });
    throw refusedLogin(conn.username, parseLoginPage(next.body).errorMessage, page.offersSingleSignOn);
  }
  if (post.status === 200) {
    const answer = parseLoginPage(post.body);
    // Every refused password is answered with a redirect; only a locked account's login page is shown at
    // once, with Moodle's message (authenticate_user_login: AUTH_LOGIN_LOCKOUT, admin/accountlocked).
    if (answer.hasLoginForm && answer.errorMessage) {
      throw new MoodleAccountLockedError(
        STEP,
        LOGIN_PATH,
        `Moodle refused the login for user "${conn.username}" with "${answer.errorMessage}": the account is locked after too many failed logins ` +
          "(Site administration > Security > Site security settings: lockoutthreshold), and even the right password is refused until it is unlocked. " +
          "Unlock it with the link Moodle emailed to the account, or with \"Unlock account\" in Site administration > Users > Browse list of users, " +
          "or wait for lockoutduration to pass; then make sure moodle:adminPassword is right. This run made no further attempt",
      );
    }
  }
  if (target !== undefined) {
    const forced = forcedPageFor(target);
    if (forced) throw new MoodleForcedPageError(STEP, LOGIN_PATH, forced, `after login Moodle sends the admin to "${forced}"; finish that in a browser first`);
  }
  throw new MoodleError(STEP, LOGIN_PATH, `unexpected answer HTTP ${post.status}${target ? ` redirecting to ${stripQuery(target)}` : ""}`);
}
