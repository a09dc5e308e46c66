// The policy pack's checks on the values the engine shows it; tests/engine/policy.test.ts runs the
// pack itself through `pulumi preview`.
import {
  adoptedTokenProblems,
  expiryProblems,
  ipRangeProblems,
  ipRestrictionProblems,
  latestValidUntil,
  percipioHostProblems,
  transportProblems,
  verificationProblems,
} from "../../policy/rules";

const NOW = new Date("2026-11-28T23:00:00Z");
const US = { oauthUrl: "https://oauth2-provider.percipio.com", apiUrl: "https://api.percipio.com" };
const EU = { oauthUrl: "https://euc1-prod-oauth2-provider.percipio.com", apiUrl: "https://dew1-api.percipio.com" };

describe("moodle-https-only", () => {
  it("accepts an https site without allowHttp", () => {
    expect(transportProblems({ allowHttp: false, moodleUrl: "https://moodle.example.com/sub" })).toEqual([]);
    expect(transportProblems({ allowHttp: false, moodleUrl: "HTTPS://MOODLE.EXAMPLE.COM" })).toEqual([]);
  });

  it("refuses allowHttp, naming the key, without reading the URL (unknown in docker mode during preview)", () => {
    const props = {
      allowHttp: true,
      get moodleUrl(): string {
        throw new Error("unknown during preview");
      },
    };
    const [problem, ...rest] = transportProblems(props);
    expect(rest).toEqual([]);
    expect(problem).toContain("moodle:allowHttp is true");
    expect(problem).toContain("pulumi config rm moodle:allowHttp");
  });

  it("refuses a URL that is not https, naming moodle:url", () => {
    expect(transportProblems({ allowHttp: false, moodleUrl: "http://moodle.example.com" })).toEqual([
      "moodle:url 'http://moodle.example.com' is not https: set it to the site's https address, e.g. pulumi config set moodle:url https://moodle.example.com",
    ]);
    expect(transportProblems({ allowHttp: false })).toHaveLength(1);
  });
});

describe("moodle-tls-verified", () => {
  it("refuses NODE_TLS_REJECT_UNAUTHORIZED=0 and points at moodle:caCertPath", () => {
    const [problem] = verificationProblems({ NODE_TLS_REJECT_UNAUTHORIZED: "0" });
    expect(problem).toContain("NODE_TLS_REJECT_UNAUTHORIZED=0");
    expect(problem).toContain("moodle:caCertPath");
  });
  it("accepts verification left on", () => {
    expect(verificationProblems({})).toEqual([]);
    expect(verificationProblems({ NODE_TLS_REJECT_UNAUTHORIZED: "1" })).toEqual([]);
  });
});

describe("moodle-token-ip-restricted", () => {
  it("accepts addresses and ranges", () => {
    expect(ipRestrictionProblems("203.0.113.10, 198.51.100.0/24,2001:db8::/48")).toEqual([]);
  });
  it("refuses an empty restriction, naming moodle:tokenIpRestriction", () => {
    for (const empty of ["", " , "]) {
      const [problem, ...rest] = ipRestrictionProblems(empty);
      expect(rest).toEqual([]);
      expect(problem).toMatch(/^moodle:tokenIpRestriction is empty, so the token works from any address/);
      expect(problem).toContain("pulumi config set moodle:tokenIpRestriction");
    }
  });
  it("refuses catch-all entries, one problem each", () => {
    expect(ipRestrictionProblems("203.0.113.10,0.0.0.0/0,::/0")).toEqual([
      "moodle:tokenIpRestriction entry '0.0.0.0/0' allows every address: list Skillsoft's addresses instead",
      "moodle:tokenIpRestriction entry '::/0' allows every address: list Skillsoft's addresses instead",
    ]);
  });
});

describe("moodle-token-ip-range-narrow", () => {
  const limits = { minIpv4PrefixLength: 24, minIpv6PrefixLength: 64 };
  it("accepts single addresses and ranges up to the limits", () => {
    expect(ipRangeProblems("203.0.113.10,198.51.100.0/24,2001:db8::1,2001:db8::/64", limits)).toEqual([]);
  });
  it("flags wider ranges against the IPv4 and IPv6 limit each", () => {
    expect(ipRangeProblems("198.51.100.0/23,2001:db8::/63,2001:db8::/24", { minIpv4PrefixLength: 24, minIpv6PrefixLength: 32 })).toEqual([
      "moodle:tokenIpRestriction entry '198.51.100.0/23' is a range wider than /24: narrow it to the addresses Skillsoft calls from",
      "moodle:tokenIpRestriction entry '2001:db8::/24' is a range wider than /32: narrow it to the addresses Skillsoft calls from",
    ]);
    expect(ipRangeProblems("2001:db8::/63", limits)).toEqual([
      "moodle:tokenIpRestriction entry '2001:db8::/63' is a range wider than /64: narrow it to the addresses Skillsoft calls from",
    ]);
  });
  it("leaves catch-alls to moodle-token-ip-restricted", () => {
    expect(ipRangeProblems("0.0.0.0/0", limits)).toEqual([]);
  });
});

