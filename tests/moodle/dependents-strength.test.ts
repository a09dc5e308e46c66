// What destroy asks before it switches web services (or the Percipio service) off: who else needs them.
// A dependent reported where there is none would keep a switch on that nobody needs; one missed would
// cut off the Moodle app or another integration. Read on recorded Moodle 5.0 pages through a stand-in
// session (which pages, in which order, and which may be a page already read), and on the double for
// a site whose enabled services hold more tokens than one page of Manage tokens shows.
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { withAppTokens } from "../../testkit/moodle-double/seed";
import { MoodleClient } from "../../moodle/client";
import { serviceDependents, webServiceDependents } from "../../moodle/dependents";
import { MoodleError } from "../../moodle/errors";
import { page } from "./fixtures";
import { errorPage, ok, session } from "./standInSession";

const WEB_SERVICES_ON = page("5.0", "b3-optionalsubsystems-after.html"); // web services on, the Moodle app off
const SERVICES_RESTRICTED = page("5.0", "d1-externalservices.html"); // mobile (1) disabled; "Percipio services" (2) enabled, authorised users only
const SERVICES_OPEN = page("5.0", "p1-externalservices.html"); // mobile (1) disabled; "Percipio services" (3) enabled, all users
const NO_TOKENS = page("5.0", "e1-tokens-list-empty.html");
const ONE_TOKEN = page("5.0", "p9-tokens-list-again.html"); // one token on "Percipio services"
const NOBODY_AUTHORISED = page("5.0", "d7-service-users.html");
const ADMIN_AUTHORISED = page("5.0", "d8-service-users-add.html"); // user 2 authorised
const paths = (sent: { path: string }[]) => sent.map((r) => r.path);

describe("what else needs web services", () => {
  it("an enabled service restricted to authorised users, with no tokens and nobody authorised: nothing", async () => {
    const { s, sent } = session([ok(WEB_SERVICES_ON), ok(SERVICES_RESTRICTED), ok(NO_TOKENS), ok(NOBODY_AUTHORISED)]);
    expect(await webServiceDependents(s)).toEqual([]);
    expect(paths(sent)).toEqual([
      "/admin/settings.php?section=optionalsubsystems",
      "/admin/settings.php?section=externalservices",
      "/admin/webservice/tokens.php",
      "/admin/webservice/service_users.php?id=2",
    ]);
  });

  it("the same service with a user authorised on it: that service", async () => {
    const { s } = session([ok(WEB_SERVICES_ON), ok(SERVICES_RESTRICTED), ok(NO_TOKENS), ok(ADMIN_AUTHORISED)]);
    const found = await webServiceDependents(s);
    expect(found.map((d) => d.kind)).toEqual(["service-users"]);
    expect(found[0].reason).toMatch(/"Percipio services".*\b1 authorised user\b/);
  });

  it("an enabled service open to all users with no tokens: nothing, and its user list is not read", async () => {
    const { s, sent } = session([ok(WEB_SERVICES_ON), ok(SERVICES_OPEN), ok(NO_TOKENS)]);
    expect(await webServiceDependents(s)).toEqual([]);
    expect(sent).toHaveLength(3);
  });

  it("every page it reads may be one read since the last write (no new requests right after another step read them)", async () => {
    const { s, flags } = session([ok(WEB_SERVICES_ON), ok(SERVICES_RESTRICTED), ok(NO_TOKENS), ok(NOBODY_AUTHORISED)]);
    await webServiceDependents(s);
    expect(flags.map((f) => f.reuse)).toEqual([true, true, true, true]);
  });

  it("a page that fails says it was this check that failed", async () => {
    const { s } = session([ok(WEB_SERVICES_ON), ok(errorPage("Error reading from database", "dmlreadexception"))]);
    const err = (await webServiceDependents(s).catch((e: unknown) => e)) as MoodleError;
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.step).toMatch(/what else uses web services/);
  });
});

