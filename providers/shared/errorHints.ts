// What a user should do about a failure the transport reports in Node's words.
import { MoodleTransportError } from "../../moodle/errors";

/** Node's codes for a certificate that does not verify against the trusted CAs. */
const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
/** Codes meaning no server answered at the address. */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/** The sentence to append to a transport error, or "" when Node's own words are enough. */
export function transportHint(err: unknown): string {
  if (!(err instanceof MoodleTransportError) || !err.code) return "";
  if (TLS_CODES.has(err.code)) {
    return (
      ". TLS verification of the site's certificate failed: if the site uses a private certificate authority, " +
      "set moodle:caCertPath to that CA's PEM file (verification stays on); otherwise fix the site's certificate"
    );
  }
  if (UNREACHABLE_CODES.has(err.code)) {
    return ". Nothing answers at moodle:url: check the address (and moodle:allowHttp for http) and that Moodle is running and reachable from here";
  }
  return "";
}
