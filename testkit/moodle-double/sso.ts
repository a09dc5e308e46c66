// The SSO auth plugins' login-page hooks, simulated: auth_saml2 (catalyst/moodle-auth_saml2,
// classes/auth.php should_login_redirect()) and auth_oidc (microsoft/o365-moodle, auth/oidc/auth.php).
// Both run from login/index.php's loginpage_hook() and from require_login()'s pre_loginpage_hook() for a
// visitor who is not logged in, and neither ever intercepts a POST. There is no IdP behind them: the
// double only answers with the redirect a real site sends, so a client can tell it was bounced.
//
// Enabling: config.auth lists "saml2" / "oidc". auth_saml2 acts only once configured: the double takes
// pluginConfig.auth_saml2.idpmetadata as the IdP's SingleSignOnService URL (a real site parses it out of
// the IdP's metadata). auth_oidc redirects only with pluginConfig.auth_oidc.forceredirect = 1.
import { deflateRawSync } from "zlib";
import { randomBytes } from "crypto";
import type { DoubleState } from "./state";
import { pluginSetting } from "./state";
import type { Session } from "./sessions";
import { enabledAuthPlugins } from "./auth";

/** What the hook needs from the request (optional_param reads POST first, then GET). */
export interface SsoRequest {
  method: string;
  param(name: string): string | undefined;
  /** $_GET only. */
  query(name: string): string | undefined;
  /** The page asked for, absolute (SimpleSAML's ReturnTo). */
  url: string;
  remoteIp: string;
}

/** A redirect to answer with: 303 from Moodle's redirect(), 302 from SimpleSAML's HTTP::redirect. */
export interface SsoRedirect {
  status: 302 | 303;
  location: string;
}

/** PARAM_BOOL (lib/classes/param.php:807-818); undefined when the parameter is absent. */
export function paramBool(v: string | undefined): 0 | 1 | undefined {
  if (v === undefined) return undefined;
  const t = v.trim().toLowerCase();
  if (["on", "yes", "true"].includes(t)) return 1;
  if (["off", "no", "false"].includes(t)) return 0;
  return v === "" || v === "0" ? 0 : 1;
}

/** PHP truthiness of a config string. */
const on = (v: string | undefined) => !!v && v !== "0";

/** saml2_settings::OPTION_DUAL_LOGIN_*. */
const DUAL_NO = 0;
const DUAL_YES = 1;
const DUAL_PASSIVE = 2;
const DUAL_TEST = 3;

/**
 * Every enabled plugin's hook in $CFG->auth order; the first redirect wins. `pre` = require_login()'s
 * pre_loginpage_hook (auth_saml2's forgets an earlier ?saml=off there, so a deep link goes to the IdP).
 */
export function ssoRedirect(state: DoubleState, base: string, s: Session, req: SsoRequest, pre: boolean): SsoRedirect | undefined {
  for (const auth of enabledAuthPlugins(state)) {
    const r = auth === "saml2" ? saml2Hook(state, base, s, req, pre) : auth === "oidc" ? oidcHook(state, base, s, req) : undefined;
    if (r) return r;
  }
  return undefined;
}

function saml2Hook(state: DoubleState, base: string, s: Session, req: SsoRequest, pre: boolean): SsoRedirect | undefined {
  if (pre) delete s.saml;
  const idp = pluginSetting(state, "auth_saml2", "idpmetadata");
  if (!idp) return undefined; // is_configured() false: the plugin does nothing.
  const duallogin = Number(pluginSetting(state, "auth_saml2", "duallogin") ?? DUAL_YES);
  const decision = saml2ShouldLoginRedirect(state, base, s, req, duallogin);
  if (decision === false) return undefined;
  if (typeof decision === "string") return { status: 303, location: decision };
  return samlLogin(base, idp, req, duallogin === DUAL_PASSIVE);
}

/** should_login_redirect(): false = show the form, true = saml_login(), a string = redirect there. */
function saml2ShouldLoginRedirect(state: DoubleState, base: string, s: Session, req: SsoRequest, duallogin: number): boolean | string {
  let saml = paramBool(req.param("saml"));
  const multiidp = paramBool(req.param("multiidp")) === 1;
  if (paramBool(req.param("noredirect")) === 1) saml = 0;
  if (req.method === "POST") return false;
  const canSkip = duallogin !== DUAL_NO || !on(pluginSetting(state, "auth_saml2", "noredirectips")) || ipInList(req.remoteIp, pluginSetting(state, "auth_saml2", "noredirectips")!);
  if (saml === 0 && canSkip) {
    s.saml = 0;
    return false;
  }
  if (multiidp) return `${base}/auth/saml2/selectidp.php`;
  if (req.query("SimpleSAML_Auth_State_exceptionId")) return false;
  // `$saml == 0` in PHP: an absent parameter (null) counts as 0.
  if ((duallogin === DUAL_YES || duallogin === DUAL_TEST) && !saml) return false;
  if (saml === 1) return true;
  if (s.saml === 0 && duallogin === DUAL_NO && canSkip) return false;
  if (duallogin === DUAL_PASSIVE) return true;
  delete s.saml;
  return true;
}

