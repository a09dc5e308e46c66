import { clearClientCache, clientFor, MoodleClient } from "../../moodle/client";
import { assertSupported } from "../../moodle/version";
import { versionFromRelease } from "../../moodle/parsers/version";
import { MoodleUnsupportedVersionError } from "../../moodle/errors";
import { flattenParams } from "../../moodle/rest";

describe("clientFor", () => {
  afterEach(() => clearClientCache());
  const base = { url: "https://moodle.example.com", username: "admin", password: "one" };

  test("one client per (url, username) in the process", () => {
    const a = clientFor(base);
    expect(clientFor({ ...base })).toBe(a);
    expect(clientFor({ ...base, url: "https://moodle.example.com/" })).toBe(a);
    expect(clientFor({ ...base, username: "other" })).not.toBe(a);
    expect(clientFor({ ...base, url: "https://other.example.com" })).not.toBe(a);
    expect(a).toBeInstanceOf(MoodleClient);
  });

  test("the URL's scheme and host are case-insensitive, its path is not; a trailing slash does not matter", () => {
    const sub = { ...base, url: "https://moodle.example.com/Moodle" };
    const a = clientFor(sub);
    expect(clientFor({ ...sub, url: "HTTPS://Moodle.Example.COM/Moodle/" })).toBe(a);
    expect(clientFor({ ...sub, url: "https://moodle.example.com:443/Moodle" })).toBe(a);
    expect(clientFor({ ...sub, url: "https://moodle.example.com/moodle" })).not.toBe(a);
    expect(clientFor({ ...sub, url: "https://moodle.example.com/Moodle/x" })).not.toBe(a);
    expect(clientFor({ ...sub, url: "https://moodle.example.com:8443/Moodle" })).not.toBe(a);
  });

  test("every connection setting is part of the key: CA, allow-http, timeout, retries", () => {
    const a = clientFor(base);
    const variants = [
      { caCertPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" },
      { allowHttp: true },
      { timeoutMs: 5_000 },
      { retries: 0 },
    ];
    for (const v of variants) {
      const other = clientFor({ ...base, ...v });
      expect(other).not.toBe(a);
      expect(clientFor({ ...base, ...v })).toBe(other);
    }
    // Unset settings mean the defaults: the same connection.
    expect(clientFor({ ...base, allowHttp: false, timeoutMs: 30_000, retries: 3 })).toBe(a);
    expect(clientFor(base)).toBe(a);
  });

  test("a client cached for one admin user is never handed out for another", () => {
    const a = clientFor(base);
    const b = clientFor({ ...base, username: "manager" });
    expect(b).not.toBe(a);
    expect(b.username).toBe("manager");
    expect(clientFor(base)).toBe(a);
    expect(clientFor(base).username).toBe("admin");
    // Moodle lower-cases usernames at login: "Admin" is the same account.
    expect(clientFor({ ...base, username: "Admin" })).toBe(a);
  });

  test("a different password replaces the cached client", () => {
    const a = clientFor(base);
    const b = clientFor({ ...base, password: "two" });
    expect(b).not.toBe(a);
    expect(clientFor({ ...base, password: "two" })).toBe(b);
  });

  test("a different TOTP key (moodle:adminTotpSecret rotated, set or removed) replaces the cached client", () => {
    const none = clientFor(base);
    expect(clientFor({ ...base, totpKey: "" })).toBe(none);
    const a = clientFor({ ...base, totpKey: "JBSWY3DPEHPK3PXP" });
    expect(a).not.toBe(none);
    expect(clientFor({ ...base, totpKey: "JBSWY3DPEHPK3PXP" })).toBe(a);
    const b = clientFor({ ...base, totpKey: "GEZDGNBVGY3TQOJQ" });
    expect(b).not.toBe(a);
    expect(b.hasCredentials({ password: "one", totpKey: "GEZDGNBVGY3TQOJQ" })).toBe(true);
    expect(b.hasCredentials({ password: "one", totpKey: "JBSWY3DPEHPK3PXP" })).toBe(false);
    expect(b.hasCredentials({ password: "one" })).toBe(false);
    expect(clientFor(base).hasCredentials({ password: "one" })).toBe(true);
  });

  test("plain http is refused at construction unless allowed", () => {
    expect(() => clientFor({ ...base, url: "http://moodle.example.com" })).toThrow(/moodle:allowHttp/);
    expect(() => clientFor({ ...base, url: "http://127.0.0.1:8080", allowHttp: true })).not.toThrow();
  });
});

describe("version gate", () => {
  const v = (r: string) => versionFromRelease(r)!;
  test.each(["4.5+ (Build: 20241205)", "4.5.3 (Build: 20250317)", "5.0.6+ (Build: 20260403)", "5.1 (Build: 20251006)"])("accepts %s", (r) => {
    expect(() => assertSupported(v(r))).not.toThrow();
  });
  test("4.4: token list differs", () => {
    expect(() => assertSupported(v("4.4.2 (Build: 20240812)"))).toThrow(MoodleUnsupportedVersionError);
    expect(() => assertSupported(v("4.4.2 (Build: 20240812)"))).toThrow(/older table.*Supported: 4\.5 and 5\.x/);
  });
  test("4.1: no token name field", () => {
    expect(() => assertSupported(v("4.1.10 (Build: 20240422)"))).toThrow(/no name field/);
  });
});

describe("REST parameter encoding", () => {
  test("nested objects and arrays use Moodle's bracket keys", () => {
    expect(flattenParams({ data: "{}", criteria: [{ key: "email", value: "a@b" }], flag: true, skip: undefined })).toEqual({
      data: "{}",
      "criteria[0][key]": "email",
      "criteria[0][value]": "a@b",
      flag: "1",
    });
  });
});
