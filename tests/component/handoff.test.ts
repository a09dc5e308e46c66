// The handoff document sent to Skillsoft and the next-steps sentence, for every kind of run.
import { handoffDocument, nextStepsText } from "../../components/handoff";

const facts = {
  moodleUrl: "https://moodle.example.com",
  shortname: "Percipio-API",
  tokenName: "percipio-integration",
  token: "0123456789abcdef0123456789abcdef",
  validUntil: "2027-06-30",
  ipRestriction: "10.0.0.0/8",
};

describe("handoffDocument", () => {
  it("is indented JSON with the REST endpoint, the service, the token and its limits, in this order", () => {
    expect(handoffDocument(facts)).toBe(
      [
        "{",
        '  "moodleUrl": "https://moodle.example.com",',
        '  "restEndpoint": "https://moodle.example.com/webservice/rest/server.php",',
        '  "serviceShortname": "Percipio-API",',
        '  "tokenName": "percipio-integration",',
        '  "token": "0123456789abcdef0123456789abcdef",',
        '  "tokenValidUntil": "2027-06-30",',
        '  "tokenIpRestriction": "10.0.0.0/8"',
        "}",
      ].join("\n"),
    );
  });

  it("leaves out the token of an adopted token (never shown to the stack) and reads no limits as never/any", () => {
    const doc = JSON.parse(handoffDocument({ ...facts, token: undefined, validUntil: "", ipRestriction: "" }));
    expect(doc).toEqual({
      moodleUrl: "https://moodle.example.com",
      restEndpoint: "https://moodle.example.com/webservice/rest/server.php",
      serviceShortname: "Percipio-API",
      tokenName: "percipio-integration",
      tokenValidUntil: "never",
      tokenIpRestriction: "any",
    });
    expect("token" in doc).toBe(false);
  });

  it("keeps an empty-string token (only undefined means adopted)", () => {
    expect(JSON.parse(handoffDocument({ ...facts, token: "" }))).toHaveProperty("token", "");
  });
});

describe("nextStepsText", () => {
  const phase2 =
    "When Skillsoft returns the credentials, set moodle:percipioClientId, moodle:percipioClientSecret (--secret), " +
    "moodle:percipioOrganizationId and moodle:percipioRegion (or moodle:percipioOauthUrl/percipioApiUrl), then run pulumi up.";
  const send = "(pulumi stack output handoff --show-secrets)";

  it("phase 1, first token: issued on its day, send the handoff, then the keys to set", () => {
    expect(nextStepsText({ percipioConfigured: false, adopted: false, issuedAt: "2026-11-28T23:59:00.000Z", generation: 0 })).toBe(
      `Phase 1 done. Token issued on 2026-11-28: Skillsoft needs the handoff with it ${send}. ${phase2}`,
    );
  });

  it("an unknown issue time (state of an earlier version) says issued without a day", () => {
    expect(nextStepsText({ percipioConfigured: false, adopted: false, issuedAt: "", generation: 0 })).toBe(
      `Phase 1 done. Token issued: Skillsoft needs the handoff with it ${send}. ${phase2}`,
    );
    // A replacement whose time is unknown cannot say when it was replaced.
    expect(nextStepsText({ percipioConfigured: true, adopted: false, issuedAt: "", generation: 2 })).toContain(
      `Token issued: Skillsoft needs the handoff with it ${send}.`,
    );
  });

  it("a replaced token says replaced on its day and to send the new handoff", () => {
    expect(nextStepsText({ percipioConfigured: true, adopted: false, issuedAt: "2027-01-05T08:00:00.000Z", generation: 1 })).toBe(
      "Done: web services, the Percipio service, the token and mod_percipio's OAuth settings are in place. " +
        `Token replaced on 2027-01-05: send the new handoff to Skillsoft ${send}.`,
    );
  });

  it("an adopted token has nothing to send, whatever its generation", () => {
    const text = nextStepsText({ percipioConfigured: false, adopted: true, issuedAt: "2027-01-05T08:00:00.000Z", generation: 3 });
    expect(text).toBe(
      `Phase 1 done. The token is the adopted hand-made one: Skillsoft keeps the value it already has; nothing to send. ${phase2}`,
    );
  });
});

describe("nextStepsText: whether Moodle accepted the token", () => {
  const issued = { adopted: false, issuedAt: "2026-11-28T23:59:00.000Z", generation: 0 };

  it("a token Moodle accepted (or state of an earlier version) adds nothing", () => {
    const plain = nextStepsText({ ...issued, percipioConfigured: true });
    expect(nextStepsText({ ...issued, percipioConfigured: true, acceptedByMoodle: "yes" })).toBe(plain);
    expect(plain).toBe(
      "Done: web services, the Percipio service, the token and mod_percipio's OAuth settings are in place. " +
        "Token issued on 2026-11-28: Skillsoft needs the handoff with it (pulumi stack output handoff --show-secrets).",
    );
  });

  it("a token not proven says why it was not checked, right after the token sentence, in both phases", () => {
    const why = "the token expires within a day (its successor is checked)";
    const done = nextStepsText({ ...issued, percipioConfigured: true, acceptedByMoodle: `not proven: ${why}` });
    expect(done).toBe(
      "Done: web services, the Percipio service, the token and mod_percipio's OAuth settings are in place. " +
        `Token issued on 2026-11-28: Skillsoft needs the handoff with it (pulumi stack output handoff --show-secrets). Not checked from here: ${why}.`,
    );
    const phase1 = nextStepsText({ ...issued, percipioConfigured: false, acceptedByMoodle: `not proven: ${why}` });
    expect(phase1).toContain(`(pulumi stack output handoff --show-secrets). Not checked from here: ${why}. When Skillsoft returns the credentials`);
  });

  it("only a value that starts with 'not proven' counts, not a refusal that merely quotes it", () => {
    const text = nextStepsText({ ...issued, percipioConfigured: true, acceptedByMoodle: "refused: core_webservice_get_site_info said not proven" });
    expect(text).not.toContain("Not checked from here");
  });
});
