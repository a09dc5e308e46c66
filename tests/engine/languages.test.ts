// The product through the real engine against a Moodle double whose admin pages speak another
// language (issue 18 item 3): the admin's own language, the site default, and a site default forced
// in config.php while the front page forces yet another (which Moodle never applies to admin pages).
// First up, a no-op preview, a hand-edited client ID found by preview and repaired by up.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as cheerio from "cheerio";
import { MoodleDouble, startMoodleDouble } from "../../testkit/moodle-double";
import type { DoubleState } from "../../testkit/moodle-double";
import { projectStack, TestStack } from "../../testkit/engine/engine";
import { Browser } from "../double/helpers";

jest.setTimeout(300_000);

const ADMIN_PASSWORD = "Admin-Pass-1!";
const PACKS = { fr: "Français \u200e(fr)\u200e", de: "Deutsch \u200e(de)\u200e", es: "Español - Internacional \u200e(es)\u200e" };

/** A valid-until far enough ahead: the token report then shows a date in the admin's language. */
const VALID_UNTIL = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);

function withAdminLanguage(state: DoubleState, lang: string): Partial<DoubleState> {
  return { users: state.users.map((u) => (u.id === 2 ? { ...u, lang } : u)) };
}

/** Name, what the site is set to, and the language the admin's pages must then be in. */
const SITES: [string, (s: DoubleState) => Partial<DoubleState>, string][] = [
  ["the admin's profile language is French", (s) => withAdminLanguage(s, "fr"), "fr"],
  ["the site default is French (the admin has no language of their own)", (s) => ({ ...withAdminLanguage(s, ""), config: { lang: "fr" } }), "fr"],
  [
    "config.php forces the site default to Spanish; the front page forces German, which admin pages never use",
    (s) => ({ ...withAdminLanguage(s, ""), config: { lang: "en" }, forced: { config: { lang: "es" } }, site: { ...s.site, lang: "de" } }),
    "es",
  ],
];

/** Dynamic resources whose step is more than a read: type, operation. */
function changedSteps(events: EngineEvent[]): { type: string; op: string }[] {
  return events
    .map((e) => e.resourcePreEvent?.metadata)
    .filter((m): m is NonNullable<typeof m> => !!m && !["same", "refresh", "read"].includes(m.op))
    .map((m) => ({ type: m.type.split(":").pop() as string, op: m.op }));
}

describe.each(SITES)("through the real engine when %s", (_name, configure, lang) => {
  let moodle: MoodleDouble;
  let test: TestStack & { dir: string };
  const output: string[] = [];
  const onOutput = (line: string) => output.push(line);
  const state = () => moodle.control.state();

  beforeAll(async () => {
    moodle = await startMoodleDouble({ control: true });
    moodle.control.patchState({ languages: PACKS });
    moodle.control.patchState(configure(state()));
    test = await projectStack();
    await test.stack.setAllConfig({
      "moodle:url": { value: moodle.url },
      "moodle:allowHttp": { value: "true" },
      "moodle:adminPassword": { value: ADMIN_PASSWORD, secret: true },
      "moodle:tokenName": { value: `percipio-${lang}` },
      "moodle:tokenValidUntil": { value: VALID_UNTIL },
      "moodle:percipioClientId": { value: "abc_DEF-123" },
      "moodle:percipioClientSecret": { value: "s3cr3t_VALUE-1", secret: true },
      "moodle:percipioOrganizationId": { value: "b001e4aa-7ac9-4d15-8ddc-b0c58f6982dd" },
    });
  });
  afterEach(async () => {
    await test.settle();
  });
  afterAll(async () => {
    await test?.dispose();
    await moodle?.stop();
  });

  it(`the admin's pages are in ${lang}`, async () => {
    const b = new Browser(moodle.url);
    await b.login("admin", ADMIN_PASSWORD);
    const page = await b.get("/admin/settings.php?section=optionalsubsystems");
    expect(page.headers["content-language"]).toBe(lang);
    expect(cheerio.load(page.body)("html").attr("lang")).toBe(lang);
  });

  it("the first up performs every step", async () => {
    const up = await test.stack.up({ onOutput });
    expect(up.summary.resourceChanges).toEqual({ create: 7 });
    const s = state();
    expect(s.config.enablewebservices).toBe("1");
    expect((s.config.webserviceprotocols ?? "").split(",")).toContain("rest");
    expect(s.tokens).toHaveLength(1);
    expect(up.outputs.token.value).toBe(s.tokens[0].token);
    expect(s.pluginConfig.percipio).toMatchObject({ authenticationmethod: "oauth", clientid: "abc_DEF-123" });
  });

  it("a preview right after it finds nothing changed (the token's valid-until read back included)", async () => {
    const events: EngineEvent[] = [];
    const preview = await test.stack.preview({ onOutput, onEvent: (e) => events.push(e) });
    expect(changedSteps(events)).toEqual([]);
    expect(preview.changeSummary).toEqual({ same: 7 });
  });

  it("a hand-edited client ID is found by preview and put back by up, the token kept", async () => {
    const token = state().tokens[0];
    moodle.control.patchState({ pluginConfig: { percipio: { clientid: "hand_edited" } } });
    const events: EngineEvent[] = [];
    await test.stack.preview({ onOutput, onEvent: (e) => events.push(e) });
    expect(changedSteps(events)).toEqual([{ type: "PercipioSettings", op: "update" }]);
    const up = await test.stack.up({ onOutput });
    expect(up.summary.resourceChanges).toEqual({ same: 6, update: 1 });
    expect(state().pluginConfig.percipio.clientid).toBe("abc_DEF-123");
    expect(state().tokens.map((t) => t.id)).toEqual([token.id]);
  });
});
