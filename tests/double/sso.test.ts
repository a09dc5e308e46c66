// The login page's redirects away from the manual form: core alternateloginurl, auth_saml2 and auth_oidc
// (with their bypass parameters), and accounts whose auth method cannot use a password
// (/tmp/research/sso-lockout.md §1-5).
import { inflateRawSync } from "zlib";
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import type { DoubleUser } from "../../testkit/moodle-double";
import { $, Browser, Resp } from "./helpers";

const ALT = "https://portal.example.test/moodle-login";
const IDP = "https://idp.example.test/idp/profile/SAML2/Redirect/SSO";
const AUTHORIZE = "https://login.example.test/tenant/oauth2/authorize";

describe("moodle double: SSO redirects and password-less accounts", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble();
  });
  afterAll(() => d.stop());
  beforeEach(() => d.control.reset());

  const token = (r: Resp) => $(r.body)('form#login input[name="logintoken"]').attr("value") ?? "";

  /** GET `page`, then POST the manual form with its token. */
  async function postLogin(b: Browser, page: string, username: string, password: string): Promise<Resp> {
    const form = await b.get(page);
    expect(form.status).toBe(200);
    return b.post("/login/index.php", { anchor: "", logintoken: token(form), username, password });
  }

  function saml2(duallogin: string, extra: Record<string, string> = {}): void {
    d.control.patchState({ config: { auth: "email,saml2" }, pluginConfig: { auth_saml2: { duallogin, idpmetadata: IDP, ...extra } } });
  }

  function oidc(forceredirect = "1"): void {
    d.control.patchState({ config: { auth: "oidc" }, pluginConfig: { auth_oidc: { forceredirect, authendpoint: AUTHORIZE, clientid: "client-123" } } });
  }

  describe("alternateloginurl", () => {
    beforeEach(() => d.control.patchState({ config: { alternateloginurl: ALT } }));

    test("GET /login/index.php: 303 to it; ?loginredirect=0 shows the form", async () => {
      const b = new Browser(d.url);
      const r = await b.get("/login/index.php");
      expect(r.status).toBe(303);
      expect(r.location).toBe(ALT);
      expect(r.headers["x-redirect-by"]).toBe("Moodle");
      const form = await b.get("/login/index.php?loginredirect=0");
      expect(form.status).toBe(200);
      expect(token(form)).toMatch(/^[A-Za-z0-9]{32}$/);
    });

    test("a failed POST goes back to the form after ?loginredirect=0, to the alternate page with errorcode=3 otherwise", async () => {
      const b = new Browser(d.url);
      const r = await postLogin(b, "/login/index.php?loginredirect=0", "admin", "wrong");
      expect(r.status).toBe(303);
      expect(r.location).toBe(`${d.url}/login/index.php?loginredirect=0`);
      const shown = await b.get(r.location!);
      expect(shown.status).toBe(200);
      expect($(shown.body)("#loginerrormessage").text()).toBe("Invalid login, please try again");
      // On a failure the session's value wins over the POST's own parameter...
      expect((await b.post("/login/index.php?loginredirect=1", { logintoken: "", username: "admin", password: "wrong" })).location).toBe(`${d.url}/login/index.php?loginredirect=0`);
      // ...which counts only in a session that has none; without either, the alternate page with errorcode=3.
      expect((await new Browser(d.url).post("/login/index.php?loginredirect=0", { logintoken: "", username: "admin", password: "wrong" })).location).toBe(`${d.url}/login/index.php?loginredirect=0`);
      expect((await new Browser(d.url).post("/login/index.php", { logintoken: "", username: "admin", password: "wrong" })).location).toBe(`${ALT}?errorcode=3`);
    });

    test("the alternate URL keeps its own query; the login token is not checked; a good password logs in", async () => {
      d.control.patchState({ config: { alternateloginurl: `${ALT}?from=moodle` } });
      const b = new Browser(d.url);
      expect((await b.post("/login/index.php", { logintoken: "", username: "admin", password: "nope" })).location).toBe(`${ALT}?from=moodle&errorcode=3`);
      const ok = await new Browser(d.url).post("/login/index.php", { logintoken: "not-the-token", username: "admin", password: "Admin-Pass-1!" });
      expect(ok.location).toBe(`${d.url}/login/index.php?testsession=2`);
    });
  });

  describe("auth_saml2", () => {
    test("duallogin=0: GET /login/index.php is a 302 to the IdP with a SAMLRequest and RelayState", async () => {
      saml2("0");
      const r = await new Browser(d.url).get("/login/index.php");
      expect(r.status).toBe(302);
      const to = new URL(r.location!);
      expect(`${to.origin}${to.pathname}`).toBe(IDP);
      expect(to.searchParams.get("RelayState")).toBe(`${d.url}/login/index.php`);
      const request = inflateRawSync(Buffer.from(to.searchParams.get("SAMLRequest")!, "base64")).toString();
      expect(request).toMatch(/^<samlp:AuthnRequest /);
      expect(request).toContain(`Destination="${IDP}"`);
      expect(request).not.toContain("IsPassive");
    });

    test("?saml=off, ?saml=0 and ?noredirect=1 show the form and are remembered, so a failed login's page stays; POSTs are never intercepted", async () => {
      saml2("0");
      for (const bypass of ["saml=off", "saml=0", "noredirect=1"]) {
        const b = new Browser(d.url);
        const r = await postLogin(b, `/login/index.php?${bypass}`, "admin", "wrong");
        expect(r.location).toBe(`${d.url}/login/index.php?loginredirect=1`);
        const shown = await b.get(r.location!);
        expect([bypass, shown.status]).toEqual([bypass, 200]);
        expect($(shown.body)("#loginerrormessage").text()).toBe("Invalid login, please try again");
        expect((await b.get("/login/index.php")).status).toBe(200);
      }
      const direct = await new Browser(d.url).post("/login/index.php", { logintoken: "", username: "admin", password: "Admin-Pass-1!" });
      expect(direct.status).toBe(303);
      expect(direct.location).toBe(`${d.url}/login/index.php?loginredirect=1`);
      const b = new Browser(d.url);
      const ok = await postLogin(b, "/login/index.php?saml=off", "admin", "Admin-Pass-1!");
      expect(ok.location).toBe(`${d.url}/login/index.php?testsession=2`);
    });

    test("require_login's hook forgets ?saml=off: a deep link while logged out goes to the IdP", async () => {
      saml2("0");
      const b = new Browser(d.url);
      expect((await b.get("/login/index.php?saml=off")).status).toBe(200);
      const deep = await b.get("/admin/webservice/tokens.php");
      expect(deep.status).toBe(302);
      expect(deep.location!.startsWith(`${IDP}?SAMLRequest=`)).toBe(true);
      expect(new URL(deep.location!).searchParams.get("RelayState")).toBe(`${d.url}/admin/webservice/tokens.php`);
      expect((await b.get("/login/index.php")).status).toBe(302);
    });

    test("duallogin=1 (the default) shows the form unless ?saml=on; passive mode redirects with IsPassive even after ?saml=off was remembered", async () => {
      saml2("1");
      const b = new Browser(d.url);
      expect((await b.get("/login/index.php")).status).toBe(200);
      expect((await b.get("/login/index.php?saml=on")).status).toBe(302);
      expect((await b.get("/login/index.php?multiidp=on")).location).toBe(`${d.url}/auth/saml2/selectidp.php`);
      saml2("2");
      const p = new Browser(d.url);
      expect((await p.get("/login/index.php?saml=off")).status).toBe(200);
      const passive = await p.get("/login/index.php");
      expect(passive.status).toBe(302);
      expect(inflateRawSync(Buffer.from(new URL(passive.location!).searchParams.get("SAMLRequest")!, "base64")).toString()).toContain('IsPassive="true"');
    });

    test("not configured (no IdP) or not enabled in config.auth: no redirect", async () => {
      saml2("0", { idpmetadata: "" });
      expect((await new Browser(d.url).get("/login/index.php")).status).toBe(200);
      saml2("0");
      d.control.patchState({ config: { auth: "email" } });
      expect((await new Browser(d.url).get("/login/index.php")).status).toBe(200);
    });

    test("noredirectips: the bypass works only from a listed address", async () => {
      saml2("0", { noredirectips: "10.9.9.9\n192.168.0.0/16" });
      expect((await new Browser(d.url).get("/login/index.php?saml=off")).status).toBe(302);
      saml2("0", { noredirectips: "127.0.0." });
      expect((await new Browser(d.url).get("/login/index.php?saml=off")).status).toBe(200);
    });
  });

  describe("auth_oidc", () => {
    test("forceredirect=1: 303 to the authorize endpoint with Moodle's redirect()", async () => {
      oidc();
      const r = await new Browser(d.url).get("/login/index.php");
      expect(r.status).toBe(303);
      expect(r.headers["x-redirect-by"]).toBe("Moodle");
      const to = new URL(r.location!);
      expect(`${to.origin}${to.pathname}`).toBe(AUTHORIZE);
      expect(to.searchParams.get("response_type")).toBe("code");
      expect(to.searchParams.get("client_id")).toBe("client-123");
      expect(to.searchParams.get("response_mode")).toBe("form_post");
      expect(to.searchParams.get("redirect_uri")).toBe(`${d.url}/auth/oidc/`);
      expect(to.searchParams.get("state")).toBeTruthy();
      expect(to.searchParams.get("nonce")).toBeTruthy();
    });

    test("?noredirect=1 or ?oidc=off shows the form for the rest of the session, deep links included; forceredirect=0 never redirects", async () => {
      oidc();
      for (const bypass of ["noredirect=1", "oidc=off"]) {
        const b = new Browser(d.url);
        expect((await b.get(`/login/index.php?${bypass}`)).status).toBe(200);
        expect((await b.get("/login/index.php")).status).toBe(200);
        expect((await b.get("/admin/webservice/tokens.php")).location).toBe(`${d.url}/login/index.php`);
      }
      const b = new Browser(d.url);
      expect((await b.get("/admin/webservice/tokens.php")).location!.startsWith(AUTHORIZE)).toBe(true);
      const ok = await b.post("/login/index.php", { logintoken: token(await b.get("/login/index.php?noredirect=1")), username: "admin", password: "Admin-Pass-1!" });
      expect(ok.location).toBe(`${d.url}/login/index.php?testsession=2`);
      oidc("0");
      expect((await new Browser(d.url).get("/login/index.php")).status).toBe(200);
    });
  });

  describe("accounts that cannot log in with a password", () => {
    const users = (): DoubleUser[] => {
      const base = d.control.state().users[0];
      const u = (id: number, username: string, auth: string, extra: Partial<DoubleUser> = {}): DoubleUser => ({ ...base, id, username, auth, siteAdmin: false, password: "Right-1!", email: `${username}@example.com`, ...extra });
      return [base, u(10, "samluser", "saml2"), u(11, "oidcuser", "oidc"), u(12, "nologinuser", "nologin"), u(13, "manualuser", "manual"), u(14, "suspendeduser", "manual", { suspended: true })];
    };

    test("saml2, oidc, nologin and suspended accounts fail with the right password exactly like a wrong one; a manual account logs in", async () => {
      d.control.patchState({ config: { auth: "email,saml2,oidc" }, users: users() });
      const wrong = await postLogin(new Browser(d.url), "/login/index.php", "manualuser", "wrong");
      for (const name of ["samluser", "oidcuser", "nologinuser", "suspendeduser", "nosuchuser"]) {
        const b = new Browser(d.url);
        const r = await postLogin(b, "/login/index.php", name, "Right-1!");
        expect([name, r.status, r.location]).toEqual([name, wrong.status, wrong.location]);
        expect($((await b.get(r.location!)).body)("#loginerrormessage").text()).toBe("Invalid login, please try again");
      }
      expect((await postLogin(new Browser(d.url), "/login/index.php", "manualuser", "Right-1!")).location).toBe(`${d.url}/login/index.php?testsession=13`);
    });

    test("an SSO account whose plugin is disabled fails the same way", async () => {
      d.control.patchState({ config: { auth: "email" }, users: users() });
      const r = await postLogin(new Browser(d.url), "/login/index.php", "samluser", "Right-1!");
      expect(r.location).toBe(`${d.url}/login/index.php?loginredirect=1`);
    });
  });
});