describe("what else needs one service", () => {
  const restricted = { id: 2, name: "Percipio services", restrictedUsers: true };
  const open = { id: 3, name: "Percipio services", restrictedUsers: false };

  it("restricted to authorised users, without tokens and with nobody (else) authorised: nothing", async () => {
    const { s, sent } = session([ok(NO_TOKENS), ok(NOBODY_AUTHORISED)]);
    expect(await serviceDependents(s, restricted)).toEqual([]);
    expect(paths(sent)).toEqual(["/admin/webservice/tokens.php", "/admin/webservice/service_users.php?id=2"]);
  });

  it("restricted, with a user still authorised: that user", async () => {
    const { s } = session([ok(NO_TOKENS), ok(ADMIN_AUTHORISED)]);
    const found = await serviceDependents(s, restricted);
    expect(found.map((d) => d.kind)).toEqual(["service-users"]);
    expect(found[0].reason).toMatch(/\b1 authorised user\b/);
  });

  it("open to all users: its authorised-user list (which Moodle then ignores) is not read, and no token means nothing", async () => {
    const { s, sent } = session([ok(NO_TOKENS)]);
    expect(await serviceDependents(s, open)).toEqual([]);
    expect(paths(sent)).toEqual(["/admin/webservice/tokens.php"]);
  });

  it("a token of someone else on it is a dependent", async () => {
    const { s } = session([ok(ONE_TOKEN)]);
    const found = await serviceDependents(s, open);
    expect(found.map((d) => d.kind)).toEqual(["service-tokens"]);
    expect(found[0].reason).toMatch(/^1 token\b/);
  });

  it("may use pages read since the last write (the caller just removed its own token and users)", async () => {
    const { s, flags } = session([ok(NO_TOKENS), ok(NOBODY_AUTHORISED)]);
    await serviceDependents(s, restricted);
    expect(flags.map((f) => f.reuse)).toEqual([true, true]);
  });

  it("a page that fails names the service whose dependents were being checked", async () => {
    const { s } = session([ok(errorPage("Error reading from database", "dmlreadexception"))]);
    const err = (await serviceDependents(s, restricted).catch((e: unknown) => e)) as MoodleError;
    expect(err).toBeInstanceOf(MoodleError);
    expect(err.step).toMatch(/"Percipio services"/);
  });
});

describe("enabled services with more tokens than one page of Manage tokens shows", () => {
  let d: MoodleDouble;
  beforeAll(async () => {
    d = await startMoodleDouble({ control: true });
  });
  afterAll(() => d.stop());

  it("names the service seen on the filtered page, and the tokens Moodle counted beyond that page", async () => {
    d.control.reset();
    const state = d.control.state() as any;
    const percipio = state.services.find((s: any) => s.shortname === "Percipio-API");
    const st = withAppTokens(state, 40);
    let id = st.nextIds.token;
    // 45 tokens on the enabled Percipio service, dated to sort after the (disabled) app's on the unfiltered report.
    const percipioTokens = Array.from({ length: 45 }, (_, i) => ({
      id: id++, token: (0x2000000 + i).toString(16).padStart(8, "0").repeat(4), name: `lms-${i}`, userId: 2, serviceId: percipio.id,
      iprestriction: "", validuntil: 2_500_000_000 + i, lastaccess: 0, creatorId: 2, timecreated: 1_700_000_000 + i,
    }));
    d.control.patchState({
      config: { ...state.config, enablewebservices: "1", webserviceprotocols: "rest" },
      users: st.users,
      tokens: [...st.tokens, ...percipioTokens],
      nextIds: { ...st.nextIds, token: id },
      services: state.services.map((s: any) => ({ ...s, enabled: s.id === percipio.id })),
    });
    const c = new MoodleClient({ url: d.url, username: d.adminUser, password: d.adminPassword, allowHttp: true }, { retryBaseMs: 20, retryMaxMs: 200 });
    const found = await c.webServiceDependents();
    expect(found.map((x) => x.kind)).toEqual(["service-tokens", "service-tokens"]);
    expect(found[0].reason).toMatch(/"Percipio services" \(at least 30 tokens\)/);
    expect(found[1].reason).toMatch(/^15 more tokens\b/);
  });
});
