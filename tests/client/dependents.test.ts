// Counting the tokens of services, and who else needs a service, on the double or (acceptance) a real
// Moodle: the unfiltered first page and the report filtered by service name must agree, and the
// filter is reset afterwards. On a real site the token made here carries the run's prefix and is deleted.
import { MoodleClient } from "../../moodle/client";
import { MoodleTarget, startMoodleTarget } from "../support/moodleTarget";

const fast = { retryBaseMs: 20, retryMaxMs: 200 };

describe("tokens of a service and the service's other users", () => {
  let t: MoodleTarget;
  let c: MoodleClient;
  let made: number | undefined;

  beforeAll(async () => {
    t = await startMoodleTarget({ timeoutMs: 15_000 });
    c = new MoodleClient(t.conn, fast);
  });

  afterAll(async () => {
    if (!t) return;
    try {
      if (made !== undefined) await new MoodleClient(t.conn, fast).deleteToken(made);
    } finally {
      await t.stop();
    }
  });

  test("one more token on the Percipio service is counted the same by the first page and by the service filter", async () => {
    const service = (await c.findService({ shortname: "Percipio-API" }))!;
    expect(service).toBeDefined();
    const before = await new MoodleClient(t.conn, fast).tokensOnServices([service.name], { filtered: true });
    const created = await c.createToken({ name: `${t.prefix}dependent`, userId: (await c.session()).userId, serviceId: service.id });
    made = created.row.id;

    const filtered = await new MoodleClient(t.conn, fast).tokensOnServices([service.name], { filtered: true });
    expect(filtered).toMatchObject({ total: before.total + 1, exact: true });
    expect(filtered.seen[service.name]).toBeGreaterThanOrEqual(1);
    const firstPage = await new MoodleClient(t.conn, fast).tokensOnServices([service.name]);
    if (firstPage.exact) expect(firstPage.total).toBe(filtered.total);
    else expect(firstPage.total).toBeGreaterThanOrEqual(1);

    const others = await new MoodleClient(t.conn, fast).serviceDependents(service);
    expect(others.map((o) => o.kind)).toContain("service-tokens");
    // The filter was reset: the report lists every token again (the site's other tokens included).
    const all = await new MoodleClient(t.conn, fast).listTokens();
    expect(all.some((r) => r.id === made)).toBe(true);
    expect(all.length).toBeGreaterThanOrEqual(filtered.total);
  });

  test("a service nobody holds a token on counts none by its filter", async () => {
    const services = await c.listServices();
    const counts = await new MoodleClient(t.conn, fast).tokensOnServices(services.map((s) => s.name), { filtered: true });
    const seen = Object.values(counts.seen).reduce((a, b) => a + b, 0);
    expect(counts.total).toBeGreaterThanOrEqual(seen);
    const unused = services.find((s) => !counts.seen[s.name]);
    if (unused && counts.seenAll) {
      expect(await new MoodleClient(t.conn, fast).tokensOnServices([unused.name], { filtered: true })).toEqual({ total: 0, exact: true, seen: {}, seenAll: true });
    }
  });
});
