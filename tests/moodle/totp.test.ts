// RFC 6238's own test vectors (Appendix B, SHA-1 key "12345678901234567890"), cut to the 6 digits
// Moodle's factor_totp uses, and the key forms Moodle shows an admin.
import { decodeBase32Key, hotp, stepStart, totpCode, totpStep, TotpKeyError } from "../../moodle/totp";

const RFC_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("TOTP codes as factor_totp checks them", () => {
  it.each([
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
    [20000000000, "353130"],
  ])("at %i s the code is %s (RFC 6238 appendix B)", (seconds, code) => {
    expect(totpCode(decodeBase32Key(RFC_KEY_BASE32), totpStep(seconds))).toBe(code);
  });

  it("keeps leading zeros (the code is compared as a 6-character string)", () => {
    expect(hotp(decodeBase32Key(RFC_KEY_BASE32), totpStep(1234567890))).toMatch(/^0\d{5}$/);
  });

  it("gives RFC 4226's HOTP values for counters 0 and 1", () => {
    const key = Buffer.from("12345678901234567890");
    expect([hotp(key, 0), hotp(key, 1)]).toEqual(["755224", "287082"]);
  });

  it("steps every 30 seconds from the epoch", () => {
    expect([totpStep(0), totpStep(29), totpStep(30), totpStep(59.9), totpStep(60)]).toEqual([0, 0, 1, 1, 2]);
    expect(stepStart(3)).toBe(90);
  });
});

describe("the key as Moodle shows it", () => {
  it("accepts lower case, spaces, dashes and = padding", () => {
    const plain = decodeBase32Key(RFC_KEY_BASE32);
    expect(decodeBase32Key("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")).toEqual(plain);
    expect(decodeBase32Key("GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ==")).toEqual(plain);
    expect(plain.toString()).toBe("12345678901234567890");
  });

  it("decodes Moodle's 16-character keys to 10 bytes", () => {
    expect(decodeBase32Key("JBSWY3DPEHPK3PXP")).toEqual(Buffer.from("48656c6c6f21deadbeef", "hex"));
  });

  it("refuses text that is not Base32, without repeating the key", () => {
    expect(() => decodeBase32Key("JBSWY3DPEHPK3PX1")).toThrow(TotpKeyError);
    expect(() => decodeBase32Key("JBSWY3DPEHPK3PX1")).toThrow(/not Base32/);
    try {
      decodeBase32Key("SECRETKEY0");
    } catch (e) {
      expect((e as Error).message).not.toContain("SECRETKEY0");
    }
    expect(() => decodeBase32Key("  ")).toThrow(/empty/);
  });
});
