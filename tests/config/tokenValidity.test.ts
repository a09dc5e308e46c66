// The token's rolling validity (moodle:tokenValidDays) and renewal window (moodle:tokenRenewBeforeDays),
// next to the fixed moodle:tokenValidUntil they exclude.
import { ConfigReader, loadStackSettings, StackConfigError } from "../../config/stack";

const NOW = new Date("2026-11-27T12:00:00Z");
const base = { url: "https://moodle.example.com", adminPassword: "Admin-Pass-1!" };
const reader =
  (values: Record<string, string>): ConfigReader =>
  (key) => ({ value: values[key], secret: key === "adminPassword" });

function problemsOf(values: Record<string, string>): string[] {
  try {
    loadStackSettings(reader({ ...base, ...values }), NOW);
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("token validity config", () => {
  it("a rolling validity with the default renewal window of 14 days", () => {
    expect(loadStackSettings(reader({ ...base, tokenValidDays: "90" }), NOW).token).toMatchObject({ validUntil: "", validDays: 90, renewBeforeDays: 14 });
    expect(loadStackSettings(reader({ ...base, tokenValidDays: "30", tokenRenewBeforeDays: "29" }), NOW).token).toMatchObject({ validDays: 30, renewBeforeDays: 29 });
  });

  it("without it, a fixed date works as before (Pulumi.yaml's default 0 is off)", () => {
    expect(loadStackSettings(reader({ ...base, tokenValidUntil: "2027-06-30", tokenValidDays: "0" }), NOW).token).toMatchObject({ validUntil: "2027-06-30", validDays: 0 });
  });

  it("refuses both a date and a rolling validity, naming both keys", () => {
    expect(problemsOf({ tokenValidUntil: "2027-06-30", tokenValidDays: "90" })).toEqual([
      "moodle:tokenValidDays: and moodle:tokenValidUntil are both set; they are mutually exclusive (a rolling validity or a fixed date). Unset one, e.g. pulumi config rm moodle:tokenValidUntil",
    ]);
  });

  it("refuses a single day: Moodle expires the token at the start of its valid-until day", () => {
    expect(problemsOf({ tokenValidDays: "1", tokenRenewBeforeDays: "1" })).toEqual([
      "moodle:tokenValidDays: must be at least 2, got 1: Moodle expires a token at the start of its valid-until day in the site's timezone. Example: pulumi config set moodle:tokenValidDays 90",
    ]);
    expect(problemsOf({ tokenValidDays: "2", tokenRenewBeforeDays: "1" })).toEqual([]);
  });

  it("refuses a renewal window as long as the validity (every run would replace the token)", () => {
    expect(problemsOf({ tokenValidDays: "14" })).toEqual([
      "moodle:tokenRenewBeforeDays: must be less than moodle:tokenValidDays (14), got 14: else every run would replace the token. Example: pulumi config set moodle:tokenRenewBeforeDays 7",
    ]);
    expect(problemsOf({ tokenValidDays: "15" })).toEqual([]);
  });

  it("refuses values that are not whole numbers in range, naming the key", () => {
    expect(problemsOf({ tokenValidDays: "ninety" }).join()).toContain("moodle:tokenValidDays: must be a whole number from 0 to 3650, got 'ninety'");
    expect(problemsOf({ tokenValidDays: "90", tokenRenewBeforeDays: "0" }).join()).toContain("moodle:tokenRenewBeforeDays: must be a whole number from 1 to 3650, got '0'");
  });
});