describe("moodle-token-expires", () => {
  it("computes the latest allowed date in UTC days", () => {
    expect(latestValidUntil(NOW, 1)).toBe("2026-11-29");
    expect(latestValidUntil(NOW, 365)).toBe("2027-11-28");
  });
  it("accepts a date up to maxDays ahead", () => {
    expect(expiryProblems({ validUntil: "2027-11-28" }, 365, NOW)).toEqual([]);
    expect(expiryProblems({ validUntil: "2027-01-01" }, 365, NOW)).toEqual([]);
  });
  it("refuses a date further ahead, giving the latest allowed one", () => {
    expect(expiryProblems({ validUntil: "2027-11-29" }, 365, NOW)).toEqual([
      "moodle:tokenValidUntil 2027-11-29 is more than 365 days ahead: set it to 2027-11-28 or earlier, e.g. pulumi config set moodle:tokenValidUntil 2027-11-28",
    ]);
    expect(expiryProblems({ validUntil: "2027-01-01" }, 30, NOW)[0]).toContain("set it to 2026-12-28 or earlier");
  });
  it("refuses a token that never expires", () => {
    expect(expiryProblems({ validUntil: "" }, 90, NOW)).toEqual([
      "moodle:tokenValidUntil is empty, so the token never expires: set a date at most 90 days ahead, e.g. pulumi config set moodle:tokenValidUntil 2027-02-26",
    ]);
    expect(expiryProblems({}, 90, NOW)).toHaveLength(1);
  });
  it("accepts a rolling validity (moodle:tokenValidDays) up to maxDays instead of a date", () => {
    expect(expiryProblems({ validUntil: "", validDays: 90 }, 90, NOW)).toEqual([]);
    expect(expiryProblems({ validUntil: "", validDays: 91 }, 90, NOW)).toEqual([
      "moodle:tokenValidDays is 91: a token may be valid for at most 90 days; set it to 90 or less",
    ]);
    // No rolling validity: the date decides.
    expect(expiryProblems({ validUntil: "", validDays: 0 }, 90, NOW)).toHaveLength(1);
    expect(expiryProblems({ validUntil: "", validDays: "30" }, 90, NOW)).toHaveLength(1);
  });
});

describe("moodle-adopted-token-compliant", () => {
  const adopted = { adopted: true, moodleName: "percipio-by-hand", ipRestriction: "203.0.113.10", validUntil: "2027-01-01" };

  it("accepts an adopted token whose restriction and expiry in Moodle meet the rules", () => {
    expect(adoptedTokenProblems(adopted, 365, NOW)).toEqual([]);
  });
  it("ignores tokens the stack made (their inputs are checked by the other rules)", () => {
    expect(adoptedTokenProblems({ ...adopted, adopted: false, ipRestriction: "", validUntil: "" }, 365, NOW)).toEqual([]);
    expect(adoptedTokenProblems({ ipRestriction: "", validUntil: "" }, 365, NOW)).toEqual([]);
  });
  it("refuses an adopted token without IP restriction or expiry, in one message naming what to change", () => {
    const problems = adoptedTokenProblems({ ...adopted, ipRestriction: "", validUntil: "" }, 365, NOW);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("the adopted token 'percipio-by-hand''s IP restriction in Moodle is empty");
    expect(problems[0]).toContain(`the adopted token 'percipio-by-hand''s "Valid until" in Moodle is empty, so the token never expires`);
    expect(problems[0]).toContain("pulumi config set moodle:adoptExistingToken false");
  });
  it("applies the same limits: catch-all addresses, expiry beyond maxDays", () => {
    expect(adoptedTokenProblems({ ...adopted, ipRestriction: "0.0.0.0/0" }, 365, NOW)[0]).toContain("'0.0.0.0/0' allows every address");
    expect(adoptedTokenProblems(adopted, 30, NOW)[0]).toContain(`"Valid until" in Moodle 2027-01-01 is more than 30 days ahead`);
  });
});

describe("percipio-region-hosts", () => {
  it("accepts the hosts of an allowed region", () => {
    expect(percipioHostProblems(US, ["us", "eu"])).toEqual([]);
    expect(percipioHostProblems(EU, ["eu"])).toEqual([]);
    expect(percipioHostProblems({ oauthUrl: `${US.oauthUrl}/`, apiUrl: US.apiUrl }, ["us"])).toEqual([]);
  });
  it("refuses a known region the policy does not allow, naming moodle:percipioRegion", () => {
    expect(percipioHostProblems(US, ["eu"])).toEqual([
      "moodle:percipioRegion is 'us', but this policy allows only eu: run pulumi config set moodle:percipioRegion eu",
    ]);
  });
  it("refuses other hosts and a mix of two regions", () => {
    const [custom] = percipioHostProblems({ oauthUrl: "https://percipio.attacker.example", apiUrl: US.apiUrl }, ["us", "eu"]);
    expect(custom).toContain("moodle:percipioOauthUrl 'https://percipio.attacker.example' and moodle:percipioApiUrl 'https://api.percipio.com'");
    expect(custom).toContain("set moodle:percipioRegion to us or eu and remove the custom URLs (pulumi config rm moodle:percipioOauthUrl");
    expect(percipioHostProblems({ oauthUrl: US.oauthUrl, apiUrl: EU.apiUrl }, ["us", "eu"])).toHaveLength(1);
    expect(percipioHostProblems({ oauthUrl: "not a url", apiUrl: US.apiUrl }, ["us"])[0]).toContain("'not a url'");
  });
});
