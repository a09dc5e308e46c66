// The token operations of the Moodle client against the double holding 30,000 Moodle-app tokens:
// each costs the same requests as on a site with 100, a token sorting anywhere in the report is
// found, and a create whose outcome is in doubt ends with the truth (the value recovered, the
// orphan deleted, or "nothing created" proven from a complete filtered read).
import { startMoodleDouble, MoodleDouble } from "../../testkit/moodle-double";
import { withAppTokens } from "../../testkit/moodle-double/seed";
import { MoodleClient } from "../../moodle/client";

const fast = { retryBaseMs: 20, retryMaxMs: 200 };
const SERVICE = 3;
const TOKENS = "/admin/webservice/tokens.php";

describe.each([100, 30_000])("token operations on a site with %i other tokens", (count) => {
  let d: MoodleDouble;
  let c: MoodleClient;
  const counts: Record<string, number> = {};
  const names = () => (d.control.state().tokens as { name: string; id: number }[]).filter((t) => t.name.startsWith("iac-large"));

  beforeAll(async () => {
    d = await startMoodleDouble({ control: true });
    const st = withAppTokens(d.control.state(), count);
    d.control.patchState({ users: st.users, tokens: st.tokens, nextIds: st.nextIds });
    c = new MoodleClient({ url: d.url, username: d.adminUser, password: d.adminPassword, allowHttp: true }, fast);
    await c.session();
  });
  afterAll(() => d.stop());
  beforeEach(() => d.control.clearRequests());

  /** Requests of one operation: recorded per operation so the two site sizes can be compared. */
  const measured = async <T>(label: string, op: () => Promise<T>): Promise<T> => {
    d.control.clearRequests();
    const result = await op();
    counts[label] = d.control.requests().length;
    expect(d.control.requests().filter((r) => r.path.includes("?page="))).toEqual([]);
    return result;
  };

  test("a token that sorts last (no expiry sorts first; a far date last) is found, checked and deleted in a fixed number of requests", async () => {
    const created = await measured("create", () => c.createToken({ name: "iac-large-1", userId: 2, serviceId: SERVICE, validUntil: "2049-12-31" }));
    expect(created.token).toMatch(/^[0-9a-f]{32}$/);
    expect((await measured("find", () => c.findTokens({ name: "iac-large-1", match: "exact" }))).map((r) => r.id)).toEqual([created.row.id]);
    expect((await measured("prefix", () => c.findTokens({ name: "iac-large-", match: "prefix" }))).map((r) => [r.id, r.validUntil])).toEqual([[created.row.id, "2049-12-31"]]);
    expect(await measured("exists", () => c.tokenExists(created.row.id))).toBe(true);
    await measured("delete", () => c.deleteToken(created.row.id));
    expect(await c.tokenExists(created.row.id)).toBe(false);
    expect(d.control.state().reportFilters ?? {}).toEqual({});
    // The create also reads the service form and, once per session, a token page for the report id.
    expect(counts).toEqual({ create: 7, find: 3, prefix: 3, exists: 1, delete: 2 });
  });

  test("the answer to the create lost after Moodle created it: the value is taken from the next view, one token", async () => {
    d.control.injectFault({ method: "POST", path: TOKENS, kind: "lost-answer", times: 1 });
    const created = await c.createToken({ name: "iac-large-2", userId: 2, serviceId: SERVICE });
    expect(names().map((t) => t.id)).toEqual([created.row.id]);
    await c.deleteToken(created.row.id);
  });

  test("the answer and the view with the value both lost: the orphan is deleted and the error says so", async () => {
    d.control.injectFault({ method: "POST", path: TOKENS, kind: "lost-answer", times: 1, then: { method: "GET", path: TOKENS, kind: "lost-answer", times: 1 } });
    const err = await c.createToken({ name: "iac-large-3", userId: 2, serviceId: SERVICE }).catch((e) => e);
    expect(err.message).toMatch(/the token was created but Moodle's once-only display of its value was lost \(.*\); deleted it again \(id \d+\)/);
    expect(names()).toEqual([]);
  });

  test("a create Moodle never received: 'nothing to clean up', and Moodle indeed has no such token", async () => {
    d.control.injectFault({ method: "POST", path: TOKENS, kind: "reset", times: 1 });
    const err = await c.createToken({ name: "iac-large-4", userId: 2, serviceId: SERVICE }).catch((e) => e);
    expect(err.message).toMatch(/no token was created \(.*\); nothing to clean up, safe to retry/);
    expect(names()).toEqual([]);
  });
});