/**
 * saml_login() → SimpleSAML requireAuth(): HTTP-Redirect binding to the IdP, a deflated, base64 AuthnRequest
 * and the page to come back to as RelayState; SimpleSAML answers a GET with 302.
 */
function samlLogin(base: string, idp: string, req: SsoRequest, passive: boolean): SsoRedirect {
  const id = "_" + randomBytes(21).toString("hex");
  const request =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString().replace(/\.\d+Z$/, "Z")}" Destination="${xmlEsc(idp)}"` +
    ` AssertionConsumerServiceURL="${xmlEsc(base)}/auth/saml2/sp/saml2-acs.php/${xmlEsc(new URL(base).host)}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"${passive ? ' IsPassive="true"' : ""}>` +
    `<saml:Issuer>${xmlEsc(base)}/auth/saml2/sp/metadata.php</saml:Issuer><samlp:NameIDPolicy AllowCreate="false"/></samlp:AuthnRequest>`;
  const url = new URL(idp);
  url.searchParams.set("SAMLRequest", deflateRawSync(Buffer.from(request)).toString("base64"));
  url.searchParams.set("RelayState", req.url);
  return { status: 302, location: url.toString() };
}

/** auth_oidc should_login_redirect(): only with forceredirect, never on POST, ?oidc=off / ?noredirect=1 remembered. */
function oidcHook(state: DoubleState, base: string, s: Session, req: SsoRequest): SsoRedirect | undefined {
  let oidc = paramBool(req.param("oidc"));
  if (paramBool(req.param("noredirect")) === 1) oidc = 0;
  if (!on(pluginSetting(state, "auth_oidc", "forceredirect"))) return undefined;
  if (req.method === "POST") return undefined;
  if (s.oidc === 0) return undefined;
  if (oidc === 0) {
    s.oidc = 0;
    return undefined;
  }
  delete s.oidc;
  return { status: 303, location: oidcAuthRequest(state, base) };
}

/** oidcclient::authrequest() of the authcode flow: straight to the IdP's authorize endpoint. */
function oidcAuthRequest(state: DoubleState, base: string): string {
  const url = new URL(pluginSetting(state, "auth_oidc", "authendpoint") || "https://login.microsoftonline.com/organizations/oauth2/authorize");
  const p: [string, string][] = [
    ["response_type", "code"],
    ["client_id", pluginSetting(state, "auth_oidc", "clientid") ?? ""],
    ["scope", pluginSetting(state, "auth_oidc", "oidcscope") || "openid profile email"],
    ["nonce", "N" + randomBytes(6).toString("hex")],
    ["response_mode", "form_post"],
    ["state", randomBytes(5).toString("hex")],
    ["redirect_uri", pluginSetting(state, "auth_oidc", "redirecturi") || `${base}/auth/oidc/`],
  ];
  for (const [k, v] of p) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * remoteip_in_list() for noredirectips, one entry per line (or comma): an exact IPv4 address, a prefix
 * ending in "." or an a.b.c.d/n block. Ranges and IPv6 are not modelled (they never match).
 */
function ipInList(ip: string, list: string): boolean {
  const addr = ip.replace(/^::ffff:/, "");
  return list
    .split(/[\n,]/)
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .some((e) => {
      if (e.includes("/")) {
        const [net, bits] = e.split("/");
        const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
        return ipv4(addr) !== undefined && ipv4(net) !== undefined && ((ipv4(addr)! & mask) >>> 0) === ((ipv4(net)! & mask) >>> 0);
      }
      return e.endsWith(".") ? addr.startsWith(e) : addr === e;
    });
}

function ipv4(a: string): number | undefined {
  const p = a.split(".").map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function xmlEsc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

/** SimpleSAML's HTTP::redirect() page (the body of its 302). */
export function samlRedirectBody(location: string): string {
  const href = xmlEsc(location);
  return `<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">\n  <head>\n    <meta http-equiv="content-type" content="text/html; charset=utf-8">\n    <meta http-equiv="refresh" content="0;URL='${href}'">\n    <title>Redirect</title>\n  </head>\n  <body>\n    <h1>Redirect</h1>\n    <p>You were redirected to: <a id="redirlink" href="${href}">${href}</a></p>\n  </body>\n</html>`;
}
