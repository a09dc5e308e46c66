// When the real-site suites run, and what they do when the real Moodle is not there.
import { realSiteUnavailable } from "../support/realSite";

describe("real-site suites", () => {
  test("run only when scripts/test.sh started the site (MOODLE_REAL_SITE=1)", () => {
    expect(realSiteUnavailable({ MOODLE_REAL_SITE: "1" })).toBeUndefined();
    // A site left running, or its URL in the shell, is not enough: these suites reset it.
    expect(realSiteUnavailable({ MOODLE_URL: "http://127.0.0.1:8450" })).toMatch(/MOODLE_REAL_SITE is not 1/);
    expect(realSiteUnavailable({ MOODLE_REAL_SITE: "true" })).toMatch(/MOODLE_REAL_SITE is not 1/);
  });

  test("say why they cannot, with the reason scripts/test.sh found", () => {
    expect(realSiteUnavailable({ MOODLE_REAL_SITE_SKIPPED: "not root (…)" })).toBe("not root (…)");
  });
});
