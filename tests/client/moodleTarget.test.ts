// Which target the client suite runs against, and how it counts requests on either.
import { realTargetFromEnv, recordRequests } from "../support/moodleTarget";

const site = { MOODLE_URL: "https://moodle.example.com", MOODLE_ADMIN_USER: "admin", MOODLE_ADMIN_PASSWORD: "pw" };

describe("client suite target", () => {
  test("site variables left in the shell keep `npm test` on the double", () => {
    expect(realTargetFromEnv(site)).toBe(false);
    expect(realTargetFromEnv({ ...site, MOODLE_ACCEPTANCE: "true" })).toBe(false);
  });

  test("acceptance mode (set by scripts/acceptance.sh) targets the site, and names what is missing", () => {
    expect(realTargetFromEnv({ ...site, MOODLE_ACCEPTANCE: "1" })).toBe(true);
    expect(() => realTargetFromEnv({ MOODLE_URL: site.MOODLE_URL, MOODLE_ACCEPTANCE: "1" })).toThrow(
      "MOODLE_ACCEPTANCE=1 needs MOODLE_ADMIN_USER, MOODLE_ADMIN_PASSWORD (run the suite with npm run test:acceptance)",
    );
  });

  test("the request recorder keeps one entry per request line of the transport's log, answered or not", () => {
    const rec = recordRequests();
    for (const line of [
      "GET /login/index.php -> 200 (12 ms)",
      "logged in to moodle.example.com as admin (user id 2)",
      "POST /admin/settings.php?section=optionalsubsystems -> no answer within 1500 ms (1501 ms)",
      "retrying GET /admin/webservice/tokens.php in 20 ms (attempt 2 of 4)",
      "GET /admin/webservice/tokens.php?page=1 -> 503 (3 ms)",
    ])
      rec.log(line);
    expect(rec.requests).toEqual(["GET /login/index.php", "POST /admin/settings.php?section=optionalsubsystems", "GET /admin/webservice/tokens.php?page=1"]);
    rec.clear();
    expect(rec.requests).toEqual([]);
  });
});
