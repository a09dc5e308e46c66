// Issue 18 item 1 through the real engine (index.ts run by `pulumi`): a site whose Moodle-app users
// hold 30,000 tokens, phase 1 and 2 in one `up`, moodle:tokenValidDays 90. The first `up` records
// its token, a no-op preview is clean, and both cost exactly the requests they cost on a site with
// 100 other tokens. A create whose answer is lost (Moodle created the token, the answer never
// arrived) leaves no token the stack does not record, and the message says what happened.
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import { withAppTokens } from "../../testkit/moodle-double/seed";
import { projectStack, TestStack } from "../../testkit/engine/engine";

jest.setTimeout(400_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";

interface Site {
  moodle: MoodleDouble;
  test: TestStack & { dir: string };
}

async function site(otherTokens: number): Promise<Site> {
  const moodle = await startMoodleDouble({ control: true });
  const st = withAppTokens(moodle.control.state(), otherTokens);
  moodle.control.patchState({ users: st.users, tokens: st.tokens, nextIds: st.nextIds });
  const test = await projectStack();
  await test.stack.setAllConfig({
    "moodle:url": { value: moodle.url },
    "moodle:allowHttp": { value: "true" },
    "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
    "moodle:tokenName": { value: "percipio-large" },
    "moodle:tokenValidDays": { value: "90" },
    "moodle:percipioClientId": { value: "abc_DEF-123" },
    "moodle:percipioClientSecret": { value: "s3cr3t_VALUE-1", secret: true },
    "moodle:percipioOrganizationId": { value: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" },
    "moodle:percipioRegion": { value: "custom" },
    "moodle:percipioOauthUrl": { value: "https://oauth2-provider.develop.squads-dev.com" },
    "moodle:percipioApiUrl": { value: "https://api.percipio.com" },
  });
  return { moodle, test };
}

const ours = (s: Site) => (s.moodle.control.state().tokens as { id: number; name: string; token: string }[]).filter((t) => t.name.startsWith("percipio-large-"));
/** The requests of one operation, as "METHOD path" without the session's sesskey. */
const requests = (s: Site) => s.moodle.control.requests().map((r) => `${r.method} ${r.path.replace(/sesskey=[^&]+/, "sesskey=S").replace(/tokenid=\d+/, "tokenid=N")}`);

describe("a site with 30,000 other tokens, through the real engine", () => {
  let few: Site;
  let many: Site;
  const onOutput = () => undefined;

  beforeAll(async () => {
    few = await site(100);
    many = await site(30_000);
  });
  afterAll(async () => {
    for (const s of [few, many]) {
      await s?.test.dispose();
      await s?.moodle.stop();
    }
  });

  it("first up records its token, and costs the same requests as on a site with 100 other tokens", async () => {
    const perSite: string[][] = [];
    for (const s of [few, many]) {
      s.moodle.control.clearRequests();
      const up = await s.test.stack.up({ onOutput });
      // Independent resources run concurrently: compare the set of requests, not their order.
      perSite.push(requests(s).sort());
      expect(up.summary.result).toBe("succeeded");
      const [mine] = ours(s);
      expect(ours(s)).toHaveLength(1);
      expect(up.outputs.token.value).toBe(mine.token);
      // Valid for 90 days from today, recorded as created.
      expect(JSON.parse(up.outputs.handoff.value).tokenValidUntil).toBe(new Date(Date.now() + 90 * 86_400_000).toISOString().slice(0, 10));
      // The report's filter is reset: Manage tokens shows every token again.
      expect(s.moodle.control.state().reportFilters ?? {}).toEqual({});
    }
    expect(perSite[1]).toEqual(perSite[0]);
    // Never a page of the report past the first: nothing grows with the site's tokens.
    expect(perSite[1].filter((r) => /tokens\.php\?page=/.test(r))).toEqual([]);
  });

  it("a no-op preview is clean and costs the same requests on both sites (the token: calls, no page of the report)", async () => {
    const perSite: string[][] = [];
    for (const s of [few, many]) {
      s.moodle.control.clearRequests();
      const preview = await s.test.stack.preview({ onOutput });
      // The engine reads resources concurrently: the order of the reads varies between runs, their set does not.
      perSite.push(requests(s).sort());
      expect(preview.changeSummary).toEqual({ same: 7 });
    }
    expect(perSite[1]).toEqual(perSite[0]);
    // The token is read back by one call per function of its service, which also proves it exists.
    expect(perSite[1].filter((r) => r.includes("/admin/webservice/tokens.php"))).toEqual([]);
    expect(perSite[1].filter((r) => r === "POST /webservice/rest/server.php")).toHaveLength(3);
  });

  it("a replacement whose create answer is lost leaves only the recorded token, says so, and the next up succeeds", async () => {
    const before = ours(many);
    const out: string[] = [];
    await many.test.stack.setConfig("moodle:tokenRotation", { value: "lost-answer" });
    // Moodle creates the token and answers; the connection drops before the answer arrives, and
    // again for the next list view, the one that showed the value once.
    many.moodle.control.injectFault({
      method: "POST",
      path: "/admin/webservice/tokens.php",
      kind: "lost-answer",
      times: 1,
      then: { method: "GET", path: "/admin/webservice/tokens.php", kind: "lost-answer", times: 1 },
    });
    await expect(many.test.stack.up({ onOutput: (l) => out.push(l) })).rejects.toThrow();
    const text = out.join("");
    expect(text).toMatch(/the token was created but Moodle's once-only display of its value was lost .*deleted it again \(id \d+\)/);
    expect(text).not.toContain("nothing to clean up");
    // Only the token the stack records is left: the one Moodle made for the lost answer is gone.
    expect(ours(many).map((t) => t.id)).toEqual(before.map((t) => t.id));
    expect(many.moodle.control.state().reportFilters ?? {}).toEqual({});

    const up = await many.test.stack.up({ onOutput });
    expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
    expect(ours(many)).toHaveLength(1);
    expect(ours(many)[0].id).not.toBe(before[0].id);
    expect(up.outputs.token.value).toBe(ours(many)[0].token);
  });
});
