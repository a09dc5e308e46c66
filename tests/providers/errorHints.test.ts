// What a user is told to do when the transport fails in Node's words: a certificate that does not
// verify points at moodle:caCertPath, an address where nothing answers at moodle:url; anything else
// keeps Node's own words.
import { MoodleError, MoodleTransportError } from "../../moodle/errors";
import { transportHint } from "../../providers/shared/errorHints";

const transport = (code?: string) => new MoodleTransportError("Login", "/login/index.php", "request failed", { code });

describe("transportHint", () => {
  it.each([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_UNTRUSTED",
    "CERT_HAS_EXPIRED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
  ])("a certificate failure (%s) points at moodle:caCertPath and keeps verification on", (code) => {
    expect(transportHint(transport(code))).toBe(
      ". TLS verification of the site's certificate failed: if the site uses a private certificate authority, " +
        "set moodle:caCertPath to that CA's PEM file (verification stays on); otherwise fix the site's certificate",
    );
  });

  it.each(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"])(
    "nothing answering (%s) points at moodle:url and moodle:allowHttp",
    (code) => {
      expect(transportHint(transport(code))).toBe(
        ". Nothing answers at moodle:url: check the address (and moodle:allowHttp for http) and that Moodle is running and reachable from here",
      );
    },
  );

  it("other transport failures, transport failures without a code and other errors add nothing", () => {
    expect(transportHint(transport("ECONNRESET"))).toBe("");
    expect(transportHint(transport(undefined))).toBe("");
    expect(transportHint(transport(""))).toBe("");
    const notTransport = Object.assign(new MoodleError("Login", "/", "x"), { code: "ECONNREFUSED" });
    expect(transportHint(notTransport)).toBe("");
    expect(transportHint({ code: "CERT_HAS_EXPIRED" })).toBe("");
    expect(transportHint(undefined)).toBe("");
  });
});
