// factor_totp's code check (admin/tool/mfa/factor/totp/classes/factor.php with its bundled OTPHP 11.3:
// RFC 6238, HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch, a Base32 secret).
//
// Written here rather than imported from moodle/totp.ts on purpose: the double is what the client's
// code generator is tested against, so sharing the code would hide a bug both would then agree on.
// tests/double/mfa.test.ts pins this one to RFC 6238's own test vectors.
import { createHmac } from "crypto";

const PERIOD = 30;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * ParagonIE Base32::decodeUpper as OTPHP calls it: upper-cased, `=` padding trimmed (ParameterTrait),
 * non-strict. A character outside the alphabet is an error, as Moodle's RuntimeException is.
 */
export function base32Decode(secret: string): Buffer {
  const clean = secret.toUpperCase().replace(/=+$/, "");
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = BASE32.indexOf(ch);
    if (i < 0) throw new Error("TOTP secret is not Base32");
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** OTP::generateOTP for a counter: RFC 4226 dynamic truncation, zero-padded to 6 digits. */
function hotp(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const o = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
  return String(bin % 1_000_000).padStart(6, "0");
}

/** TOTP::at(): the code for the step a moment falls in. */
export function totpAt(secret: string, unixSeconds: number): string {
  return hotp(base32Decode(secret), Math.floor(unixSeconds / PERIOD));
}

/**
 * TOTP::verify($code, $timestamp, $leeway) (OTPHP TOTP.php:119-141): the code of the step at t - leeway,
 * t or t + leeway, compared exactly (hash_equals).
 */
export function totpVerify(secret: string, code: string, t: number, leeway: number): boolean {
  return [t - leeway, t, t + leeway].some((x) => x >= 0 && totpAt(secret, x) === code);
}

export const TOTP_PERIOD = PERIOD;
