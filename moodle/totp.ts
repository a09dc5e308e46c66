// RFC 6238 time-based one-time codes as Moodle's factor_totp checks them (its bundled OTPHP library:
// HMAC-SHA1, 6 digits, 30-second steps from the Unix epoch, a Base32 key). Node's crypto does the
// HMAC; the few lines below are the whole algorithm, so no library is needed for it.
import { createHmac } from "crypto";

/** Seconds per step: factor_totp's period. */
export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Thrown for a key that is not Base32; the message never contains the key. */
export class TotpKeyError extends Error {}

/** The key as one string however it was typed (case, spaces, dashes, padding): what identifies it. */
export function normalizedKey(text: string): string {
  return text.replace(/[\s-]/g, "").replace(/=+$/, "").toUpperCase();
}

/**
 * The key's bytes from its Base32 text as Moodle shows it when the factor is set up: case, spaces and
 * trailing `=` padding do not matter (OTPHP upper-cases and trims the same way).
 */
export function decodeBase32Key(text: string): Buffer {
  const clean = normalizedKey(text);
  if (clean === "") throw new TotpKeyError("the TOTP key is empty");
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = BASE32.indexOf(ch);
    if (index < 0) throw new TotpKeyError("the TOTP key is not Base32 (letters A-Z and digits 2-7, as Moodle shows it)");
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The step a moment falls in. */
export function totpStep(unixSeconds: number): number {
  return Math.floor(unixSeconds / TOTP_PERIOD_SECONDS);
}

/** When a step starts, in Unix seconds. */
export function stepStart(step: number): number {
  return step * TOTP_PERIOD_SECONDS;
}

/** RFC 4226 HOTP of a counter, as the 6-digit string Moodle compares (zero-padded). */
export function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}

/** The code of a step. */
export function totpCode(key: Buffer, step: number): string {
  return hotp(key, step);
}
